//! `dialogd-cluster`: where profile memberships and dialog records are kept.
//!
//! One Raft group (openraft 0.9) per cluster holds every dialog record and profile
//! membership ([`ClusterState`], changed only by [`Command`]s); its log, vote and snapshots
//! live in redb under the node's data dir ([`store`]). [`ClusterNode`] runs this node's member
//! (writes forwarded to the leader, linearizable reads, membership, takeover, the durable
//! release queue, its [`Liveness`] for the node's health check) and [`RaftStore`] puts it behind the proxy's [`dialogd_dialog::Admission`].
//! Nodes talk over the gRPC service of [`network`]. [`LocalStore`] is the same contract in
//! memory, for tests. This crate must not know SIP.
//!
//! ```text
//!  proxy ──Admission──▶ RaftStore ──▶ ClusterNode ──▶ openraft ──▶ store (redb) + ClusterState
//!                                         │  ▲
//!                          network::Peers ▼  │ network::server (Raft RPCs, Write, Read, Join)
//! ```

pub mod cluster_node;
pub mod cluster_state;
pub mod codec;
pub mod command;
pub mod liveness;
pub mod local_store;
pub mod membership;
pub mod network;
pub mod pending;
pub mod raft_store;
pub mod raft_types;
pub mod settings;
pub mod store;
pub mod stored_record;
pub mod takeover;
#[cfg(test)]
mod test_fixtures;
pub mod write_queue;

pub use cluster_node::{ClusterError, ClusterNode, Ownership};
pub use cluster_state::{ClusterCounters, ClusterState, DialogEntry, NO_OWNER, OwnerChange};
pub use command::{Command, CommandResult};
pub use liveness::{Failure, Liveness};
pub use local_store::LocalStore;
pub use membership::{ClusterView, Member, Role};
pub use pending::PendingReleases;
pub use raft_store::RaftStore;
pub use settings::{ClusterSettings, NoQuorum};
pub use stored_record::StoredRecord;
