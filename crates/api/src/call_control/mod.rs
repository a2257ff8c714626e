//! The `CallControl` service (`proto/dialogd/v1/call_control.proto`): the tonic implementation
//! ([`service`]) over the [`backend::CallControlBackend`] trait, which extends the `Dialogs`
//! backend with the requests the proxy sends inside a call; the plain values of those calls
//! ([`types`]), their conversions to and from protobuf ([`convert`]) and the argument checks
//! (`validate.rs`).

pub mod backend;
pub mod convert;
pub mod service;
pub mod types;
mod validate;
