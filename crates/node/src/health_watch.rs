//! The runtime of the node's [`HealthCheck`]: a task that samples this node's cluster member
//! ([`ClusterNode::liveness`]) every [`SAMPLE`] (and at the check's own deadline), feeds the
//! check, and reports each transition — the [`Health`] watch `GET /healthz` reads, the serving
//! flag the gRPC health service follows, the `dialogd_healthy` gauge (1 serving, 0 not) and a
//! log line with the reason (a warning; an error for a failure, after which the node stops).
//!
//! ```text
//!  ClusterNode::liveness() ──every SAMPLE──▶ HealthCheck ──transition──▶ watch<Health>  (/healthz, run: exit on failure)
//!                                                                   ├──▶ watch<bool>    (gRPC health)
//!                                                                   └──▶ dialogd_healthy, log
//! ```
//!
//! Must not decide anything itself (`crate::health` does) nor stop the node (`crate::run`
//! waits for [`HealthWatch::failed`] and shuts down).

use std::sync::Arc;
use std::time::{Duration, Instant};

use dialogd_cluster::{ClusterNode, Failure, Liveness};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::health::{Health, HealthCheck};

/// How often the member is sampled: how late a failure or a leader seen again is noticed.
pub const SAMPLE: Duration = Duration::from_millis(200);

/// The node's health as the task reports it.
#[derive(Debug, Clone)]
pub struct HealthWatch {
    /// The health now (`GET /healthz`).
    pub health: watch::Receiver<Health>,
    /// Whether the node serves (the gRPC health service).
    pub serving: watch::Receiver<bool>,
}

impl HealthWatch {
    /// Completes with the failure once the member has failed; never while it has not.
    pub async fn failed(&self) -> Failure {
        let mut health = self.health.clone();
        // An error: the task ended (the node is stopping), no failure to report.
        let failure = health
            .wait_for(|h| h.failure().is_some())
            .await
            .ok()
            .and_then(|h| h.failure().cloned());
        match failure {
            Some(f) => f,
            None => std::future::pending().await,
        }
    }
}

/// Starts the task for `node` (the leaderless clock starts now) until `stop` is cancelled.
pub fn spawn(
    node: Arc<ClusterNode>,
    leaderless_after: Option<Duration>,
    stop: CancellationToken,
) -> HealthWatch {
    let (health_tx, health) = watch::channel(Health::Serving);
    let (serving_tx, serving) = watch::channel(true);
    metrics::gauge!("dialogd_healthy").set(1.0);
    let check = HealthCheck::new(Instant::now(), leaderless_after);
    tokio::spawn(async move {
        run(&node, check, &health_tx, &serving_tx, &stop).await;
    });
    HealthWatch { health, serving }
}

async fn run(
    node: &ClusterNode,
    mut check: HealthCheck,
    health: &watch::Sender<Health>,
    serving: &watch::Sender<bool>,
    stop: &CancellationToken,
) {
    loop {
        let now = Instant::now();
        feed(&mut check, now, node.liveness());
        while let Some(next) = check.poll_transition() {
            report(&health.borrow(), &next);
            serving.send_replace(next.is_serving());
            health.send_replace(next);
        }
        let wake = check
            .poll_timeout()
            .map_or(now + SAMPLE, |t| t.min(now + SAMPLE));
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
}

/// One sample into the check.
fn feed(check: &mut HealthCheck, now: Instant, live: Liveness) {
    if let Some(at) = live.leader_age.and_then(|age| now.checked_sub(age)) {
        check.handle_leader_seen(now, at);
    }
    if let Some(failure) = live.failure {
        check.handle_failure(now, failure);
    }
    check.handle_timeout(now);
}

/// The gauge and the log line of a transition from `before` to `now`.
fn report(before: &Health, now: &Health) {
    metrics::gauge!("dialogd_healthy").set(if now.is_serving() { 1.0 } else { 0.0 });
    match now {
        Health::Serving => {
            tracing::warn!(before = %before, "health: serving again");
        }
        Health::NotServing(reason) if now.failure().is_some() => {
            tracing::error!(%reason, "health: not serving; the node stops");
        }
        Health::NotServing(reason) => {
            tracing::warn!(%reason, "health: not serving");
        }
    }
}
