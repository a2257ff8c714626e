//! Scenario: 2,000 SIPp calls at 200 calls/s, uac → dialogd → uas over UDP, record-routed (the
//! uac follows the Record-Route of the 200 with [routes], the uas returns the INVITE's
//! Record-Route): no call fails, and once the last BYE is through `dialogctl stats` counts 2,000
//! processed dialogs, none active, early or failed.

use std::time::Duration;

use dialogd_test_support::{DialogdNode, Direction, SipMessage, SippCall, uri_param};

const CALLS: u64 = 2_000;
const RATE: f64 = 200.0;
/// Between ACK and BYE: keeps a BYE from overtaking its ACK (RFC 3261 lets it; SIPp's uas
/// scenario wants the ACK first, so that a lost ACK fails the test).
const HOLD: Duration = Duration::from_millis(100);

/// dialogd's own Record-Route entry in `message` (the one with a `did`), checked to point at the
/// node's SIP address.
fn our_record_route(message: &SipMessage, node: &DialogdNode) -> String {
    let entries = message.record_routes();
    let ours = entries
        .iter()
        .find(|e| uri_param(e, "did").is_some())
        .unwrap_or_else(|| panic!("no Record-Route with a did in:\n{}", message.text()));
    assert!(
        ours.contains(&node.sip_addr().to_string()) && ours.contains(";lr"),
        "Record-Route {ours} should be <sip:{};lr;did=...>",
        node.sip_addr()
    );
    ours.clone()
}

#[test]
fn two_thousand_udp_calls_are_record_routed_and_counted_as_processed() {
    let node = DialogdNode::start("").unwrap();
    let (caller, callee) = SippCall::basic(node.sip_addr())
        .calls(CALLS)
        .rate(RATE)
        .hold(HOLD)
        .limit(1_000)
        .timeout(Duration::from_secs(180))
        .trace_messages(true)
        .run()
        .unwrap();
    node.assert_alive();

    caller.assert_succeeded("uac", CALLS);
    callee.assert_succeeded("uas", CALLS);

    // Record-routed: the callee got dialogd's Record-Route (with a did) on the INVITE, the
    // caller got it back on the 200 and sent its ACK and BYE with the same entry as Route.
    let invite = callee
        .full_message(Direction::Received, "INVITE")
        .expect("the uas traced an INVITE");
    let record_route = our_record_route(&invite, &node);
    let ok = caller
        .full_message(Direction::Received, "SIP/2.0 200")
        .expect("the uac traced a 200");
    assert_eq!(our_record_route(&ok, &node), record_route);
    for method in ["ACK", "BYE"] {
        let request = caller
            .full_message(Direction::Sent, method)
            .unwrap_or_else(|| panic!("the uac traced no {method}"));
        assert!(
            request.routes().contains(&record_route),
            "{method} should carry Route {record_route}:\n{}",
            request.text()
        );
    }

    let stats = node.dialogctl().settled_processed(CALLS).unwrap();
    assert_eq!(stats.failed, 0, "{stats:?}");
    assert_eq!(stats.expired, 0, "{stats:?}");
}
