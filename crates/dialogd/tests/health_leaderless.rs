//! Scenario: a two-node cluster loses one member, so the survivor knows no leader backed by a
//! quorum. After `health.leaderless_secs` (2 s here) it reports NOT_SERVING — gRPC health of the
//! node (`""`) and of its services, `GET /healthz` 503 with the reason, `dialogd_healthy` 0 —
//! and SERVING again once the member is back and a leader is elected. Both ways round: the
//! survivor was the leader (openraft keeps it leader without followers; the quorum's
//! acknowledgments stop) or a follower (it campaigns and never wins).

// Test helpers below panic on setup failures like the tests themselves.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use anyhow::{Result, bail};
use dialogd_test_support::{DialogdCluster, http_get, metric_sum, wait_until};

const CONFIG: &str = r#"
[dialog]
secret = "health-test-secret-0123456789"

[health]
leaderless_secs = 2
"#;

/// How long a change of health may take to show (the threshold, an election, a restart).
const SETTLE: Duration = Duration::from_secs(30);

/// Member `i`'s health as each of its reports says it, in one line.
fn reports(cluster: &DialogdCluster, i: usize) -> Result<String> {
    let ctl = cluster.dialogctl(i);
    let (node, _, node_err) = ctl.run(&["health"])?;
    let (dialogs, _, dialogs_err) = ctl.run(&["health", "--service", "dialogd.v1.Dialogs"])?;
    let metrics = cluster.spec(i).metrics;
    let (status, body) = http_get(metrics, "/healthz")?;
    let (_, exposition) = http_get(metrics, "/metrics")?;
    Ok(format!(
        "grpc \"\": {node:?} {}; grpc Dialogs: {dialogs:?} {}; /healthz: {status} {body:?}; \
         dialogd_healthy: {:?}",
        node_err.trim(),
        dialogs_err.trim(),
        metric_sum(&exposition, "dialogd_healthy")
    ))
}

fn serving(cluster: &DialogdCluster, i: usize) -> Result<()> {
    let seen = reports(cluster, i)?;
    let want = "grpc \"\": Some(0) ; grpc Dialogs: Some(0) ; /healthz: 200 \"ok\"; \
                dialogd_healthy: Some(1.0)";
    if seen != want {
        bail!("not serving everywhere yet: {seen}");
    }
    Ok(())
}

fn not_serving(cluster: &DialogdCluster, i: usize) -> Result<()> {
    let seen = reports(cluster, i)?;
    let want = [
        "grpc \"\": Some(",
        "health of \"\": NOT_SERVING",
        "health of \"dialogd.v1.Dialogs\": NOT_SERVING",
        "/healthz: 503 \"not serving: no cluster leader with a quorum for 2 s or more \
         (health.leaderless_secs)\"",
        "dialogd_healthy: Some(0.0)",
    ];
    if want.iter().any(|w| !seen.contains(w)) || seen.contains("Some(0) ") {
        bail!("still serving somewhere: {seen}");
    }
    Ok(())
}

fn survivor_is_not_serving_while_alone(kill_the_leader: bool) {
    let mut cluster = DialogdCluster::start(2, "", CONFIG).unwrap();
    let leader = cluster.wait_voters(2).unwrap();
    let (gone, survivor) = if kill_the_leader {
        (leader, 1 - leader)
    } else {
        (1 - leader, leader)
    };
    wait_until(SETTLE, "both reports serving", || {
        serving(&cluster, survivor)
    })
    .unwrap();

    cluster.kill9(gone).unwrap();
    wait_until(SETTLE, "the survivor to report NOT_SERVING", || {
        not_serving(&cluster, survivor)
    })
    .unwrap();
    let log = cluster.node(survivor).unwrap().log();
    assert!(
        log.contains("health: not serving") && log.contains("no cluster leader with a quorum"),
        "a warning names the reason; log:\n{log}"
    );
    cluster.node(survivor).unwrap().assert_alive();

    cluster.restart(gone).unwrap();
    cluster.wait_voters(2).unwrap();
    wait_until(SETTLE, "the survivor to report SERVING again", || {
        serving(&cluster, survivor)
    })
    .unwrap();
    let log = cluster.node(survivor).unwrap().log();
    assert!(
        log.contains("health: serving again"),
        "a warning says so; log:\n{log}"
    );
}

#[test]
fn a_leader_that_lost_its_follower_reports_not_serving_until_it_is_back() {
    survivor_is_not_serving_while_alone(false);
}

#[test]
fn a_follower_that_lost_its_leader_reports_not_serving_until_it_is_back() {
    survivor_is_not_serving_while_alone(true);
}
