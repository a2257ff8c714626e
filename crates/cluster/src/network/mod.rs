//! The node-to-node gRPC service (`proto/dialogd/cluster/v1`): Raft RPCs, writes and reads
//! forwarded to the leader, joins and liveness heartbeats, all authenticated with the cluster
//! secret and, with `[cluster] tls_*`, carried over mutual TLS ([`tls`]: the node presents
//! its certificate and verifies the member's against the cluster CA; the serving side, which
//! requires a verified client certificate, is the API's listener, `dialogd_api::server::tls`
//! and `dialogd_api::server::node_identity`).
//!
//! ```text
//!  node A                                   node B (leader)
//!  openraft ── Network/PeerNetwork ──gRPC──▶ InternalService ──▶ Raft::append_entries/vote/...
//!  ClusterNode::write ── Peers::call(Write) ─▶ InternalService ──▶ Raft::client_write
//! ```

pub mod auth;
pub mod client;
pub mod messages;
pub mod server;
pub mod tls;

/// Generated from `proto/dialogd/cluster/v1/cluster.proto`.
#[allow(clippy::all, missing_docs)]
pub mod pb {
    tonic::include_proto!("dialogd.cluster.v1");
}

pub use client::{CallError, Connector, Network, Peers, Rpc, tcp_connector};
pub use messages::{ForwardError, Heartbeat, MembershipChange, ReadReply, ReadRequest};
pub use tls::{ClusterTls, DEFAULT_SERVER_NAME, TlsError, TlsPart, peer_endpoint};
