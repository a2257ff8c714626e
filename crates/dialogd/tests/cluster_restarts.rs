//! Scenarios:
//! - a follower killed with SIGKILL while it carries calls, and restarted on the same data dir,
//!   catches up with what was committed while it was down (its own copy of the counts agrees
//!   with the leader's), drives its calls on (the callers' BYEs go through it) and every count
//!   returns to zero;
//! - the whole cluster stopped (SIGTERM) with calls up and started again: dialog records and
//!   counts are back from disk on every node, and the calls end normally afterwards.

// Test helpers below panic on setup failures like the tests themselves.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use dialogd_test_support::{DialogdCluster, SippCall, SippPair, counted_calls_config, wait_until};

/// Long enough that no takeover happens while a node restarts.
const CLUSTER_KEYS: &str = "takeover_grace_secs = 60\n";
const RUN: Duration = Duration::from_secs(120);

/// Three members counting their calls in profile `caller`.
fn start_cluster() -> DialogdCluster {
    DialogdCluster::start(3, CLUSTER_KEYS, &counted_calls_config("", None)).unwrap()
}

fn size_on(cluster: &DialogdCluster, i: usize, user: &str, stale: bool) -> anyhow::Result<u64> {
    let mut args = vec!["profile", "size", "caller", user];
    if stale {
        args.push("--stale-ok");
    }
    let v = cluster.dialogctl(i).json(&args)?;
    v["size"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("no size in {v}"))
}

fn calls(cluster: &DialogdCluster, node: usize, user: &str, n: u64, hold: Duration) -> SippPair {
    SippCall::long(cluster.node(node).unwrap().sip_addr(), hold)
        .callee_hold(Duration::from_secs(90))
        .caller(user)
        .calls(n)
        .all_at_once()
        .timeout(RUN)
        .spawn_answered(Duration::from_secs(10))
        .unwrap()
}

fn finish(calls: SippPair, n: u64) {
    let (caller, callee) = calls.finish().unwrap();
    assert!(caller.all_successful(), "uac:\n{}", caller.describe());
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());
    assert_eq!(caller.sent("BYE").len() as u64, n, "{}", caller.describe());
    assert_eq!(
        callee.logged("bye_received").len() as u64,
        n,
        "{}",
        callee.describe()
    );
}

#[test]
fn killed_follower_restarts_catches_up_and_keeps_driving_its_calls() {
    let mut cluster = start_cluster();
    let leader = cluster.wait_voters(3).unwrap();
    let follower = (leader + 1) % 3;
    // Calls through the follower, hung up by the caller after 12 s (through the follower).
    let on_follower = calls(&cluster, follower, "bob", 3, Duration::from_secs(12));
    cluster.kill9(follower).unwrap();

    // While it is down: calls through the leader come and go, one stays up.
    finish(
        calls(&cluster, leader, "carol", 2, Duration::from_secs(3)),
        2,
    );
    let still_up = calls(&cluster, leader, "dave", 1, Duration::from_secs(8));

    cluster.restart(follower).unwrap();
    wait_until(Duration::from_secs(15), "the follower to catch up", || {
        for (user, n) in [("bob", 3), ("carol", 0), ("dave", 1)] {
            for i in 0..3 {
                let stale = size_on(&cluster, i, user, true)?;
                anyhow::ensure!(stale == n, "node {} has {user} = {stale}, want {n}", i + 1);
            }
            anyhow::ensure!(size_on(&cluster, follower, user, false)? == n);
        }
        Ok(())
    })
    .unwrap();
    // The restarted follower drives its calls again (lists are cluster-wide: ask for its own).
    let own = cluster.spec(follower).node_id.to_string();
    let listed = cluster
        .dialogctl(follower)
        .json(&["dialogs", "list", "--owner-node", &own])
        .unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(3), "{listed}");

    finish(on_follower, 3);
    finish(still_up, 1);
    wait_until(
        Duration::from_secs(15),
        "counts back to zero everywhere",
        || {
            for i in 0..3 {
                for user in ["bob", "carol", "dave"] {
                    let n = size_on(&cluster, i, user, true)?;
                    anyhow::ensure!(n == 0, "node {} {user} = {n}", i + 1);
                }
                let s = cluster.dialogctl(i).stats()?;
                anyhow::ensure!(s.active == 0 && s.early == 0, "node {} {s:?}", i + 1);
            }
            Ok(())
        },
    )
    .unwrap();
}

#[test]
fn whole_cluster_restart_brings_records_and_counts_back_from_disk() {
    let mut cluster = start_cluster();
    let mut running = Vec::new();
    for (i, user) in ["erin", "frank", "grace"].iter().enumerate() {
        running.push(calls(&cluster, i, user, 2, Duration::from_secs(20)));
    }
    // Every node lists every member's dialogs: each list must hold the same six.
    let before: Vec<String> = {
        let mut ids: Vec<String> = (0..1)
            .flat_map(|i| cluster.dialogctl(i).dialogs().unwrap())
            .map(|d| d["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(before.len(), 6);

    for i in 0..3 {
        cluster.stop(i).unwrap();
    }
    for i in 0..3 {
        cluster.restart(i).unwrap();
    }
    cluster.wait_voters(3).unwrap();
    wait_until(Duration::from_secs(15), "records and counts back", || {
        for i in 0..3 {
            for user in ["erin", "frank", "grace"] {
                let n = size_on(&cluster, i, user, false)?;
                anyhow::ensure!(n == 2, "node {} {user} = {n}", i + 1);
            }
        }
        for i in 0..3 {
            let mut ids: Vec<String> = cluster
                .dialogctl(i)
                .dialogs()?
                .iter()
                .map(|d| d["id"].as_str().unwrap_or_default().to_owned())
                .collect();
            ids.sort();
            anyhow::ensure!(
                ids == before,
                "node {}: dialogs after restart {ids:?}, before {before:?}",
                i + 1
            );
        }
        Ok(())
    })
    .unwrap();

    for calls in running {
        finish(calls, 2);
    }
    wait_until(Duration::from_secs(15), "counts back to zero", || {
        for i in 0..3 {
            let n = cluster.dialogctl(i).profile_size("caller", None)?;
            anyhow::ensure!(n == 0, "node {} caller = {n}", i + 1);
        }
        Ok(())
    })
    .unwrap();
}
