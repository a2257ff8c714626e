//! [`HealthCheck`]: whether the node serves, decided from what its cluster member reports.
//! Sans-IO: it reads no clock and no metrics; the runtime (`crate::health_watch`) samples the
//! member ([`dialogd_cluster::Liveness`]), passes the time in, and reports each transition
//! (gRPC health, `GET /healthz`, `dialogd_healthy`, a log line).
//!
//! ```text
//!  inputs:  handle_leader_seen(now, at)   handle_failure(now, failure)   handle_timeout(now)
//!  outputs: poll_transition() -> Option<Health>          poll_timeout() -> Option<Instant>
//! ```
//!
//! The decision itself is [`decide`]:
//!
//! | condition | health |
//! |---|---|
//! | the Raft store failed, or openraft's core stopped ([`Failure`]) | NOT_SERVING for good (the node then exits) |
//! | no leader backed by a quorum known for `leaderless_after` or longer | NOT_SERVING until one is known |
//! | otherwise | SERVING |
//!
//! The leaderless clock starts when the check is created: a node that never finds its cluster
//! becomes NOT_SERVING `leaderless_after` after its start.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use dialogd_cluster::Failure;

/// Whether the node serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Serving,
    NotServing(Reason),
}

/// Why the node does not serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The member cannot go on: only a restart helps.
    Failed(Failure),
    /// No leader backed by a quorum has been known for `after` or longer.
    Leaderless { after: Duration },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Failed(failure) => failure.fmt(f),
            Reason::Leaderless { after } => write!(
                f,
                "no cluster leader with a quorum for {} s or more (health.leaderless_secs)",
                after.as_secs()
            ),
        }
    }
}

impl Health {
    pub fn is_serving(&self) -> bool {
        matches!(self, Health::Serving)
    }

    /// The failure that stops the node, if that is why it does not serve.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Health::NotServing(Reason::Failed(f)) => Some(f),
            _ => None,
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Health::Serving => f.write_str("serving"),
            Health::NotServing(reason) => write!(f, "not serving: {reason}"),
        }
    }
}

/// The node's health at `now`: a failure wins; then no leader since `leader_seen` for
/// `leaderless_after` or longer (`None`: never counts).
pub fn decide(
    failure: Option<&Failure>,
    leader_seen: Instant,
    now: Instant,
    leaderless_after: Option<Duration>,
) -> Health {
    if let Some(f) = failure {
        return Health::NotServing(Reason::Failed(f.clone()));
    }
    match leaderless_after {
        Some(after) if now.saturating_duration_since(leader_seen) >= after => {
            Health::NotServing(Reason::Leaderless { after })
        }
        _ => Health::Serving,
    }
}

/// The node's health over time (see the module doc).
#[derive(Debug)]
pub struct HealthCheck {
    leaderless_after: Option<Duration>,
    /// The latest instant a leader with a quorum was known.
    leader_seen: Instant,
    /// The first failure reported; it stays.
    failure: Option<Failure>,
    health: Health,
    transitions: VecDeque<Health>,
}

impl HealthCheck {
    /// A node starting at `now`, serving; `leaderless_after` `None` never counts a missing
    /// leader.
    pub fn new(now: Instant, leaderless_after: Option<Duration>) -> HealthCheck {
        HealthCheck {
            leaderless_after,
            leader_seen: now,
            failure: None,
            health: Health::Serving,
            transitions: VecDeque::new(),
        }
    }

    /// A leader with a quorum was known at `at` (not after `now`; an earlier sighting than one
    /// already reported changes nothing).
    pub fn handle_leader_seen(&mut self, now: Instant, at: Instant) {
        self.leader_seen = self.leader_seen.max(at.min(now));
        self.update(now);
    }

    /// The member cannot go on; only the first failure is kept.
    pub fn handle_failure(&mut self, now: Instant, failure: Failure) {
        if self.failure.is_none() {
            self.failure = Some(failure);
        }
        self.update(now);
    }

    /// Time has passed (at or after [`HealthCheck::poll_timeout`], or any time).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.update(now);
    }

    /// The health now.
    pub fn health(&self) -> &Health {
        &self.health
    }

    /// The next change of health, oldest first.
    pub fn poll_transition(&mut self) -> Option<Health> {
        self.transitions.pop_front()
    }

    /// When the health changes if nothing is reported meanwhile: the instant a missing leader
    /// starts to count. `None` when time alone changes nothing.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.failure.is_some() || !self.health.is_serving() {
            return None;
        }
        self.leaderless_after
            .and_then(|after| self.leader_seen.checked_add(after))
    }

    fn update(&mut self, now: Instant) {
        let health = decide(
            self.failure.as_ref(),
            self.leader_seen,
            now,
            self.leaderless_after,
        );
        if health != self.health {
            self.health = health.clone();
            self.transitions.push_back(health);
        }
    }
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
