//! `dialogd-api`: the public gRPC API of dialogd, package `dialogd.v1`.
//!
//! Owns the code generated from `proto/dialogd/v1/` ([`pb`]), the conversions between the
//! domain types of `dialogd-dialog` and the protobuf messages ([`convert`], [`cluster_convert`]),
//! the tonic `Dialogs` service ([`service`]) over the [`DialogsBackend`] trait and the
//! `Cluster` service ([`cluster_service`]) over the [`ClusterBackend`] trait, both implemented
//! by the node, the `Events` stream ([`events_service`]) over the [`EventsBackend`] trait,
//! the `CallControl` service ([`call_control_service`]; its plain values in
//! [`call_control_types`]) over the [`CallControlBackend`] trait, which the node serves
//! beside its other public services,
//! the server ([`serve`], options in [`ApiOptions`]) with the gRPC health and reflection
//! services (and room for the node's external and internal services), optional TLS with the
//! cluster's mutual TLS ([`server_tls`], and [`node_identity`]: node-to-node calls need a node
//! certificate), the token / cluster-secret layer ([`auth`], with the forwarded mark
//! [`is_forwarded`]), and the
//! [`Client`] (options in [`ClientOptions`]) that `dialogctl` and tests use. It is
//! the only place where errors become a gRPC `Status` ([`status`]).
//!
//! It must not hold business logic: it validates arguments, converts, pages, and asks the
//! backend.
//!
//! ```text
//!  dialogctl / grpcurl ──gRPC──▶ server::serve ──┬──▶ DialogsService ──▶ dyn DialogsBackend
//!                       (+ health, reflection,   │    (validate, page)    (the node)
//!                        extra Routes)           ├──▶ ClusterService ──▶ dyn ClusterBackend
//!                                                │    (validate, sort)    (the node)
//!                                                └──▶ EventsService ───▶ dyn EventsBackend
//!                                                     (filter, lag)       (broadcast)
//! ```

pub mod api_options;
pub mod auth;
pub mod backend;
pub mod call_control_backend;
pub mod call_control_convert;
pub mod call_control_service;
pub mod call_control_types;
mod call_control_validate;
pub mod client;
pub mod client_call_control;
pub mod client_control;
pub mod client_events;
pub mod client_health;
pub mod client_options;
pub mod client_triggers;
pub mod cluster_backend;
pub mod cluster_convert;
pub mod cluster_service;
mod cluster_validate;
pub mod convert;
pub mod error;
pub mod events_backend;
pub mod events_convert;
pub mod events_service;
pub mod forwarded;
pub mod node_identity;
pub mod server;
pub mod server_tls;
pub mod service;
pub mod status;
pub mod triggers_convert;
pub mod triggers_hub;
pub mod triggers_service;
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

pub use api_options::{ApiOptions, ExternalServices, NodeTls, TlsFiles};
pub use backend::{BackendError, DialogFilter, DialogsBackend, EndSide, ProfileValues};
pub use call_control_backend::CallControlBackend;
pub use call_control_service::CallControlService;
pub use call_control_types::{
    BridgeOutcome, BridgeSpec, HoldModeSpec, LegOutcome, LinkModeSpec, TransferOutcome,
    TransferTargetSpec,
};
pub use client::{Client, DialogPage};
pub use client_events::EventStream;
pub use client_health::check_health;
pub use client_options::{AuthChannel, AuthInterceptor, ClientOptions};
pub use client_triggers::{IncomingTrigger, TriggerController, TriggerDecider};
pub use cluster_backend::{ClusterBackend, ClusterView, MemberView, Role};
pub use cluster_service::ClusterService;
pub use dialogd_dialog::BoxFuture;
pub use error::{Error, Result};
pub use events_backend::{EventFilter, EventsBackend, WatchedEvent};
pub use events_service::EventsService;
pub use forwarded::{is_forwarded, with_forwarded};
pub use server::serve;
pub use service::DialogsService;
/// Extra services [`serve`] can carry on the same listener.
pub use tonic::service::Routes;
pub use tonic_health::pb::health_check_response::ServingStatus as HealthStatus;
pub use triggers_hub::{ControllerId, ControllerRegistration, HubTrigger, Offer, TriggerHub};
pub use triggers_service::TriggersService;
