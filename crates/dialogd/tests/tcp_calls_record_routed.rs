//! Scenario: 200 SIPp calls at 50 calls/s, uac → dialogd → uas over TCP (both SIPp with `-t t1`,
//! the request-URI carrying `;transport=tcp`), record-routed: no call fails, every hop stays on
//! TCP, and `dialogctl stats` ends with 200 processed dialogs, none active, early or failed.

use std::time::Duration;

use dialogd_test_support::{DialogdNode, Direction, SippCall, Transport, uri_param};

const CALLS: u64 = 200;

/// Between ACK and BYE: keeps a BYE from overtaking its ACK (RFC 3261 lets it; SIPp's uas
/// scenario wants the ACK first, so that a lost ACK fails the test).
const HOLD: Duration = Duration::from_millis(100);

#[test]
fn tcp_calls_are_record_routed_and_counted_as_processed() {
    let node = DialogdNode::start("").unwrap();
    let (caller, callee) = SippCall::basic(node.sip_addr())
        .transport(Transport::Tcp)
        .calls(CALLS)
        .rate(50.0)
        .hold(HOLD)
        .limit(200)
        .timeout(Duration::from_secs(120))
        .trace_messages(true)
        .run()
        .unwrap();
    node.assert_alive();

    caller.assert_succeeded("uac", CALLS);
    callee.assert_succeeded("uas", CALLS);

    // The INVITE reached the callee over TCP with dialogd's Via on top and its Record-Route.
    let invite = callee
        .full_message(Direction::Received, "INVITE")
        .expect("the uas traced an INVITE");
    let top_via = invite.header("Via").expect("a Via");
    assert!(top_via.starts_with("SIP/2.0/TCP"), "top Via {top_via}");
    assert!(
        invite
            .record_routes()
            .iter()
            .any(|rr| uri_param(rr, "did").is_some() && rr.contains(&node.sip_addr().to_string())),
        "no Record-Route of dialogd in:\n{}",
        invite.text()
    );
    let bye = caller
        .full_message(Direction::Sent, "BYE")
        .expect("the uac traced a BYE");
    assert!(
        bye.routes().iter().any(|r| uri_param(r, "did").is_some()),
        "BYE without dialogd's Route:\n{}",
        bye.text()
    );

    let stats = node.dialogctl().settled_processed(CALLS).unwrap();
    assert_eq!(stats.failed, 0, "{stats:?}");
}
