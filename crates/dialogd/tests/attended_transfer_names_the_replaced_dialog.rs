//! Scenario: two answered calls through the proxy, A (caller A1, callee
//! A2) and B (caller B1, callee B2). `dialogctl call transfer A --side caller --replaces B
//! --replaces-side callee` sends A1 a REFER whose Refer-To is B2's Contact with a Replaces
//! header naming B as B2 sees it: B's Call-ID, `to-tag` B2's tag, `from-tag` B1's tag (RFC
//! 3891 §3). A `transfer` start event of A carries B's Call-ID.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod events_watch;

use std::time::Duration;

use dialogd_dialog::{EventKind, Leg};
use dialogd_test_support::{DialogdNode, Direction, SippCall, SippPair, wait_until};

const RUN: Duration = Duration::from_secs(60);

/// `%XX` escapes decoded.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A call from `caller` (From user) to a fresh `uas_keepalive.xml` callee through `node`.
fn call(node: &DialogdNode, caller: &str) -> SippPair {
    SippCall::new(node.sip_addr(), "uac_keepalive.xml", "uas_keepalive.xml")
        .caller(caller)
        .timeout(RUN)
        .uac_with(|uac| uac.trace_messages(true))
        .spawn()
        .unwrap()
}

#[test]
fn an_attended_transfer_refers_with_replaces_naming_the_other_calls_leg() {
    let node = DialogdNode::start("").unwrap();
    let ctl = node.dialogctl();
    let mut watch = events_watch::Watch::start(&node, &[EventKind::Transfer]);
    let SippPair { uac: a1, uas: a2 } = call(&node, "alice");
    let SippPair { uac: b1, uas: b2 } = call(&node, "bob");
    let (a, b) = wait_until(Duration::from_secs(10), "both calls confirmed", || {
        let dialogs = ctl.dialogs()?;
        let by = |user: &str| {
            dialogs
                .iter()
                .find(|d| {
                    d["state"] == "confirmed"
                        && d["caller"]["uri"].as_str().unwrap_or("").contains(user)
                })
                .cloned()
        };
        match (by("alice"), by("bob")) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => anyhow::bail!("not yet: {dialogs:?}"),
        }
    })
    .unwrap();
    let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let b = ctl.dialog(b_id).unwrap();

    let started = ctl
        .json(&[
            "call",
            "transfer",
            a_id,
            "--side",
            "caller",
            "--replaces",
            b_id,
            "--replaces-side",
            "callee",
        ])
        .unwrap();
    assert_eq!(started["status"], 202, "{started}");

    wait_until(Duration::from_secs(5), "the REFER at A1", || {
        anyhow::ensure!(!a1.logged_so_far("refer_received").is_empty(), "not yet");
        Ok(())
    })
    .unwrap();
    for id in [a_id, b_id] {
        ctl.json(&["call", "end", id]).unwrap();
    }
    for p in [a1, a2, b1, b2] {
        let o = p.wait().unwrap();
        assert!(o.all_successful(), "{}", o.describe());
        if let Some(refer) = o.full_message(Direction::Received, "REFER") {
            let refer_to = refer.header("Refer-To").unwrap();
            assert_eq!(
                refer.header("Call-ID").unwrap(),
                a["call_id"].as_str().unwrap()
            );
            let inner = refer_to.trim_start_matches('<').trim_end_matches('>');
            let (uri, headers) = inner.split_once('?').unwrap();
            assert_eq!(uri, b["callee"]["contact"].as_str().unwrap(), "{refer_to}");
            let replaces = unescape(headers.strip_prefix("Replaces=").unwrap());
            let want = format!(
                "{};to-tag={};from-tag={}",
                b["call_id"].as_str().unwrap(),
                b["callee"]["tag"].as_str().unwrap(),
                b["caller"]["tag"].as_str().unwrap()
            );
            assert_eq!(replaces, want, "{refer_to}");
        }
    }

    let start = watch.take(1).remove(0);
    let c = start.control.as_ref().unwrap();
    assert_eq!((c.state, c.leg), ("start", Leg::Caller), "{start:?}");
    assert_eq!(start.call_id, a["call_id"].as_str().unwrap());
    assert_eq!(c.other_call_id, b["call_id"].as_str().unwrap());
}
