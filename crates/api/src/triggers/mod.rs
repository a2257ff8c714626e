//! The `Triggers` service (`proto/dialogd/v1/triggers.proto`): the trigger controllers
//! connected to this node and the `on_timeout` triggers waiting for their decision ([`hub`]),
//! the `Control` stream that registers a controller ([`service`]), and the conversions and
//! checks of its messages ([`convert`]). No backend trait: the node offers triggers to the
//! [`hub::TriggerHub`] and serves the service beside its other public ones.

pub mod convert;
pub mod hub;
pub mod service;
