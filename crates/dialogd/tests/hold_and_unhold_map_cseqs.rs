//! Scenario: `dialogctl call hold` puts an answered call on hold: each
//! leg gets a re-INVITE from the proxy offering its peer's SDP with `a=sendonly` and a raised
//! session version, answered 200 and ACKed by the proxy; a second hold is FAILED_PRECONDITION;
//! `call unhold` re-INVITEs both legs with the direction back (version raised again). Then
//! the caller sends its own re-INVITE and BYE with its own CSeq numbers: the callee receives
//! them shifted above the proxy's two re-INVITEs (and accepts both), and the caller gets the
//! responses back with the numbers it used. The Events stream reports `hold` start and ok for
//! each leg and action. The same flow runs on one node, and on a three-node cluster with
//! every `dialogctl call` sent to a node that does not own the call (forwarded to the owner).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod events_watch;

use std::time::Duration;

use dialogd_dialog::{EventKind, Leg};
use dialogd_test_support::{
    Dialogctl, DialogdCluster, DialogdNode, Direction, SipMessage, SippCall, cluster_dialog,
};

const RUN: Duration = Duration::from_secs(60);

/// The requests `method` in `direction` of a traced SIPp run, in order.
fn requests(messages: &[(Direction, SipMessage)], dir: Direction, method: &str) -> Vec<SipMessage> {
    messages
        .iter()
        .filter(|(d, m)| *d == dir && m.method() == Some(method))
        .map(|(_, m)| m.clone())
        .collect()
}

fn body(m: &SipMessage) -> String {
    String::from_utf8_lossy(m.body()).into_owned()
}

/// The session version of an SDP body's `o=` line.
fn version(sdp: &str) -> u64 {
    let o = sdp.lines().find(|l| l.starts_with("o=")).unwrap();
    o.split_whitespace().nth(2).unwrap().parse().unwrap()
}

#[test]
fn hold_and_unhold_reinvite_both_legs_and_the_callers_later_requests_stay_in_order() {
    let node = DialogdNode::start("").unwrap();
    hold_and_unhold(&node, &node.dialogctl());
}

#[test]
fn hold_and_unhold_work_from_a_node_that_does_not_own_the_call() {
    let cluster = DialogdCluster::start(3, "", &cluster_dialog("")).unwrap();
    hold_and_unhold(cluster.node(0).unwrap(), &cluster.dialogctl(1));
}

