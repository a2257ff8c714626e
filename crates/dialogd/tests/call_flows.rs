//! Scenario: the call flows around a basic call, each through its own dialogd between a caller
//! and a callee: a ringing call cancelled by the caller, a 486 from the callee, a re-INVITE in
//! the middle of a call, a BYE from the callee side, and forged in-dialog BYEs (wrong tags; a
//! wrong `did` MAC in the Route) that are rejected while the call stays up.

use std::time::Duration;

use anyhow::{Result, anyhow, ensure};
use dialogd_test_support::{
    Dialogctl, DialogdNode, Direction, RawCall, RawSipPeer, Sipp, SippCall, SippOutcome,
    SippProcess, uri_param, wait_until,
};

const RUN: Duration = Duration::from_secs(60);
const RECV: Duration = Duration::from_secs(10);
const SETTLE: Duration = Duration::from_secs(15);

/// One traced call `call` through `node`.
fn one_call(node: &DialogdNode, call: SippCall) -> Result<(SippOutcome, SippOutcome)> {
    let outcomes = call.timeout(RUN).trace_messages(true).run()?;
    node.assert_alive();
    Ok(outcomes)
}

/// States of a dialog that is not over.
fn is_live(state: &str) -> bool {
    matches!(
        state,
        "unconfirmed" | "early" | "confirmed_na" | "confirmed"
    )
}

#[test]
fn cancel_of_a_ringing_call_fails_the_dialog_and_leaves_nothing_active() {
    let node = DialogdNode::start("").unwrap();
    let call = SippCall::new(node.sip_addr(), "uac_cancel.xml", "uas_ringing.xml");
    let (caller, callee) = one_call(&node, call).unwrap();
    assert!(caller.all_successful(), "uac:\n{}", caller.describe());
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());
    assert_eq!(caller.logged("cancelled").len(), 1, "{}", caller.describe());
    assert_eq!(
        callee.logged("cancel_received").len(),
        1,
        "{}",
        callee.describe()
    );

    let ctl = node.dialogctl();
    ctl.settled(SETTLE, "1 failed, nothing active", |s| {
        s.failed == 1 && s.active == 0 && s.early == 0
    })
    .unwrap();
    let live: Vec<_> = ctl
        .dialogs()
        .unwrap()
        .into_iter()
        .filter(|d| d["state"].as_str().is_some_and(is_live))
        .collect();
    assert!(live.is_empty(), "dialogs still live: {live:?}");
}

#[test]
fn busy_from_the_callee_is_relayed_to_the_caller_and_fails_the_dialog() {
    let node = DialogdNode::start("").unwrap();
    let call = SippCall::new(node.sip_addr(), "uac_expect_486.xml", "uas_busy.xml");
    let (caller, callee) = one_call(&node, call).unwrap();
    assert!(caller.all_successful(), "uac:\n{}", caller.describe());
    assert!(
        callee.all_successful(),
        "uas (got its ACK):\n{}",
        callee.describe()
    );
    assert_eq!(caller.logged("rejected").len(), 1, "{}", caller.describe());
    assert!(
        caller.logged("answered").is_empty(),
        "{}",
        caller.describe()
    );
    assert_eq!(callee.logged("busy").len(), 1);

    let ctl = node.dialogctl();
    ctl.settled(SETTLE, "1 failed, nothing active", |s| {
        s.failed == 1 && s.active == 0 && s.early == 0 && s.processed == 0
    })
    .unwrap();
}

