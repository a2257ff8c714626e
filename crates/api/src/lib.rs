//! `dialogd-api`: the public gRPC API of dialogd, package `dialogd.v1`.
//!
//! Owns the code generated from `proto/dialogd/v1/` ([`pb`]) and, one folder per service, the
//! tonic implementation of each with the trait it asks the node through, the conversions
//! between domain values and protobuf messages and the argument checks:
//!
//! - [`dialogs`]: `Dialogs` over [`DialogsBackend`]; its conversions of the `dialogd-dialog`
//!   types serve the other services and the client too;
//! - [`call_control`]: `CallControl` (its plain values in [`call_control::types`]) over
//!   [`CallControlBackend`], which extends [`DialogsBackend`];
//! - [`cluster`]: `Cluster` over [`ClusterBackend`];
//! - [`events`]: the `Events` stream over [`EventsBackend`];
//! - [`triggers`]: `Triggers` over the [`TriggerHub`] of the controllers connected to the node.
//!
//! Also the [`server`] ([`serve`], options in [`ApiOptions`]) with the gRPC health and
//! reflection services and room for the node's external and internal services, optional TLS
//! with the cluster's mutual TLS ([`server::tls`], and [`server::node_identity`]: node-to-node
//! calls need a node certificate), the token / cluster-secret layer ([`server::auth`], with the
//! forwarded mark [`is_forwarded`]); and the [`client`] ([`Client`], options in
//! [`ClientOptions`]) that `dialogctl`, controllers and tests use. It is the only place where
//! errors become a gRPC `Status` ([`status`]).
//!
//! It must not hold business logic: it validates arguments, converts, pages, and asks the
//! backend. What a dialog is, how a call is transferred or who leads the cluster is the node's.
//!
//! ```text
//!  dialogctl / grpcurl ──gRPC──▶ server::serve ──┬──▶ DialogsService ─────▶ dyn DialogsBackend
//!  controllers / members        (auth layer,     │    (validate, page)         (the node)
//!                                health,         ├──▶ ClusterService ─────▶ dyn ClusterBackend
//!                                reflection)     │    (validate, sort)         (the node)
//!                                                ├──▶ EventsService ──────▶ dyn EventsBackend
//!                                                │    (filter, lag)            (broadcast)
//!                             external Routes ─▶ ├──▶ CallControlService ─▶ dyn CallControlBackend
//!                             (the node builds   │    (validate, resolve)      (the node)
//!                              and passes them)  └──▶ TriggersService ────▶ TriggerHub
//!                                                     (subscribe, decide)      ◀── node offers
//! ```
//!
//! The node's external routes also carry its `NodeForward` service, and its internal routes
//! (Raft) pass the auth layer untouched: they check their own secret.

pub mod call_control;
pub mod client;
pub mod cluster;
pub mod dialogs;
pub mod error;
pub mod events;
pub mod server;
pub mod status;
pub mod triggers;

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

pub use call_control::backend::CallControlBackend;
pub use call_control::service::CallControlService;
pub use call_control::types::{
    BridgeRequest, BridgeStarted, HoldMode, LegResult, LinkMode, TransferStarted,
    TransferTargetSpec,
};
pub use client::events::EventStream;
pub use client::health::check_health;
pub use client::options::{AuthChannel, AuthInterceptor, ClientOptions};
pub use client::triggers::{IncomingTrigger, TriggerController, TriggerDecider};
pub use client::{Client, DialogPage};
pub use cluster::backend::{ClusterBackend, ClusterView, MemberView, Role};
pub use cluster::service::ClusterService;
pub use dialogd_dialog::BoxFuture;
pub use dialogs::backend::{BackendError, DialogFilter, DialogsBackend, EndSide, ProfileValues};
pub use dialogs::service::DialogsService;
pub use error::{Error, Result};
pub use events::backend::{EventFilter, EventsBackend, WatchedEvent};
pub use events::service::EventsService;
pub use server::forwarded::{is_forwarded, with_forwarded};
pub use server::options::{ApiOptions, ExternalServices, NodeTls, TlsFiles};
pub use server::serve;
/// Extra services [`serve`] can carry on the same listener.
pub use tonic::service::Routes;
pub use tonic_health::pb::health_check_response::ServingStatus as HealthStatus;
pub use triggers::hub::{ControllerId, ControllerRegistration, HubTrigger, Offer, TriggerHub};
pub use triggers::service::TriggersService;
