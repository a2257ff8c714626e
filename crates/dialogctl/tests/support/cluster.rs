//! The in-memory `ClusterBackend` of the `dialogctl` tests: node 1 leads node 2 (a voter) and
//! node 3 (an unreachable learner). Add and remove change it; removing the leader is
//! UNAVAILABLE ("not the leader"), adding a member twice FAILED_PRECONDITION.

use std::sync::Mutex;

use dialogd_api::{BackendError, BoxFuture, ClusterBackend, ClusterView, MemberView, Role};

fn member(node_id: u64, role: Role, last_seen_ms_ago: Option<u64>) -> MemberView {
    MemberView {
        node_id,
        addr: format!("http://10.0.0.{node_id}:50051"),
        role,
        leader: node_id == 1,
        reachable: node_id != 3,
        last_seen_ms_ago,
        matched_index: 50 - node_id,
    }
}

pub struct Cluster {
    pub view: Mutex<ClusterView>,
}

impl Cluster {
    pub fn new() -> Cluster {
        Cluster {
            view: Mutex::new(ClusterView {
                leader_id: Some(1),
                term: 4,
                this_node: 1,
                members: vec![
                    member(1, Role::Voter, None),
                    member(2, Role::Voter, Some(350)),
                    member(3, Role::Learner, Some(65_000)),
                ],
            }),
        }
    }
}

impl ClusterBackend for Cluster {
    fn members(&self) -> BoxFuture<'_, Result<ClusterView, BackendError>> {
        Box::pin(async { Ok(self.view.lock().unwrap().clone()) })
    }

    fn add_node(
        &self,
        node_id: u64,
        addr: String,
        learner_only: bool,
    ) -> BoxFuture<'_, Result<ClusterView, BackendError>> {
        Box::pin(async move {
            let mut view = self.view.lock().unwrap();
            if view.members.iter().any(|m| m.node_id == node_id) {
                return Err(BackendError::FailedPrecondition(format!(
                    "node {node_id} is already a member"
                )));
            }
            let role = if learner_only {
                Role::Learner
            } else {
                Role::Voter
            };
            view.members.push(MemberView {
                addr,
                ..member(node_id, role, None)
            });
            Ok(view.clone())
        })
    }

    fn remove_node(&self, node_id: u64) -> BoxFuture<'_, Result<ClusterView, BackendError>> {
        Box::pin(async move {
            let mut view = self.view.lock().unwrap();
            if view.leader_id == Some(node_id) {
                return Err(BackendError::Unavailable(format!(
                    "not the leader: node {node_id} cannot remove itself"
                )));
            }
            view.members.retain(|m| m.node_id != node_id);
            Ok(view.clone())
        })
    }
}