#[test]
fn reinvite_mid_call_is_proxied_in_the_dialog_and_the_call_ends_processed() {
    let node = DialogdNode::start("").unwrap();
    let call = SippCall::new(node.sip_addr(), "uac_reinvite.xml", "uas_reinvite.xml")
        .hold(Duration::from_millis(500));
    let (caller, callee) = one_call(&node, call).unwrap();
    assert!(caller.all_successful(), "uac:\n{}", caller.describe());
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());
    assert_eq!(
        caller.logged("reinvite_answered").len(),
        1,
        "{}",
        caller.describe()
    );
    assert_eq!(
        callee.logged("reinvite_received").len(),
        1,
        "{}",
        callee.describe()
    );

    // The re-INVITE followed the route set and created no second dialog.
    let reinvite = caller
        .full_messages()
        .into_iter()
        .filter(|(d, m)| *d == Direction::Sent && m.method() == Some("INVITE"))
        .nth(1)
        .map(|(_, m)| m)
        .expect("a re-INVITE was sent");
    assert!(
        reinvite
            .routes()
            .iter()
            .any(|r| uri_param(r, "did").is_some()),
        "re-INVITE without dialogd's Route:\n{}",
        reinvite.text()
    );
    let ctl = node.dialogctl();
    ctl.settled(SETTLE, "1 processed, nothing active", |s| {
        s.processed == 1 && s.active == 0 && s.early == 0 && s.failed == 0
    })
    .unwrap();
}

#[test]
fn bye_from_the_callee_side_ends_the_dialog() {
    let node = DialogdNode::start("").unwrap();
    let call = SippCall::new(node.sip_addr(), "uac_long.xml", "uas_bye.xml")
        .hold(RUN)
        .callee_hold(Duration::from_millis(500));
    let (caller, callee) = one_call(&node, call).unwrap();
    assert!(caller.all_successful(), "uac:\n{}", caller.describe());
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());
    caller.assert_hung_up_on(1);
    callee.assert_logged_for("bye_sent", 1);

    let bye = callee
        .full_message(Direction::Sent, "BYE")
        .expect("the callee traced its BYE");
    assert!(
        bye.routes().iter().any(|r| uri_param(r, "did").is_some()),
        "callee BYE without dialogd's Route:\n{}",
        bye.text()
    );
    let ctl = node.dialogctl();
    ctl.settled(SETTLE, "1 processed, nothing active", |s| {
        s.processed == 1 && s.active == 0 && s.early == 0
    })
    .unwrap();
}

/// A confirmed call from a raw caller through `node` to a SIPp callee that waits for the BYE.
struct RawCallUp {
    peer: RawSipPeer,
    call: RawCall,
    callee: SippProcess,
    ctl: Dialogctl,
}

impl RawCallUp {
    fn establish(node: &DialogdNode) -> Result<RawCallUp> {
        let callee = Sipp::uas("uas.xml").calls(1).timeout(RUN).spawn()?;
        let mut peer = RawSipPeer::udp()?;
        let uri = format!("sip:service@{}", callee.addr());
        let mut call = RawCall::new(&peer, node.sip_addr(), &uri, "rawcaller");
        let ok = call.establish(&mut peer, RECV)?;
        ensure!(
            ok.status() == Some(200),
            "call not answered:\n{}",
            ok.text()
        );
        ensure!(
            call.route_set.iter().any(|r| uri_param(r, "did").is_some()),
            "no Record-Route with a did in the 200:\n{}",
            ok.text()
        );
        let up = RawCallUp {
            peer,
            call,
            callee,
            ctl: node.dialogctl(),
        };
        up.assert_still_up()?;
        Ok(up)
    }

    /// dialogd lists the call as confirmed and active, and the callee got no BYE.
    fn assert_still_up(&self) -> Result<()> {
        let call_id = self.call.call_id.clone();
        wait_until(SETTLE, "the call to be listed as confirmed", || {
            let dialogs = self.ctl.dialogs()?;
            let ours = dialogs
                .iter()
                .find(|d| d["call_id"] == call_id.as_str())
                .ok_or_else(|| anyhow!("call {call_id} not listed: {dialogs:?}"))?;
            ensure!(ours["state"] == "confirmed", "dialog {ours}");
            let s = self.ctl.stats()?;
            ensure!(s.active == 1, "stats {s:?}");
            Ok(())
        })?;
        let byes = self.callee.logged_so_far("bye_received");
        ensure!(byes.is_empty(), "the callee got a BYE: {byes:?}");
        Ok(())
    }

