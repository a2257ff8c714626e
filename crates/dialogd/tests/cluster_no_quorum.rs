//! Scenario ("no quorum"): two of three nodes are killed, so the survivor cannot
//! commit anything.
//! - `on_no_quorum = "reject"` (the default): a new INVITE gets 503 with Retry-After and no
//!   dialog is created; once the others are back, new calls are admitted again.
//! - `on_no_quorum = "admit_local"`: the survivor admits the call on its own view (the callee
//!   answers it), queues the admission durably, and once quorum returns the admission is
//!   committed: every node counts the call, and its end brings every count back to zero.

// Test helpers below panic on setup failures like the tests themselves.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use dialogd_test_support::{
    DialogdCluster, RawCall, RawSipPeer, SippCall, counted_calls_config, wait_until,
};

const RECV: Duration = Duration::from_secs(10);

/// The node that stays up, after killing the other two.
fn isolate(cluster: &mut DialogdCluster) -> usize {
    let leader = cluster.wait_voters(3).unwrap();
    let survivor = (leader + 1) % 3;
    for i in 0..3 {
        if i != survivor {
            cluster.kill9(i).unwrap();
        }
    }
    survivor
}

fn restart_others(cluster: &mut DialogdCluster, survivor: usize) {
    for i in 0..3 {
        if i != survivor {
            cluster.restart(i).unwrap();
        }
    }
    cluster.wait_voters(3).unwrap();
}

#[test]
fn without_quorum_a_new_call_gets_503_with_retry_after_and_no_dialog() {
    let config = counted_calls_config("", Some(5));
    let mut cluster = DialogdCluster::start(3, "write_timeout_ms = 500\n", &config).unwrap();
    let survivor = isolate(&mut cluster);
    let sip = cluster.node(survivor).unwrap().sip_addr();
    let mut peer = RawSipPeer::udp().unwrap();
    let uri = format!("sip:nobody@{}", peer.local_addr());
    let mut call = RawCall::new(&peer, sip, &uri, "alice");
    peer.send_to(sip, &call.invite()).unwrap();
    let resp = peer.recv_final(RECV, "INVITE").unwrap();
    assert_eq!(resp.status(), Some(503), "{}", resp.text());
    assert!(resp.header("Retry-After").is_some(), "{}", resp.text());
    assert!(cluster.dialogctl(survivor).dialogs().unwrap().is_empty());

    restart_others(&mut cluster, survivor);
    let (caller, _) = SippCall::basic(sip)
        .caller("alice")
        .timeout(RECV * 6)
        .run()
        .unwrap();
    assert!(caller.all_successful(), "{}", caller.describe());
}

#[test]
fn admit_local_admits_without_quorum_and_commits_when_quorum_returns() {
    let mut cluster = DialogdCluster::start(
        3,
        "write_timeout_ms = 500\non_no_quorum = \"admit_local\"\n",
        &counted_calls_config("", Some(5)),
    )
    .unwrap();
    let survivor = isolate(&mut cluster);
    let sip = cluster.node(survivor).unwrap().sip_addr();
    let call = SippCall::long(sip, Duration::from_secs(15))
        .callee_hold(Duration::from_secs(60))
        .caller("zoe")
        .timeout(Duration::from_secs(90))
        .spawn_answered(RECV)
        .unwrap();

    restart_others(&mut cluster, survivor);
    wait_until(
        Duration::from_secs(15),
        "the admission committed everywhere",
        || {
            for i in 0..3 {
                let v = cluster.dialogctl(i).json(&[
                    "profile",
                    "size",
                    "caller",
                    "zoe",
                    "--stale-ok",
                ])?;
                anyhow::ensure!(v["size"] == 1, "node {} {v}", i + 1);
            }
            Ok(())
        },
    )
    .unwrap();

    let (caller, callee) = call.finish().unwrap();
    assert!(caller.all_successful(), "{}", caller.describe());
    assert!(callee.all_successful(), "{}", callee.describe());
    wait_until(Duration::from_secs(15), "counts back to zero", || {
        for i in 0..3 {
            let n = cluster.dialogctl(i).profile_size("caller", Some("zoe"))?;
            anyhow::ensure!(n == 0, "node {} zoe = {n}", i + 1);
        }
        Ok(())
    })
    .unwrap();
}
