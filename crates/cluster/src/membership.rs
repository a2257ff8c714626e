//! Membership: joining through any member (`--join`), adding and removing nodes at the
//! leader, and the members view for `dialogctl cluster members`.
//!
//! A joining node sends `MembershipChange::Add` for itself to the members it was given until
//! it sees itself in the membership; whoever receives it forwards it to the leader, which adds
//! the node as a learner (it catches up) and then makes it a voter. A restarted member already
//! in the membership sends nothing.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use openraft::ChangeMembers;
use tokio::time::Instant;

use openraft::error::{ChangeMembershipError, ClientWriteError, RaftError};

use crate::cluster_node::{ClusterError, ClusterNode};
use crate::network::{ForwardError, MembershipChange, Rpc};
use crate::raft_types::{Node, NodeId};

/// A node's role in the membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Voter,
    Learner,
}

/// One member as this node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub node_id: NodeId,
    pub addr: String,
    pub role: Role,
    pub leader: bool,
    /// Leader's view: heard from within the takeover grace (this node: always).
    pub reachable: Option<bool>,
    pub last_seen: Option<Duration>,
    /// Leader's view: the last log index replicated to it.
    pub matched_index: Option<u64>,
}

/// The cluster as this node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterView {
    pub this_node: NodeId,
    pub leader: Option<NodeId>,
    pub term: u64,
    pub members: Vec<Member>,
}

impl ClusterNode {
    /// The members, their roles and (at the leader) their liveness and replication.
    pub fn view(&self) -> ClusterView {
        let m = self.raft.metrics().borrow().clone();
        let membership = m.membership_config.membership().clone();
        let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        let seen = self
            .last_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let me = self.settings.node_id;
        let is_leader = m.current_leader == Some(me);
        let members = membership
            .nodes()
            .map(|(id, node)| {
                let last = seen.get(id).map(|t| t.elapsed());
                Member {
                    node_id: *id,
                    addr: node.addr.clone(),
                    role: if voters.contains(id) {
                        Role::Voter
                    } else {
                        Role::Learner
                    },
                    leader: m.current_leader == Some(*id),
                    reachable: if *id == me {
                        Some(true)
                    } else if is_leader {
                        Some(last.is_some_and(|d| d <= self.settings.takeover_grace))
                    } else {
                        None
                    },
                    last_seen: if *id == me { None } else { last },
                    matched_index: m
                        .replication
                        .as_ref()
                        .and_then(|r| r.get(id).cloned().flatten())
                        .map(|l| l.index),
                }
            })
            .collect();
        ClusterView {
            this_node: me,
            leader: m.current_leader,
            term: m.current_term,
            members,
        }
    }

