//! Scenario: `dialogctl call bridge --from A --to B` (Kamailio
//! `dlg_bridge`). The `from` party (SIPp `uas_bridged.xml`) receives an INVITE from the
//! proxy with an SDP that holds the media, answers it, then receives a REFER to `to` in that
//! dialog (202), reports the new call with NOTIFYs (answered by the proxy) and receives the
//! proxy's BYE. The call is a dialog like any other: listed while it lasts, with `created`,
//! `confirmed`, `transfer` (start, notify, ok) and `deleted` (cause transfer) events.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod events_watch;

use std::time::Duration;

use dialogd_dialog::{EndCause, EventKind};
use dialogd_test_support::{DialogdNode, Direction, Sipp, wait_until};

const RUN: Duration = Duration::from_secs(60);
const TO: &str = "sip:bob@example.com";

#[test]
fn a_bridge_invites_from_refers_it_to_to_and_hangs_up() {
    // The REFER target's domain: call-control destinations pass the relay policy.
    let node =
        DialogdNode::start("[proxy]\nrelay_allow = [\"127.0.0.0/8\", \"example.com\"]\n").unwrap();
    let ctl = node.dialogctl();
    let mut watch = events_watch::Watch::start(&node, &[]);
    let from_party = Sipp::uas("uas_bridged.xml")
        .calls(1)
        .pause(Duration::from_millis(1500))
        .timeout(RUN)
        .trace_messages(true)
        .spawn()
        .unwrap();
    let from = format!("sip:alice@127.0.0.1:{}", from_party.port());

    // Bad arguments first.
    let (status, _, err) = ctl
        .run(&["call", "bridge", "--from", "alice", "--to", TO])
        .unwrap();
    assert_ne!(status, Some(0));
    assert!(
        err.contains("INVALID_ARGUMENT") && err.contains("from"),
        "{err}"
    );

    let bridged = ctl
        .json(&["call", "bridge", "--from", &from, "--to", TO])
        .unwrap();
    let id = bridged["id"].as_str().unwrap().to_owned();
    let call_id = bridged["call_id"].as_str().unwrap().to_owned();
    // Listed from the start, answered while the `from` party pauses.
    let listed = wait_until(Duration::from_secs(10), "the bridge answered", || {
        let d = ctl.dialog(&id)?;
        anyhow::ensure!(d["state"] == "confirmed", "{d}");
        Ok(d)
    })
    .unwrap();
    assert_eq!(listed["call_id"], call_id.as_str(), "{listed}");
    assert!(
        ctl.dialogs()
            .unwrap()
            .iter()
            .any(|d| d["id"] == id.as_str()),
        "not in dialogs list"
    );

    let outcome = from_party.wait().unwrap();
    assert!(outcome.all_successful(), "{}", outcome.describe());
    let msgs = outcome.full_messages();
    let received: Vec<String> = msgs
        .iter()
        .filter(|(d, m)| *d == Direction::Received && !m.is_response())
        .map(|(_, m)| m.method().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(received, ["INVITE", "ACK", "REFER", "BYE"], "{received:?}");
    let invite = outcome.full_message(Direction::Received, "INVITE").unwrap();
    assert_eq!(invite.first_line(), format!("INVITE {from} SIP/2.0"));
    assert_eq!(invite.header("Call-ID").unwrap(), call_id);
    let sdp = String::from_utf8_lossy(invite.body()).into_owned();
    assert!(sdp.contains("a=sendonly"), "{sdp}");
    let refer = outcome.full_message(Direction::Received, "REFER").unwrap();
    let refer_to = refer.header("Refer-To").unwrap();
    assert!(
        refer_to.starts_with(&format!("<{TO};dlgd_xfer=")),
        "{refer_to}"
    );

    let events = watch.until(|got| got.iter().any(|e| e.kind == EventKind::Deleted));
    let kinds: Vec<String> = events
        .iter()
        .filter(|e| e.call_id == call_id && e.kind != EventKind::Early)
        .map(|e| match &e.control {
            Some(c) => format!("{}:{}", e.kind, c.state),
            None => e.kind.to_string(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "confirmed",
            "transfer:start",
            "transfer:notify",
            "transfer:ok",
            "deleted"
        ],
        "{events:?}"
    );
    let deleted = events
        .iter()
        .find(|e| e.kind == EventKind::Deleted)
        .unwrap();
    assert_eq!(deleted.end_cause, Some(EndCause::Transfer));
    let gone = ctl.dialogs().unwrap();
    assert!(gone.iter().all(|d| d["id"] != id.as_str()), "{gone:?}");
}
