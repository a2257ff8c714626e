//! Scenario: three real `dialogd` processes on 127.0.0.1 form a
//! cluster through `cluster.join`; `dialogctl cluster members` on every node shows three voters
//! and one leader. Then three SIPp uacs, one per node, each offer 40 concurrent long calls from
//! `alice`, whose profile `caller/alice` has a limit of 10 on every node: exactly 10 calls are
//! answered cluster-wide and 110 rejected with 486; the profile size is 10 on every node (also
//! its own, possibly stale, copy once caught up) and never above 10 at any poll.

use std::time::Duration;

use dialogd_test_support::serde_json::Value;
use dialogd_test_support::{DialogdCluster, Sipp, wait_until};

const CONFIG: &str = r#"
[dialog]
secret = "cluster-test-secret-0123456789"

[[rules]]
name = "per-caller"
match = { method = "INVITE", from_user = "^alice$" }
profiles = [{ name = "caller", value = "${from_user}", limit = 10 }]
"#;

const PER_NODE: u64 = 40;
const LIMIT: u64 = 10;
const HOLD: Duration = Duration::from_secs(20);
const RUN: Duration = Duration::from_secs(120);

#[test]
fn three_nodes_form_a_cluster_and_a_limit_of_ten_holds_across_them() {
    let cluster = DialogdCluster::start(3, "", CONFIG).unwrap();

    // Must-show 1: every node sees three voters and the same single leader.
    for i in 0..3 {
        let v = cluster.members(i).unwrap();
        let members = v["members"].as_array().unwrap();
        assert_eq!(members.len(), 3, "{v}");
        assert!(members.iter().all(|m| m["role"] == "voter"), "{v}");
        let leaders: Vec<&Value> = members.iter().filter(|m| m["leader"] == true).collect();
        assert_eq!(leaders.len(), 1, "{v}");
        assert_eq!(leaders[0]["node_id"], v["leader_id"], "{v}");
    }

    // Must-show 2: 3 × 40 calls from alice, one uac per node, to one callee.
    let uas = Sipp::uas("uas.xml")
        .calls(LIMIT)
        .timeout(RUN)
        .spawn()
        .unwrap();
    let uacs: Vec<_> = (0..3)
        .map(|i| {
            Sipp::uac("uac_expect_486.xml", cluster.node(i).unwrap().sip_addr())
                .uas_port(uas.port())
                .caller("alice")
                .calls(PER_NODE)
                .rate(PER_NODE as f64)
                .limit(PER_NODE)
                .pause(HOLD)
                .timeout(RUN)
                .spawn()
                .unwrap()
        })
        .collect();

    let total = 3 * PER_NODE;
    let mut max_seen = 0;
    wait_until(Duration::from_secs(30), "every INVITE answered", || {
        for i in 0..3 {
            let size = cluster.dialogctl(i).profile_size("caller", Some("alice"))?;
            max_seen = max_seen.max(size);
        }
        let answered: u64 = uacs
            .iter()
            .map(|u| u.logged_so_far("answered").len() as u64)
            .sum();
        let rejected: u64 = uacs
            .iter()
            .map(|u| u.logged_so_far("rejected").len() as u64)
            .sum();
        anyhow::ensure!(
            answered + rejected == total,
            "{answered} answered, {rejected} rejected"
        );
        anyhow::ensure!(answered == LIMIT, "{answered} answered");
        Ok(())
    })
    .unwrap();
    assert!(max_seen <= LIMIT, "profile size reached {max_seen}");

    // While the calls are up: 10 on every node, linearizable and from each node's own copy.
    for i in 0..3 {
        let ctl = cluster.dialogctl(i);
        assert_eq!(ctl.profile_size("caller", Some("alice")).unwrap(), LIMIT);
        wait_until(
            Duration::from_secs(5),
            "the node's own copy to agree",
            || {
                let v = ctl.json(&["profile", "size", "caller", "alice", "--stale-ok"])?;
                anyhow::ensure!(v["size"] == LIMIT, "stale size {v}");
                Ok(())
            },
        )
        .unwrap();
    }

    let mut answered = 0;
    let mut busy = 0;
    let mut last = None;
    for uac in uacs {
        let outcome = uac.wait().unwrap();
        assert!(outcome.all_successful(), "uac:\n{}", outcome.describe());
        answered += outcome.logged("answered").len() as u64;
        busy += outcome.received_calls("SIP/2.0 486").len() as u64;
        last = Some(outcome);
    }
    assert_eq!((answered, busy), (LIMIT, total - LIMIT));
    let callee = uas.finish_after(&last.unwrap()).unwrap();
    assert_eq!(callee.received_calls("INVITE").len() as u64, LIMIT);
    wait_until(Duration::from_secs(20), "the profile to empty", || {
        for i in 0..3 {
            let size = cluster.dialogctl(i).profile_size("caller", Some("alice"))?;
            anyhow::ensure!(size == 0, "node {} says {size}", i + 1);
            // Cluster-wide stats agree on every node: 10 processed, nothing up.
            let st = cluster.dialogctl(i).json(&["stats"])?;
            let c = &st["cluster"];
            anyhow::ensure!(
                c["processed"] == LIMIT && c["active"] == 0 && c["early"] == 0,
                "node {} stats {st}",
                i + 1
            );
        }
        Ok(())
    })
    .unwrap();
    for i in 0..3 {
        cluster.node(i).unwrap().assert_alive();
    }
}
