//! [`RaftCluster`]: the `Cluster` API over this node's Raft member — the members as this
//! node sees them, and membership changes carried out at the leader (forwarded there).

use std::sync::Arc;

use dialogd_api::{BackendError, BoxFuture, ClusterBackend, ClusterView, MemberView, Role};
use dialogd_cluster::network::MembershipChange;
use dialogd_cluster::{ClusterError, ClusterNode};

/// The cluster backend of a node.
#[derive(Debug, Clone)]
pub struct RaftCluster {
    pub node: Arc<ClusterNode>,
}

fn view(node: &ClusterNode) -> ClusterView {
    let v = node.view();
    ClusterView {
        leader_id: v.leader,
        term: v.term,
        this_node: v.this_node,
        members: v
            .members
            .into_iter()
            .map(|m| MemberView {
                node_id: m.node_id,
                addr: m.addr,
                role: match m.role {
                    dialogd_cluster::Role::Voter => Role::Voter,
                    dialogd_cluster::Role::Learner => Role::Learner,
                },
                leader: m.leader,
                reachable: m.reachable.unwrap_or(false),
                last_seen_ms_ago: m.last_seen.map(|d| d.as_millis() as u64),
                matched_index: m.matched_index.unwrap_or(0),
            })
            .collect(),
    }
}

fn backend_error(e: ClusterError) -> BackendError {
    match e {
        ClusterError::Unavailable(m) => BackendError::Unavailable(m),
        ClusterError::Rejected(m) => BackendError::FailedPrecondition(m),
        ClusterError::Storage(m) => BackendError::Internal(m),
    }
}

impl ClusterBackend for RaftCluster {
    fn members(&self) -> BoxFuture<'_, Result<ClusterView, BackendError>> {
        let v = view(&self.node);
        Box::pin(async move { Ok(v) })
    }

    fn add_node(
        &self,
        node_id: u64,
        addr: String,
        learner_only: bool,
    ) -> BoxFuture<'_, Result<ClusterView, BackendError>> {
        Box::pin(async move {
            self.node
                .change_membership(MembershipChange::Add {
                    node_id,
                    addr,
                    learner_only,
                })
                .await
                .map_err(backend_error)?;
            Ok(view(&self.node))
        })
    }

    fn remove_node(&self, node_id: u64) -> BoxFuture<'_, Result<ClusterView, BackendError>> {
        Box::pin(async move {
            self.node
                .change_membership(MembershipChange::Remove { node_id })
                .await
                .map_err(backend_error)?;
            Ok(view(&self.node))
        })
    }
}
