//! The `Events` service (`proto/dialogd/v1/events.proto`): the `WatchEvents` stream
//! ([`service`]) over the [`backend::EventsBackend`] trait (a broadcast receiver of the node's
//! dialog events, with the filter a watcher asks for and what it receives), and the
//! conversions and argument checks of its messages ([`convert`]).

pub mod backend;
pub mod convert;
pub mod service;
