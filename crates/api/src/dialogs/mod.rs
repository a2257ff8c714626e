//! The `Dialogs` service (`proto/dialogd/v1/dialogs.proto`): the tonic implementation
//! ([`service`], the RPCs that change dialogs' data in `service_control.rs`) over the
//! [`backend::DialogsBackend`] trait the node implements, the conversions between the domain
//! types of `dialogd-dialog` and the protobuf messages ([`convert`], which the other services
//! and the client use too) and the argument checks (`validate.rs`, whose helpers they reuse).

pub mod backend;
pub mod convert;
pub mod service;
pub(crate) mod validate;
