//! [`Liveness`]: what this node's Raft member says about its own health, sampled by the node's
//! health check — whether it can go on at all ([`Failure`]) and how long ago it last knew a
//! leader backed by a quorum. It reads openraft's metrics and the store's
//! [`StoreHealth`](crate::store::StoreHealth); it decides nothing (the node's health check does).
//!
//! | this node | leader known when |
//! |---|---|
//! | follower, learner | openraft names a leader (`current_leader`; a follower that stops hearing from it starts an election, and the name is gone) |
//! | leader | a quorum acknowledged it recently: `millis_since_quorum_ack` (openraft 0.9's leader does not step down by itself when it loses its followers) |
//! | candidate | never |
//!
//! A failure is final: the store's first failed write (redb refuses every later operation), or
//! openraft's core stopped with a fatal error (`RaftMetrics::running_state`: a storage error
//! it could not retry, a panic of its core) while nobody asked it to stop.

use std::time::Duration;

use openraft::error::Fatal;

use crate::cluster_node::ClusterNode;

/// A commit that times out while the store's write in progress has run at least this long is
/// reported as a slow disk rather than a missing quorum.
const SLOW_WRITE: Duration = Duration::from_millis(250);

/// One sample of the member's health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Liveness {
    /// Why this member cannot go on, if it cannot: only a restart of the process helps.
    pub failure: Option<Failure>,
    /// How long ago this node last knew a leader backed by a quorum (zero for a follower that
    /// knows its leader); `None` while it knows none.
    pub leader_age: Option<Duration>,
}

/// Why the member cannot go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A write of the Raft store failed (a full disk, an I/O error), or openraft stopped on a
    /// storage error.
    Storage(String),
    /// openraft's core stopped for another reason (it panicked, or stopped unasked).
    Raft(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Storage(why) => write!(f, "raft storage failed: {why}"),
            Failure::Raft(why) => write!(f, "raft stopped: {why}"),
        }
    }
}

impl ClusterNode {
    /// The member's health now (see the module doc).
    pub fn liveness(&self) -> Liveness {
        let m = self.raft.metrics().borrow().clone();
        let stopped = match &m.running_state {
            Ok(()) => None,
            Err(Fatal::StorageError(e)) => Some(Failure::Storage(e.to_string())),
            Err(Fatal::Stopped) if self.stop.is_cancelled() => None,
            Err(e) => Some(Failure::Raft(e.to_string())),
        };
        // The store's own record names the first error; openraft's names its consequence.
        let failure = self
            .store_health
            .failure()
            .map(Failure::Storage)
            .or(stopped);
        let leader_age = match m.current_leader {
            None => None,
            Some(id) if id == self.settings.node_id => {
                m.millis_since_quorum_ack.map(Duration::from_millis)
            }
            Some(_) => Some(Duration::ZERO),
        };
        Liveness {
            failure,
            leader_age,
        }
    }

    /// Why a commit did not complete in time: a slow disk when the store's write in progress
    /// has run for [`SLOW_WRITE`] or more (on a cluster of one it is the only reason), else
    /// no quorum.
    pub(crate) fn why_not_committed(&self) -> String {
        match self.store_health.writing_for() {
            Some(d) if d >= SLOW_WRITE => {
                format!("slow disk: the raft log write in progress has taken {d:.1?}")
            }
            _ => "no quorum".into(),
        }
    }
}
