//! Scenario: every SIPp scenario pair of `scenarios/` run directly uac → uas (no proxy between
//! them), over UDP and TCP, so that a failing dialogd test points at dialogd and not at a
//! scenario; plus the raw SIP peer placing a call to a SIPp uas.

use std::time::Duration;

use anyhow::{Result, ensure};

use dialogd_test_support::{RawCall, RawSipPeer, Sipp, SippOutcome, Transport};

const RUN: Duration = Duration::from_secs(60);
const RECV: Duration = Duration::from_secs(10);

/// Starts `uas` (answering `calls`), runs `uac_scenario` straight at it (`shape` sets rate,
/// pause...), both on `transport`; checks every call of both sides succeeded.
fn direct(
    uac_scenario: &str,
    shape: impl FnOnce(Sipp) -> Sipp,
    uas: Sipp,
    calls: u64,
    transport: Transport,
) -> Result<(SippOutcome, SippOutcome)> {
    let uas = uas.transport(transport).calls(calls).timeout(RUN).spawn()?;
    let caller = shape(Sipp::uac(uac_scenario, uas.addr()))
        .transport(transport)
        .uas_port(uas.port())
        .calls(calls)
        .timeout(RUN)
        .run()?;
    let callee = uas.finish_after(&caller)?;
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
            "uac.xml",
            |s| s.rate(50.0).caller("alice"),
            Sipp::uas("uas.xml"),
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
            "uac_long.xml",
            |s| s.pause(Duration::from_secs(30)),
            Sipp::uas("uas_bye.xml").pause(Duration::from_millis(300)),
            1,
            transport,
        )
        .unwrap();
        assert_eq!(
            caller.logged("bye_received").len(),
            1,
            "{}",
            caller.describe()
        );
        assert!(caller.sent("BYE").is_empty(), "{}", caller.describe());
        assert_eq!(callee.logged("bye_sent").len(), 1, "{}", callee.describe());
    }
}

#[test]
fn uas_long_accepts_a_bye_while_pausing_or_hangs_up_itself() {
    // The caller hangs up first: the callee's BYE recv (optional="global") takes it.
    let (caller, callee) = direct(
        "uac_long.xml",
        |s| s.pause(Duration::from_millis(300)),
        Sipp::uas("uas_long.xml").pause(Duration::from_secs(30)),
        2,
        Transport::Udp,
    )
    .unwrap();
    assert_eq!(caller.logged("bye_sent").len(), 2, "{}", caller.describe());
    assert_eq!(
        callee.logged("bye_received").len(),
        2,
        "{}",
        callee.describe()
    );

    // The callee hangs up first.
    let (caller, callee) = direct(
        "uac_long.xml",
        |s| s.pause(Duration::from_secs(30)),
        Sipp::uas("uas_long.xml").pause(Duration::from_millis(300)),
        2,
        Transport::Udp,
    )
    .unwrap();
    assert_eq!(
        caller.logged("bye_received").len(),
        2,
        "{}",
        caller.describe()
    );
    assert_eq!(callee.logged("bye_sent").len(), 2, "{}", callee.describe());
}

#[test]
fn uac_cancel_cancels_a_ringing_uas() {
    for transport in [Transport::Udp, Transport::Tcp] {
        let (caller, callee) = direct(
            "uac_cancel.xml",
            |s| s,
            Sipp::uas("uas_ringing.xml"),
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
        "uac_expect_486.xml",
        |s| s.rate(20.0),
        Sipp::uas("uas_busy.xml"),
        3,
        Transport::Udp,
    )
    .unwrap();
    assert_eq!(caller.logged("rejected").len(), 3, "{}", caller.describe());
    assert!(caller.logged("answered").is_empty());

    let (caller, _) = direct(
        "uac_expect_486.xml",
        |s| s.rate(20.0),
        Sipp::uas("uas.xml"),
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
            "uac_reinvite.xml",
            |s| s.pause(Duration::from_millis(200)),
            Sipp::uas("uas_reinvite.xml"),
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
