//! The interface between the `Cluster` service and the node: [`ClusterBackend`], what every
//! `Cluster` RPC asks of the node once its arguments are validated, and the plain domain view
//! it answers with ([`ClusterView`], [`MemberView`], [`Role`]). Errors are the API's
//! [`BackendError`]: `Unavailable` for "not the leader / no quorum, retry elsewhere or later",
//! `FailedPrecondition` for a change the cluster's state does not allow. This file must not
//! know about gRPC: `convert.rs` maps the view to protobuf, `status.rs` the errors.

use dialogd_dialog::BoxFuture;

use crate::dialogs::backend::BackendError;

/// A member's part in the Raft membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Votes in elections and counts towards the quorum.
    Voter,
    /// Receives the log but does not vote.
    Learner,
}

impl Role {
    /// Lower-case name (`voter`, `learner`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Voter => "voter",
            Role::Learner => "learner",
        }
    }
}

/// One member of the cluster as the answering node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// The member's node id.
    pub node_id: u64,
    /// The member's gRPC address (`http://host:port`).
    pub addr: String,
    /// Voter or learner.
    pub role: Role,
    /// True for the current leader.
    pub leader: bool,
    /// True if the answering node heard from the member recently (always true for itself).
    pub reachable: bool,
    /// Milliseconds since the answering node last heard from the member; `None` if unknown or
    /// for the answering node itself. (On the wire 0 stands for `None`.)
    pub last_seen_ms_ago: Option<u64>,
    /// The highest log index known to be replicated on the member (0 when unknown).
    pub matched_index: u64,
}

/// What a node knows of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterView {
    /// The current leader, `None` while no leader is known.
    pub leader_id: Option<u64>,
    /// The Raft term the answering node is in.
    pub term: u64,
    /// The id of the node that answered.
    pub this_node: u64,
    /// Every member, voters and learners (the service sorts them by node id).
    pub members: Vec<MemberView>,
}

impl ClusterView {
    /// The leader's member entry, if a leader is known and is a member.
    pub fn leader(&self) -> Option<&MemberView> {
        let id = self.leader_id?;
        self.members.iter().find(|m| m.node_id == id)
    }
}

/// What the `Cluster` service needs from the node. Arguments reach it validated (node ids in
/// 1..=65535, addresses `http(s)://host:port`). Object safe: the server holds an
/// `Arc<dyn ClusterBackend>`.
pub trait ClusterBackend: Send + Sync + 'static {
    /// The cluster as this node sees it (answers `Members` and `Leader`).
    fn members(&self) -> BoxFuture<'_, Result<ClusterView, BackendError>>;

    /// Adds node `node_id` reachable at `addr`: as a learner, then promoted to voter unless
    /// `learner_only`. Returns the view after the change.
    fn add_node(
        &self,
        node_id: u64,
        addr: String,
        learner_only: bool,
    ) -> BoxFuture<'_, Result<ClusterView, BackendError>>;

    /// Removes node `node_id` from the membership. Returns the view after the change.
    fn remove_node(&self, node_id: u64) -> BoxFuture<'_, Result<ClusterView, BackendError>>;
}
