//! Scenario: calls through the leader of a three-node cluster are up
//! when the leader is killed with SIGKILL. A new leader is elected within seconds; new calls
//! are admitted again; after the takeover grace the dead node's confirmed dialogs are adopted
//! by the survivors, whose 3 s timeout still sends a BYE to both SIPp sides (from a surviving
//! node); and every count returns to exactly the number of calls still up (zero).

use std::time::{Duration, Instant};

use dialogd_test_support::{DialogdCluster, SippCall, wait_until};

const CONFIG: &str = r#"
[dialog]
secret = "cluster-test-secret-0123456789"

[[rules]]
name = "timed"
match = { method = "INVITE", from_user = "^timed$" }
timeout = 3
bye_on_timeout = true
profiles = [{ name = "caller", value = "${from_user}" }]

[[rules]]
name = "after"
match = { method = "INVITE", from_user = "^after$" }
profiles = [{ name = "caller", value = "${from_user}" }]
"#;

const CLUSTER_KEYS: &str = "takeover_grace_secs = 2\n";
const CALLS: u64 = 5;
/// Both ends would hang up only after this: the BYEs must come from dialogd.
const HOLD: Duration = Duration::from_secs(60);
const RUN: Duration = Duration::from_secs(100);

#[test]
fn killed_leaders_dialogs_are_taken_over_and_still_time_out_with_byes_to_both_legs() {
    let mut cluster = DialogdCluster::start(3, CLUSTER_KEYS, CONFIG).unwrap();
    let leader = cluster.wait_voters(3).unwrap();
    let calls = SippCall::long(cluster.node(leader).unwrap().sip_addr(), HOLD)
        .caller("timed")
        .calls(CALLS)
        .all_at_once()
        .timeout(RUN)
        .spawn_answered(Duration::from_secs(10))
        .unwrap();

    cluster.kill9(leader).unwrap();
    let killed = Instant::now();
    let new_leader = cluster.wait_leader().unwrap();
    assert_ne!(new_leader, leader);
    println!("new leader after {:?}", killed.elapsed());

    // New calls are admitted again, through a survivor.
    let (after, _) = SippCall::basic(cluster.node(new_leader).unwrap().sip_addr())
        .caller("after")
        .calls(3)
        .timeout(RUN)
        .run()
        .unwrap();
    assert!(after.all_successful(), "{}", after.describe());

    // The dead leader's dialogs time out on the survivors: one BYE to each leg of each call.
    let (caller, callee) = calls.finish().unwrap();
    assert!(caller.all_successful(), "uac:\n{}", caller.describe());
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());
    caller.assert_hung_up_on(CALLS);
    callee.assert_hung_up_on(CALLS);

    for i in cluster.running() {
        let ctl = cluster.dialogctl(i);
        wait_until(Duration::from_secs(10), "counts back to zero", || {
            let size = ctl.profile_size("caller", None)?;
            anyhow::ensure!(size == 0, "node {} caller size {size}", i + 1);
            let s = ctl.stats()?;
            anyhow::ensure!(s.active == 0 && s.early == 0, "node {} {s:?}", i + 1);
            Ok(())
        })
        .unwrap();
        cluster.node(i).unwrap().assert_alive();
    }
}