    /// Applies a membership change at the leader, forwarding it there if needed.
    pub async fn change_membership(&self, change: MembershipChange) -> Result<(), ClusterError> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = if self.is_leader() {
                self.change_as_leader(change.clone()).await
            } else if let Some((_, addr)) = self.leader() {
                let left = deadline.saturating_duration_since(Instant::now());
                match self
                    .peers
                    .call::<_, Result<(), ForwardError>>(&addr, Rpc::Join, &change, left)
                    .await
                {
                    Ok(r) => r,
                    Err(e) => Err(ForwardError::Unavailable(e.to_string())),
                }
            } else {
                Err(ForwardError::NotLeader { leader: None })
            };
            match r {
                Ok(()) => return Ok(()),
                Err(ForwardError::Rejected(m)) => return Err(ClusterError::Rejected(m)),
                Err(e) if Instant::now() >= deadline => {
                    return Err(ClusterError::Unavailable(e.to_string()));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// The leader's side of a membership change.
    pub(crate) async fn change_as_leader(
        &self,
        change: MembershipChange,
    ) -> Result<(), ForwardError> {
        let map = |e: RaftError<NodeId, ClientWriteError<NodeId, Node>>| match e {
            RaftError::APIError(ClientWriteError::ForwardToLeader(_)) => ForwardError::NotLeader {
                leader: self.leader(),
            },
            RaftError::APIError(ClientWriteError::ChangeMembershipError(
                ChangeMembershipError::InProgress(p),
            )) => ForwardError::Unavailable(p.to_string()),
            RaftError::APIError(ClientWriteError::ChangeMembershipError(c)) => {
                ForwardError::Rejected(c.to_string())
            }
            RaftError::Fatal(f) => ForwardError::Unavailable(f.to_string()),
        };
        let membership = self
            .raft
            .metrics()
            .borrow()
            .membership_config
            .membership()
            .clone();
        let mut voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        match change {
            MembershipChange::Add {
                node_id,
                addr,
                learner_only,
            } => {
                if voters.contains(&node_id) {
                    let same = membership
                        .get_node(&node_id)
                        .is_some_and(|n| n.addr == addr);
                    return if same {
                        Ok(())
                    } else {
                        Err(ForwardError::Rejected(format!(
                            "node {node_id} is already a voter at another address"
                        )))
                    };
                }
                tracing::info!(node_id, %addr, "adding node");
                self.raft
                    .add_learner(node_id, Node { addr }, true)
                    .await
                    .map_err(map)?;
                if !learner_only {
                    // openraft counts a learner within 5000 entries as caught up, even one
                    // that received nothing: promote only one that really follows the log,
                    // or a node the leader cannot reach would cost the cluster its quorum.
                    self.wait_learner_caught_up(node_id).await?;
                    // Add this one voter (not "replace the voters with the set read above":
                    // a concurrent join would be undone).
                    self.raft
                        .change_membership(ChangeMembers::AddVoterIds([node_id].into()), false)
                        .await
                        .map_err(map)?;
                }
                Ok(())
            }
            MembershipChange::Remove { node_id } => {
                if membership.get_node(&node_id).is_none() {
                    return Err(ForwardError::Rejected(format!(
                        "node {node_id} is not a member"
                    )));
                }
                voters.remove(&node_id);
                if voters.is_empty() {
                    return Err(ForwardError::Rejected(
                        "cannot remove the last voter".into(),
                    ));
                }
                tracing::info!(node_id, "removing node");
                let ids: BTreeSet<NodeId> = [node_id].into();
                // Only this node changes (a concurrent change is not undone); `retain = false`
                // drops a removed voter from the membership altogether.
                let change = if membership.voter_ids().any(|v| v == node_id) {
                    ChangeMembers::RemoveVoters(ids)
                } else {
                    ChangeMembers::RemoveNodes(ids)
                };
                self.raft
                    .change_membership(change, false)
                    .await
                    .map_err(map)?;
                Ok(())
            }
        }
    }
}

impl ClusterNode {
    /// Waits (10 s at most) until the leader has replicated to `node` everything it had when
    /// asked.
    async fn wait_learner_caught_up(&self, node: NodeId) -> Result<(), ForwardError> {
        let target = self.raft.metrics().borrow().last_log_index.unwrap_or(0);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let matched = self
                .raft
                .metrics()
                .borrow()
                .replication
                .as_ref()
                .and_then(|r| r.get(&node).cloned().flatten())
                .map(|l| l.index);
            if matched.is_some_and(|m| m >= target) {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ForwardError::Unavailable(format!(
                    "node {node} does not follow the log (matched {matched:?} of {target}); \
                     is it reachable at its address?"
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Until this node is a member, asks the `--join` members to add it.
pub(crate) fn spawn_join(node: &Arc<ClusterNode>) {
    if node.settings.join.is_empty() {
        return;
    }
    let node = node.clone();
    tokio::spawn(async move {
        let me = node.settings.node_id;
        let change = MembershipChange::Add {
            node_id: me,
            addr: node.settings.advertise.clone(),
            learner_only: false,
        };
        loop {
            let is_voter = node
                .raft
                .metrics()
                .borrow()
                .membership_config
                .membership()
                .voter_ids()
                .any(|v| v == me);
            if is_voter || node.stop.is_cancelled() {
                return;
            }
            for addr in &node.settings.join {
                let r = node
                    .peers
                    .call::<_, Result<(), ForwardError>>(
                        addr,
                        Rpc::Join,
                        &change,
                        Duration::from_secs(15),
                    )
                    .await;
                match r {
                    Ok(Ok(())) => {
                        tracing::info!(via = %addr, "joined the cluster");
                        return;
                    }
                    Ok(Err(e)) => tracing::info!(via = %addr, error = %e, "join refused, retrying"),
                    Err(e) => tracing::info!(via = %addr, error = %e, "join failed, retrying"),
                }
            }
            tokio::select! {
                () = node.stop.cancelled() => return,
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    });
}
