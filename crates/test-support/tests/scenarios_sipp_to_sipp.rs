//! Scenario: every SIPp scenario pair of `scenarios/` run directly uac → uas (no proxy between
//! them), over UDP and TCP, so that a failing dialogd test points at dialogd and not at a
//! scenario; plus the raw SIP peer placing a call to a SIPp uas.

use std::time::Duration;

use anyhow::{Result, ensure};

use dialogd_test_support::{RawCall, RawSipPeer, Sipp, SippCall, SippOutcome, Transport};

const RUN: Duration = Duration::from_secs(60);
const RECV: Duration = Duration::from_secs(10);

/// Runs `calls` calls of `call` (its caller straight at its callee), both sides on
/// `transport`; checks every call of both sides succeeded.
fn direct(call: SippCall, calls: u64, transport: Transport) -> Result<(SippOutcome, SippOutcome)> {
    let (caller, callee) = call.transport(transport).calls(calls).timeout(RUN).run()?;
    ensure!(caller.all_successful(), "uac:\n{}", caller.describe());
    ensure!(callee.all_successful(), "uas:\n{}", callee.describe());
    ensure!(caller.successful == calls, "uac:\n{}", caller.describe());
    ensure!(callee.successful == calls, "uas:\n{}", callee.describe());
    Ok((caller, callee))
}

#[test]
fn uac_and_uas_complete_calls_over_udp_and_tcp() {
    for (transport, calls) in [(Transport::Udp, 20), (Transport::Tcp, 10)] {
        let (caller, callee) = direct(
            SippCall::direct("uac.xml", "uas.xml")
                .rate(50.0)
                .caller("alice"),
            calls,
            transport,
        )
        .unwrap();
        assert_eq!(caller.logged("answered").len() as u64, calls);
        assert_eq!(callee.logged("bye_received").len() as u64, calls);
        // The request-URI names the callee with the transport.
        let invite = &caller.sent("INVITE")[0];
        assert!(
            invite
                .first_line
                .contains(&format!(";transport={}", transport.via_token())),
            "{}",
            invite.first_line
        );
    }
}

#[test]
fn uac_long_accepts_a_bye_from_the_callee_side() {
    for transport in [Transport::Udp, Transport::Tcp] {
        let (caller, callee) = direct(
            SippCall::direct("uac_long.xml", "uas_bye.xml")
                .hold(Duration::from_secs(30))
                .callee_hold(Duration::from_millis(300)),
            1,
            transport,
        )
        .unwrap();
        caller.assert_hung_up_on(1);
        callee.assert_logged_for("bye_sent", 1);
    }
}

#[test]
fn uas_long_accepts_a_bye_while_pausing_or_hangs_up_itself() {
    // The caller hangs up first: the callee's BYE recv (optional="global") takes it.
    let (caller, callee) = direct(
        SippCall::direct("uac_long.xml", "uas_long.xml")
            .hold(Duration::from_millis(300))
            .callee_hold(Duration::from_secs(30)),
        2,
        Transport::Udp,
    )
    .unwrap();
    caller.assert_logged_for("bye_sent", 2);
    callee.assert_logged_for("bye_received", 2);

    // The callee hangs up first.
    let (caller, callee) = direct(
        SippCall::direct("uac_long.xml", "uas_long.xml")
            .hold(Duration::from_secs(30))
            .callee_hold(Duration::from_millis(300)),
        2,
        Transport::Udp,
    )
    .unwrap();
    caller.assert_logged_for("bye_received", 2);
    callee.assert_logged_for("bye_sent", 2);
}

#[test]
fn uac_cancel_cancels_a_ringing_uas() {
    for transport in [Transport::Udp, Transport::Tcp] {
        let (caller, callee) = direct(
            SippCall::direct("uac_cancel.xml", "uas_ringing.xml"),
            1,
            transport,
        )
        .unwrap();
        assert_eq!(caller.logged("cancelled").len(), 1, "{}", caller.describe());
        assert_eq!(callee.logged("cancel_received").len(), 1);
        assert!(
            caller.received("SIP/2.0 200").len() == 1,
            "{}",
            caller.describe()
        );
    }
}

#[test]
fn uac_expect_486_counts_rejected_and_answered_calls() {
    let (caller, _) = direct(
        SippCall::direct("uac_expect_486.xml", "uas_busy.xml").rate(20.0),
        3,
        Transport::Udp,
    )
    .unwrap();
    assert_eq!(caller.logged("rejected").len(), 3, "{}", caller.describe());
    assert!(caller.logged("answered").is_empty());

    let (caller, _) = direct(
        SippCall::direct("uac_expect_486.xml", "uas.xml").rate(20.0),
        2,
        Transport::Udp,
    )
    .unwrap();
    assert_eq!(caller.logged("answered").len(), 2, "{}", caller.describe());
    assert!(caller.logged("rejected").is_empty());
}

#[test]
fn uac_reinvite_is_answered_by_uas_reinvite() {
    for transport in [Transport::Udp, Transport::Tcp] {
        let (caller, callee) = direct(
            SippCall::direct("uac_reinvite.xml", "uas_reinvite.xml")
                .hold(Duration::from_millis(200)),
            1,
            transport,
        )
        .unwrap();
        assert_eq!(caller.logged("reinvite_answered").len(), 1);
        assert_eq!(callee.logged("reinvite_received").len(), 1);
        assert_eq!(callee.received("INVITE").len(), 2, "{}", callee.describe());
    }
}

#[test]
fn raw_call_places_a_call_to_a_sipp_uas() {
    for transport in [Transport::Udp, Transport::Tcp] {
        let uas = Sipp::uas("uas.xml")
            .transport(transport)
            .calls(1)
            .timeout(RUN)
            .spawn()
            .unwrap();
        let mut peer = RawSipPeer::new(transport, uas.addr()).unwrap();
        let uri = format!(
            "sip:service@{};transport={}",
            uas.addr(),
            transport.uri_param()
        );
        let mut call = RawCall::new(&peer, uas.addr(), &uri, "raw");
        let ok = call.establish(&mut peer, RECV).unwrap();
        assert_eq!(ok.status(), Some(200), "{}", ok.text());
        assert!(call.route_set.is_empty(), "no proxy, no Record-Route");
        let bye_ok = call.send_request(&mut peer, "BYE", RECV).unwrap();
        assert_eq!(bye_ok.status(), Some(200), "{}", bye_ok.text());
        let callee = uas.wait().unwrap();
        assert!(callee.all_successful(), "{}", callee.describe());
        assert_eq!(callee.logged("bye_received").len(), 1);
    }
}
