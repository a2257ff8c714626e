//! Scenario: a call matched by a rule with `timeout = 2` and `bye_on_timeout = true`, whose two
//! SIPp ends would each hold it for a minute: after 2 s dialogd sends a BYE to both legs (each to
//! the leg's Contact, with the leg's own tags), both sides accept it with 200, neither side sends
//! a BYE of its own, and the dialog ends counted as expired.

use std::time::Duration;

use dialogd_test_support::{DialogdNode, Direction, SipMessage, SippCall};

const CONFIG: &str = r#"
[[rules]]
name = "short-calls"
match = { method = "INVITE", from_user = "^shortcall$" }
timeout = 2
bye_on_timeout = true
"#;

/// Both ends would hang up only after this.
const HOLD: Duration = Duration::from_secs(60);
const RUN: Duration = Duration::from_secs(100);

fn request_uri(request: &SipMessage) -> String {
    request
        .first_line()
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

#[test]
fn bye_on_timeout_reaches_both_legs_through_record_routes() {
    let node = DialogdNode::start(CONFIG).unwrap();
    let (caller, callee) = SippCall::long(node.sip_addr(), HOLD)
        .caller("shortcall")
        .timeout(RUN)
        .trace_messages(true)
        .run()
        .unwrap();
    node.assert_alive();

    assert!(caller.all_successful(), "uac:\n{}", caller.describe());
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());
    assert_eq!(caller.logged("answered").len(), 1, "{}", caller.describe());
    // Each side received one BYE and sent none: the BYEs came from dialogd.
    caller.assert_hung_up_on(1);
    callee.assert_hung_up_on(1);

    // Each BYE is addressed as that leg's peer would address it.
    let invite = caller
        .full_message(Direction::Sent, "INVITE")
        .expect("INVITE traced");
    let ok = callee
        .full_message(Direction::Sent, "SIP/2.0 200")
        .expect("200 traced");
    let caller_tag = invite.from_tag().expect("caller tag");
    let callee_tag = ok.to_tag().expect("callee tag");

    let bye_to_caller = caller
        .full_message(Direction::Received, "BYE")
        .expect("BYE traced");
    assert_eq!(
        request_uri(&bye_to_caller),
        invite.contact_uri().expect("caller Contact")
    );
    assert_eq!(
        bye_to_caller.from_tag().as_deref(),
        Some(callee_tag.as_str())
    );
    assert_eq!(bye_to_caller.to_tag().as_deref(), Some(caller_tag.as_str()));

    let bye_to_callee = callee
        .full_message(Direction::Received, "BYE")
        .expect("BYE traced");
    assert_eq!(
        request_uri(&bye_to_callee),
        ok.contact_uri().expect("callee Contact")
    );
    assert_eq!(
        bye_to_callee.from_tag().as_deref(),
        Some(caller_tag.as_str())
    );
    assert_eq!(bye_to_callee.to_tag().as_deref(), Some(callee_tag.as_str()));

    let ctl = node.dialogctl();
    ctl.settled(
        Duration::from_secs(15),
        "the dialog to end as expired",
        |s| s.expired == 1 && s.active == 0 && s.early == 0 && s.failed == 0,
    )
    .unwrap();
}
