//! The in-memory `ClusterBackend`: a seeded view, a log of the add/remove calls it received,
//! and an error to inject (`fail`) that every call then returns. It answers members in reverse
//! order on purpose, so the tests prove the service sorts. Adding a member twice is
//! FAILED_PRECONDITION, removing a stranger NOT_FOUND, removing the leader UNAVAILABLE (it
//! cannot remove itself).

use std::sync::Mutex;

use dialogd_api::{BackendError, BoxFuture, ClusterBackend, ClusterView, MemberView, Role};

use super::lock;

/// The leader of the fixture views.
pub const LEADER: u64 = 1;
/// The Raft term of the fixture views.
pub const TERM: u64 = 4;

/// Member `node_id` of the fixture views: `http://10.0.0.<id>:50051`, reachable, seen
/// `100 × id` ms ago unless it leads, matched up to `50 - id`.
pub fn member(node_id: u64, role: Role) -> MemberView {
    MemberView {
        node_id,
        addr: format!("http://10.0.0.{node_id}:50051"),
        role,
        leader: node_id == LEADER,
        reachable: true,
        last_seen_ms_ago: (node_id != LEADER).then_some(100 * node_id),
        matched_index: 50 - node_id,
    }
}

/// Three nodes (1 leads, 2 votes, 3 learns), members ascending by node id.
pub fn view() -> ClusterView {
    ClusterView {
        leader_id: Some(LEADER),
        term: TERM,
        this_node: LEADER,
        members: vec![
            member(1, Role::Voter),
            member(2, Role::Voter),
            member(3, Role::Learner),
        ],
    }
}

/// [`view`] where node 2 was seen 350 ms ago and the learner 3 is unreachable, last seen
/// 65 s ago.
pub fn view_with_unreachable_learner() -> ClusterView {
    let mut view = view();
    view.members[1].last_seen_ms_ago = Some(350);
    view.members[2].reachable = false;
    view.members[2].last_seen_ms_ago = Some(65_000);
    view
}

/// One membership change the backend received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Add {
        node_id: u64,
        addr: String,
        learner_only: bool,
    },
    Remove(u64),
}

pub struct MemoryCluster {
    pub view: Mutex<ClusterView>,
    pub changes: Mutex<Vec<Change>>,
    /// When set, every call fails with this error.
    pub fail: Mutex<Option<BackendError>>,
}

impl MemoryCluster {
    pub fn new(view: ClusterView) -> MemoryCluster {
        MemoryCluster {
            view: Mutex::new(view),
            changes: Mutex::new(vec![]),
            fail: Mutex::new(None),
        }
    }

    /// The current view, members in reverse order (the service must sort).
    fn answer(&self) -> Result<ClusterView, BackendError> {
        if let Some(err) = lock(&self.fail).clone() {
            return Err(err);
        }
        let mut view = lock(&self.view).clone();
        view.members.reverse();
        Ok(view)
    }
}

impl ClusterBackend for MemoryCluster {
    fn members(&self) -> BoxFuture<'_, Result<ClusterView, BackendError>> {
        Box::pin(async { self.answer() })
    }

    fn add_node(
        &self,
        node_id: u64,
        addr: String,
        learner_only: bool,
    ) -> BoxFuture<'_, Result<ClusterView, BackendError>> {
        Box::pin(async move {
            self.answer()?;
            lock(&self.changes).push(Change::Add {
                node_id,
                addr: addr.clone(),
                learner_only,
            });
            let mut view = lock(&self.view);
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
                last_seen_ms_ago: None,
                matched_index: 0,
                ..member(node_id, role)
            });
            drop(view);
            self.answer()
        })
    }

    fn remove_node(&self, node_id: u64) -> BoxFuture<'_, Result<ClusterView, BackendError>> {
        Box::pin(async move {
            self.answer()?;
            lock(&self.changes).push(Change::Remove(node_id));
            let mut view = lock(&self.view);
            if view.leader_id == Some(node_id) {
                return Err(BackendError::Unavailable(format!(
                    "not the leader: node {node_id} cannot remove itself"
                )));
            }
            let before = view.members.len();
            view.members.retain(|m| m.node_id != node_id);
            if view.members.len() == before {
                return Err(BackendError::NotFound(format!(
                    "node {node_id} is not a member"
                )));
            }
            drop(view);
            self.answer()
        })
    }
}
