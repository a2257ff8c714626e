//! `dialogd-cluster`: where profile memberships and dialog records are kept.
//!
//! Today it holds [`LocalStore`], the exact in-memory profile store of a cluster of one,
//! behind [`dialogd_dialog::Admission`]. Issue 3 adds the openraft state machine, the durable log
//! and the node-to-node gRPC service here, implementing the same trait, so the proxy does not
//! change. This crate must not know SIP.

pub mod cluster_state;
pub mod command;
pub mod local_store;
pub mod raft_types;

pub use cluster_state::{ClusterCounters, ClusterState, DialogEntry, OwnerChange};
pub use command::{Command, CommandResult};
pub use local_store::LocalStore;
