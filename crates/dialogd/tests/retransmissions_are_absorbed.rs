//! Retransmissions that reach the proxy after a transaction's final response went out, when
//! the transaction is kept as data (`crates/proxy/src/transaction/finished.rs`) instead of a task:
//! - the caller's INVITE again after its 200: absorbed (RFC 6026 Accepted) — the callee sees
//!   no second INVITE and there is still one dialog;
//! - a CANCEL of that answered INVITE: 200, nothing changes (RFC 3261 §16.10);
//! - the caller's BYE again after its 200: the same 200 again (§17.2.2 Completed), the callee
//!   sees one BYE;
//! - the callee's 200 to the BYE again: absorbed (§17.1.2.2), the caller gets no second one;
//! - and meanwhile no transaction task is left running: they ended with their final
//!   responses (timers J and L, 32 s, run in the table, not in a task).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::time::Duration;

use dialogd_test_support::{DialogdNode, RawCall, RawCallee, RawSipPeer, http_get, wait_until};

const RECV: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_secs(1);

/// The CANCEL of `invite` (same Via and branch, same CSeq number, no body).
fn cancel_of(invite: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(invite.to_vec()).unwrap();
    let head = text.split("\r\n\r\n").next().unwrap();
    let mut lines: Vec<String> = Vec::new();
    for (i, line) in head.lines().enumerate() {
        if i == 0 {
            lines.push(line.replacen("INVITE", "CANCEL", 1));
        } else if line.starts_with("CSeq:") {
            lines.push(line.replace("INVITE", "CANCEL"));
        } else if line.starts_with("Content-") || line.starts_with("Contact:") {
            continue;
        } else {
            lines.push(line.to_owned());
        }
    }
    format!("{}\r\nContent-Length: 0\r\n\r\n", lines.join("\r\n")).into_bytes()
}

#[test]
fn retransmissions_after_the_final_response_are_absorbed_or_answered_again() {
    let node = DialogdNode::start("").unwrap();
    let sip = node.sip_addr();
    let ctl = node.dialogctl();
    let mut caller = RawSipPeer::udp().unwrap();
    let mut callee = RawCallee::new().unwrap();
    let mut call = RawCall::new(&caller, sip, &callee.uri(), "alice");

    let invite = call.invite();
    caller.send_to(sip, &invite).unwrap();
    callee.answer("INVITE", RECV).unwrap();
    let ok = caller.recv_final(RECV, "INVITE").unwrap();
    assert_eq!(ok.status(), Some(200), "{}", ok.text());
    call.accept(&ok).unwrap();
    caller.send_to(sip, &call.ack()).unwrap();
    callee.expect("ACK", RECV).unwrap();

    // The INVITE again: absorbed, no second INVITE downstream, still one dialog.
    caller.send_to(sip, &invite).unwrap();
    callee.assert_no("INVITE", QUIET);
    assert_eq!(ctl.dialogs().unwrap().len(), 1);

    // A CANCEL of the answered INVITE: 200, the call stays up.
    caller.send_to(sip, &cancel_of(&invite)).unwrap();
    let cancelled = caller.recv_final(RECV, "CANCEL").unwrap();
    assert_eq!(cancelled.status(), Some(200), "{}", cancelled.text());
    assert_eq!(ctl.dialogs().unwrap().len(), 1);

    // The BYE, then the same BYE again: the same 200 again, one BYE at the callee.
    let bye = call.request("BYE");
    caller.send_to(sip, &bye).unwrap();
    let got = callee.answer("BYE", RECV).unwrap();
    let first = caller.recv_final(RECV, "BYE").unwrap();
    assert_eq!(first.status(), Some(200), "{}", first.text());
    caller.send_to(sip, &bye).unwrap();
    let again = caller.recv_final(RECV, "BYE").unwrap();
    assert_eq!(
        again.text(),
        first.text(),
        "the final response, as sent the first time"
    );
    callee.assert_no("BYE", QUIET);
    let metrics = node.endpoints().metrics;
    wait_until(Duration::from_secs(3), "no transaction task left", || {
        let (_, text) = http_get(metrics, "/metrics")?;
        let tasks = text
            .lines()
            .find(|l| l.starts_with("dialogd_transactions{kind=\"proxied\"}"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok());
        match tasks {
            Some(0.0) => Ok(()),
            other => anyhow::bail!("dialogd_transactions{{kind=\"proxied\"}} = {other:?}"),
        }
    })
    .unwrap();

    // The callee's 200 to the BYE again: absorbed by the proxy's client transaction.
    let contact = callee.uri();
    let ok = got.response(200, "OK", dialogd_test_support::CALLEE_TAG, Some(&contact));
    callee.peer.send_to(got.source.unwrap(), &ok).unwrap();
    let extra = caller.recv_until(QUIET, |m| m.status().is_some());
    assert!(extra.is_err(), "a second 200 reached the caller: {extra:?}");
    assert!(ctl.dialogs().unwrap().is_empty());
    node.assert_alive();
}
