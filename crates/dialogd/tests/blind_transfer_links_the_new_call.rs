//! Scenario: `dialogctl call transfer --side caller --to <target>` on an
//! answered call. The caller (SIPp `uac_transferee.xml`) receives a REFER in its dialog whose
//! Refer-To is the target with the link parameter `dlgd_xfer`; it answers 202, NOTIFYs 100
//! (answered by the proxy, never forwarded to the callee), places the new call to the Refer-To
//! URI through the proxy — which strips the parameter, so the target sees the destination
//! as asked — and NOTIFYs 200 once answered. The old call then ends (BYE to both legs, cause
//! `transfer`); the Events stream shows `transfer` start, notify (100), ok with the new call's
//! Call-ID (the link), then `deleted`. The same flow runs on one node (link modes param and
//! callid: the old Call-ID as the parameter), and on a three-node
//! cluster with the transfer asked of a node that does not own the call.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod events_watch;

use std::time::Duration;

use dialogd_dialog::{DialogEvent, EndCause, EventKind, Leg};
use dialogd_test_support::{
    Dialogctl, DialogdCluster, DialogdNode, Direction, Sipp, SippCall, cluster_dialog,
};

const RUN: Duration = Duration::from_secs(60);

#[test]
fn a_blind_transfer_refers_the_caller_links_its_new_call_and_ends_the_old_one() {
    let node = DialogdNode::start("").unwrap();
    blind_transfer(&node, &node.dialogctl(), "param");
}

#[test]
fn a_blind_transfer_in_callid_mode_links_by_the_old_call_id() {
    let node = DialogdNode::start("").unwrap();
    blind_transfer(&node, &node.dialogctl(), "callid");
}

#[test]
fn a_blind_transfer_works_from_a_node_that_does_not_own_the_call() {
    let cluster = DialogdCluster::start(3, "", &cluster_dialog("")).unwrap();
    blind_transfer(cluster.node(0).unwrap(), &cluster.dialogctl(2), "param");
}

/// The flow of the module doc: calls through `node` (which owns them, and whose events are
/// watched), the transfer through `ctl` with link mode `link`.
fn blind_transfer(node: &DialogdNode, ctl: &Dialogctl, link: &str) {
    let mut watch = events_watch::Watch::start(node, &[EventKind::Transfer, EventKind::Deleted]);
    let target = Sipp::uas("uas_target.xml")
        .calls(1)
        .timeout(RUN)
        .trace_messages(true)
        .spawn()
        .unwrap();
    let sipp = SippCall::new(node.sip_addr(), "uac_transferee.xml", "uas_keepalive.xml")
        .hold(Duration::from_millis(300))
        .timeout(RUN)
        .trace_messages(true)
        .spawn()
        .unwrap();
    let call = ctl.confirmed(Duration::from_secs(10)).unwrap();
    let id = call["id"].as_str().unwrap().to_owned();
    let call_id = call["call_id"].as_str().unwrap().to_owned();

    let to = format!("sip:carol@127.0.0.1:{}", target.port());
    let started = ctl
        .json(&[
            "call", "transfer", &id, "--side", "caller", "--to", &to, "--link", link,
        ])
        .unwrap();
    assert_eq!(started["status"], 202, "{started}");
    let refer_to = started["refer_to"].as_str().unwrap().to_owned();
    assert!(
        refer_to.starts_with(&format!("<{to};dlgd_xfer=")),
        "{refer_to}"
    );
    if link == "callid" {
        // The old Call-ID, escaped (SIPp's hold an `@`).
        let escaped = call_id.replace('@', "%40");
        assert!(refer_to.ends_with(&format!("={escaped}>")), "{refer_to}");
    }

    let (caller, callee) = sipp.finish().unwrap();
    let target = target.wait().unwrap();
    assert!(caller.all_successful(), "{}", caller.describe());
    assert!(target.all_successful(), "{}", target.describe());
    assert!(callee.all_successful(), "{}", callee.describe());

    // The REFER reached the caller in its dialog, with the Refer-To the API answered.
    let refer = caller.full_message(Direction::Received, "REFER").unwrap();
    assert_eq!(refer.header("Refer-To").unwrap(), refer_to);
    assert_eq!(refer.header("Call-ID").unwrap(), call_id);
    // The target saw the destination without the link parameter.
    let invite = target.full_message(Direction::Received, "INVITE").unwrap();
    assert_eq!(invite.first_line(), format!("INVITE {to} SIP/2.0"));
    let new_call_id = invite.header("Call-ID").unwrap();
    assert_eq!(new_call_id, format!("xfer///{call_id}"));
    // The NOTIFYs stayed at the proxy; the transferor got the BYE of the old call.
    assert!(
        callee.received("NOTIFY").is_empty(),
        "{}",
        callee.describe()
    );
    assert_eq!(callee.received("BYE").len(), 1, "{}", callee.describe());
    assert_eq!(caller.logged("bye_received").len(), 1);

    // start, notify, ok, deleted (old), deleted (new)
    let events = watch.take(5);
    let old: Vec<&DialogEvent> = events.iter().filter(|e| e.call_id == call_id).collect();
    let states: Vec<(&str, String)> = old
        .iter()
        .filter_map(|e| e.control.as_ref())
        .map(|c| (c.state, c.status.clone()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("start", String::new()),
            ("notify", "100".to_owned()),
            ("ok", "200".to_owned())
        ],
        "{events:?}"
    );
    let ok = old[2].control.as_ref().unwrap();
    assert_eq!(ok.leg, Leg::Caller);
    assert_eq!(ok.destination, to);
    assert_eq!(ok.other_call_id, new_call_id, "the link: {ok:?}");
    assert_eq!(old[3].kind, EventKind::Deleted);
    assert_eq!(old[3].end_cause, Some(EndCause::Transfer));
    let new_deleted = events.iter().find(|e| e.call_id == new_call_id).unwrap();
    assert_eq!(new_deleted.end_cause, Some(EndCause::ByeCaller));
}
