//! `dialogd-api`: the public gRPC API of dialogd (DESIGN.md §6), package `dialogd.v1`.
//!
//! Owns the code generated from `proto/dialogd/v1/` ([`pb`]), the conversions between the
//! domain types of `dialogd-dialog` and the protobuf messages ([`convert`]), the tonic
//! `Dialogs` service ([`service`]) over the [`DialogsBackend`] trait the node implements, the
//! server ([`serve`]) with the gRPC health and reflection services, and the [`Client`] that
//! `dialogctl` and tests use. It is the only place where errors become a gRPC `Status`
//! ([`status`]).
//!
//! It must not hold business logic: it validates arguments, converts, pages, and asks the
//! backend.
//!
//! ```text
//!  dialogctl / grpcurl ──gRPC──▶ server::serve ──▶ service::DialogsService ──▶ dyn DialogsBackend
//!                                 (+ health, reflection)   (validate, page)        (the node)
//! ```

pub mod backend;
pub mod client;
pub mod convert;
pub mod error;
pub mod server;
pub mod service;
pub mod status;
mod validate;

/// Code generated from `proto/dialogd/v1/*.proto` by `build.rs`.
#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    clippy::expect_used
)]
pub mod pb {
    tonic::include_proto!("dialogd.v1");

    /// The encoded `FileDescriptorSet` of `dialogd.v1`, served by gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/dialogd_v1_descriptor.bin"));
}

pub use backend::{BackendError, DialogFilter, DialogsBackend, EndSide, ProfileValues};
pub use client::{Client, DialogPage};
pub use dialogd_dialog::BoxFuture;
pub use error::{Error, Result};
pub use server::serve;
pub use service::DialogsService;