    /// Sends a forged copy's BYE; returns its final status.
    fn send_forged_bye(&mut self, forged: &mut RawCall) -> Result<u16> {
        let bye = forged.request("BYE");
        // The genuine BYE later must not reuse a CSeq already seen on this Call-ID.
        self.call.cseq = self.call.cseq.max(forged.cseq);
        self.peer.send_to(self.call.proxy, &bye)?;
        let cseq = forged.cseq;
        let response = self.peer.recv_until(RECV, |m| {
            m.status().is_some_and(|s| s >= 200)
                && m.cseq_number() == Some(cseq)
                && m.cseq_method().as_deref() == Some("BYE")
        })?;
        response
            .status()
            .ok_or_else(|| anyhow!("no status in {}", response.first_line()))
    }

    /// The genuine BYE ends the call: 200, the callee gets it, dialogd counts it processed.
    fn hang_up(mut self) -> Result<()> {
        let ok = self.call.send_request(&mut self.peer, "BYE", RECV)?;
        ensure!(
            ok.status() == Some(200),
            "genuine BYE got {}",
            ok.first_line()
        );
        let callee = self.callee.wait()?;
        ensure!(callee.all_successful(), "uas:\n{}", callee.describe());
        ensure!(
            callee.logged("bye_received").len() == 1,
            "{}",
            callee.describe()
        );
        self.ctl
            .settled(SETTLE, "1 processed, nothing active", |s| {
                s.processed == 1 && s.active == 0
            })?;
        Ok(())
    }
}

/// `entry` with the last character of its `did` value changed: same id, wrong MAC.
fn with_wrong_did_mac(entry: &str) -> String {
    let Some(start) = entry.find("did=").map(|i| i + 4) else {
        return entry.to_string();
    };
    let end = entry[start..]
        .find([';', '>'])
        .map_or(entry.len(), |i| start + i);
    let last = &entry[end - 1..end];
    let replacement = if last == "0" { "1" } else { "0" };
    format!("{}{replacement}{}", &entry[..end - 1], &entry[end..])
}

#[test]
fn forged_bye_with_wrong_tags_is_rejected_and_the_call_stays_up() {
    let node = DialogdNode::start("").unwrap();
    let mut up = RawCallUp::establish(&node).unwrap();

    let mut wrong_from = up.call.clone();
    wrong_from.from_tag = "forged-from-tag".into();
    let status = up.send_forged_bye(&mut wrong_from).unwrap();
    assert!(status >= 300, "BYE with a wrong From tag got {status}");
    up.assert_still_up().unwrap();

    let mut wrong_to = up.call.clone();
    wrong_to.to_tag = Some("forged-to-tag".into());
    let status = up.send_forged_bye(&mut wrong_to).unwrap();
    assert!(status >= 300, "BYE with a wrong To tag got {status}");
    up.assert_still_up().unwrap();

    node.assert_alive();
    up.hang_up().unwrap();
}

#[test]
fn forged_bye_with_a_wrong_did_mac_is_rejected_and_the_call_stays_up() {
    let node = DialogdNode::start("").unwrap();
    let mut up = RawCallUp::establish(&node).unwrap();

    let mut forged = up.call.clone();
    forged.route_set = forged
        .route_set
        .iter()
        .map(|r| with_wrong_did_mac(r))
        .collect();
    assert_ne!(forged.route_set, up.call.route_set);
    let status = up.send_forged_bye(&mut forged).unwrap();
    assert!(status >= 300, "BYE with a forged did got {status}");
    up.assert_still_up().unwrap();

    node.assert_alive();
    up.hang_up().unwrap();
}

#[test]
fn wrong_did_mac_changes_only_the_last_character_of_the_did() {
    let table = [
        (
            "<sip:127.0.0.1:5060;lr;did=00000000000000ab.cd12ef34>",
            "<sip:127.0.0.1:5060;lr;did=00000000000000ab.cd12ef30>",
        ),
        (
            "<sip:127.0.0.1:5060;did=ab.c0;lr>",
            "<sip:127.0.0.1:5060;did=ab.c1;lr>",
        ),
        ("<sip:127.0.0.1:5060;lr>", "<sip:127.0.0.1:5060;lr>"),
    ];
    for (entry, want) in table {
        assert_eq!(with_wrong_did_mac(entry), want);
    }
}