/// The flow of the module doc: calls through `node` (which owns them, and whose events are
/// watched), every command through `ctl`.
fn hold_and_unhold(node: &DialogdNode, ctl: &Dialogctl) {
    let mut watch = events_watch::Watch::start(node, &[EventKind::Hold]);
    let call = SippCall::new(node.sip_addr(), "uac_hold.xml", "uas_hold.xml")
        .hold(Duration::from_millis(300))
        .timeout(RUN)
        .trace_messages(true)
        .spawn()
        .unwrap();
    let id = ctl.confirmed(Duration::from_secs(10)).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let held = ctl.json(&["call", "hold", &id]).unwrap();
    let legs = held["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 2, "{held}");
    for leg in legs {
        assert_eq!(leg["status"], 200, "{held}");
    }
    let (status, out, err) = ctl.run(&["call", "hold", &id]).unwrap();
    assert_ne!(status, Some(0), "second hold succeeded: {out}");
    assert!(
        err.contains("FAILED_PRECONDITION") && err.contains("already on hold"),
        "{err}"
    );
    let resumed = ctl.json(&["call", "unhold", &id]).unwrap();
    assert_eq!(resumed["legs"].as_array().unwrap().len(), 2, "{resumed}");
    let (status, _, err) = ctl.run(&["call", "unhold", &id]).unwrap();
    assert_ne!(status, Some(0));
    assert!(err.contains("not on hold"), "{err}");

    let (caller, callee) = call.finish().unwrap();
    assert!(caller.all_successful(), "{}", caller.describe());
    assert!(callee.all_successful(), "{}", callee.describe());

    // Both legs: hold offers the peer's SDP sendonly with version + 1, unhold the same
    // SDP without sendonly and version + 2.
    let caller_msgs = caller.full_messages();
    let callee_msgs = callee.full_messages();
    let peer_sdp = |msgs: &[(Direction, SipMessage)], dir: Direction, first_line: &str| {
        let m = msgs
            .iter()
            .find(|(d, m)| *d == dir && m.first_line().starts_with(first_line))
            .map(|(_, m)| body(m))
            .unwrap();
        version(&m)
    };
    // What each leg first saw of its peer: the caller the callee's 200, the callee the INVITE.
    let callee_version = peer_sdp(&caller_msgs, Direction::Received, "SIP/2.0 200");
    let caller_version = peer_sdp(&callee_msgs, Direction::Received, "INVITE");
    for (name, msgs, peer_version) in [
        ("caller", &caller_msgs, callee_version),
        ("callee", &callee_msgs, caller_version),
    ] {
        let invites = requests(msgs, Direction::Received, "INVITE");
        // The callee's first INVITE is the call itself.
        let from_proxy = if name == "callee" {
            &invites[1..3]
        } else {
            &invites[0..2]
        };
        let (hold, unhold) = (body(&from_proxy[0]), body(&from_proxy[1]));
        assert!(hold.contains("a=sendonly"), "{name} hold offer: {hold}");
        assert_eq!(version(&hold), peer_version + 1, "{name}: {hold}");
        assert!(!unhold.contains("a=sendonly"), "{name} unhold: {unhold}");
        assert!(!unhold.contains("a=inactive"), "{name} unhold: {unhold}");
        assert_eq!(version(&unhold), peer_version + 2, "{name}: {unhold}");
        assert!(
            from_proxy[0].cseq_number() < from_proxy[1].cseq_number(),
            "{name}: the proxy's re-INVITEs rise"
        );
        // Each 200 was ACKed by the proxy with the re-INVITE's CSeq.
        let acks = requests(msgs, Direction::Received, "ACK");
        for inv in from_proxy {
            assert!(
                acks.iter().any(|a| a.cseq_number() == inv.cseq_number()),
                "{name}: no ACK for CSeq {:?}",
                inv.cseq_number()
            );
        }
    }

    // CSeq mapping: the callee saw the proxy's 2 re-INVITEs in the caller's space, so the
    // caller's own re-INVITE and BYE arrive 2 higher, and go back unshifted.
    let sent_invites = requests(&caller_msgs, Direction::Sent, "INVITE");
    let own = sent_invites.last().unwrap().cseq_number().unwrap();
    let own_bye = requests(&caller_msgs, Direction::Sent, "BYE")[0]
        .cseq_number()
        .unwrap();
    let callee_invites = requests(&callee_msgs, Direction::Received, "INVITE");
    let cseqs: Vec<u32> = callee_invites
        .iter()
        .map(|m| m.cseq_number().unwrap())
        .collect();
    assert_eq!(cseqs.len(), 4, "{cseqs:?}");
    assert!(cseqs.windows(2).all(|w| w[0] < w[1]), "{cseqs:?}");
    assert_eq!(cseqs[3], own + 2, "{cseqs:?}, caller sent {own}");
    let callee_bye = requests(&callee_msgs, Direction::Received, "BYE")[0]
        .cseq_number()
        .unwrap();
    assert_eq!(callee_bye, own_bye + 2);
    let answers: Vec<u32> = caller_msgs
        .iter()
        .filter(|(d, m)| *d == Direction::Received && m.status() == Some(200))
        .filter_map(|(_, m)| m.cseq_number())
        .collect();
    assert!(
        answers.contains(&own) && answers.contains(&own_bye),
        "{answers:?}"
    );

    // Events: hold start + ok per leg, then unhold start + ok per leg.
    let events = watch.take(8);
    let seen: Vec<(String, Leg, String)> = events
        .iter()
        .map(|e| {
            let c = e.control.as_ref().unwrap();
            (c.action.to_owned(), c.leg, c.state.to_owned())
        })
        .collect();
    for action in ["hold", "unhold"] {
        for leg in [Leg::Caller, Leg::Callee] {
            for state in ["start", "ok"] {
                assert!(
                    seen.contains(&(action.to_owned(), leg, state.to_owned())),
                    "{action} {leg:?} {state} missing: {seen:?}"
                );
            }
        }
    }
}
