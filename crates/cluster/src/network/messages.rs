//! The payloads ([`crate::codec`]) of the node-to-node service besides openraft's own types
//! (`proto/dialogd/cluster/v1/cluster.proto` names which rpc carries which).

use dialogd_dialog::DialogId;

use crate::cluster_state::ClusterCounters;

/// A membership change for the leader (`Join` rpc): a joining node sends `Add` for itself,
/// the API sends either.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MembershipChange {
    /// Add the node as a learner, then (unless `learner_only`) make it a voter.
    Add {
        node_id: u64,
        /// Its gRPC URL (`http://10.0.0.2:50051`).
        addr: String,
        learner_only: bool,
    },
    /// Remove the node (voter or learner).
    Remove { node_id: u64 },
}

/// A member tells the leader it is alive (takeover needs to know who is not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Heartbeat {
    pub node_id: u64,
}

/// A read the leader answers after confirming its leadership (read index).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReadRequest {
    ProfileSize {
        name: String,
        value: Option<String>,
    },
    ProfileDialogs {
        name: String,
        value: Option<String>,
    },
    ProfileValues {
        name: String,
    },
    Counters,
    /// The leader's read index: what a follower must have applied to be caught up.
    ReadIndex,
}

/// The answer to a [`ReadRequest`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReadReply {
    Size(u64),
    Dialogs(Vec<DialogId>),
    Values(Vec<(Option<String>, u64)>),
    /// Cluster counters with the (early, active) dialog counts.
    Counters(ClusterCounters, u64, u64),
    /// The log index committed at the leader when it confirmed its leadership.
    Index(u64),
}

/// Why a forwarded request was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
pub enum ForwardError {
    /// This node is not the leader; the leader it knows of, if any.
    #[error("not the leader (leader: {leader:?})")]
    NotLeader { leader: Option<(u64, String)> },
    /// The leader could not commit or confirm leadership now (no quorum).
    #[error("no quorum: {0}")]
    Unavailable(String),
    /// The request cannot be carried out (bad membership change ...).
    #[error("{0}")]
    Rejected(String),
}
