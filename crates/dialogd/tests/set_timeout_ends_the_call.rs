//! Scenario (SetTimeout): a call that both SIPp ends would hold for a minute gets
//! `dialogctl dialogs set-timeout ID 2` once answered: 2 s later dialogd sends a BYE to both
//! legs (the rule sets `bye_on_timeout`) and the dialog ends as expired. A zero timeout is
//! INVALID_ARGUMENT and an unknown dialog NOT_FOUND, each with a message naming the problem.

use std::time::Duration;

use dialogd_test_support::{DialogdNode, SippCall};

const CONFIG: &str = r#"
[[rules]]
name = "byes"
match = { method = "INVITE", from_user = "^settimeout$" }
bye_on_timeout = true
"#;

const HOLD: Duration = Duration::from_secs(60);
const RUN: Duration = Duration::from_secs(100);

#[test]
fn set_timeout_through_the_api_ends_the_call_with_byes_to_both_legs() {
    let node = DialogdNode::start(CONFIG).unwrap();
    let ctl = node.dialogctl();
    let call = SippCall::long(node.sip_addr(), HOLD)
        .caller("settimeout")
        .timeout(RUN)
        .spawn()
        .unwrap();
    let id = ctl.confirmed(Duration::from_secs(10)).unwrap()["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let (code, _, err) = ctl.run(&["dialogs", "set-timeout", &id, "0"]).unwrap();
    assert_ne!(code, Some(0));
    assert!(
        err.contains("INVALID_ARGUMENT") && err.contains("seconds"),
        "{err}"
    );
    let (code, _, err) = ctl
        .run(&["dialogs", "set-timeout", "00000000000000ff", "5"])
        .unwrap();
    assert_ne!(code, Some(0));
    assert!(err.contains("NOT_FOUND"), "{err}");

    let set = ctl.json(&["dialogs", "set-timeout", &id, "2"]).unwrap();
    assert_eq!(set["timeout_secs"], 2);
    let shown = ctl.dialog(&id).unwrap();
    assert_eq!(shown["timeout_secs"], 2, "{shown}");

    let (caller, callee) = call.finish().unwrap();
    for side in [&caller, &callee] {
        assert!(side.all_successful(), "{}", side.describe());
        side.assert_hung_up_on(1);
    }
    ctl.settled(
        Duration::from_secs(10),
        "the dialog to end as expired",
        |s| s.expired == 1 && s.active == 0,
    )
    .unwrap();
}
