//! Scenario: a rule puts every INVITE from `alice` in profile `caller` with value `${from_user}`
//! and limit 5; alice places 20 concurrent long calls: exactly 5 are answered and 15 rejected with
//! 486 by dialogd (the callee only ever sees 5), `profile size caller alice` is 5 while the calls
//! last and 0 once they ended; stats count 5 processed dialogs.

use std::time::Duration;

use dialogd_test_support::{DialogdNode, SippCall, wait_until};

const CONFIG: &str = r#"
[[rules]]
name = "per-caller"
match = { method = "INVITE", from_user = "^alice$" }
profiles = [{ name = "caller", value = "${from_user}", limit = 5 }]
"#;

const CALLS: u64 = 20;
const LIMIT: u64 = 5;
/// How long the answered calls last: long enough to look at the profile while they are up.
const HOLD: Duration = Duration::from_secs(15);
const RUN: Duration = Duration::from_secs(90);

#[test]
fn profile_limit_of_five_answers_five_and_rejects_fifteen_with_486() {
    let node = DialogdNode::start(CONFIG).unwrap();
    let ctl = node.dialogctl();
    let calls = SippCall::new(node.sip_addr(), "uac_expect_486.xml", "uas.xml")
        .caller("alice")
        .calls(CALLS)
        .all_at_once()
        .uas_with(|uas| uas.calls(LIMIT))
        .hold(HOLD)
        .timeout(RUN)
        .spawn()
        .unwrap();
    let uac = &calls.uac;

    // While the 5 answered calls are up: every INVITE has its final answer, 5 dialogs active.
    let during = wait_until(Duration::from_secs(10), "5 answered, 15 rejected", || {
        let answered = uac.logged_so_far("answered").len() as u64;
        let rejected = uac.logged_so_far("rejected").len() as u64;
        anyhow::ensure!(
            answered + rejected == CALLS,
            "{answered} answered, {rejected} rejected so far"
        );
        let s = ctl.stats()?;
        anyhow::ensure!(s.active == LIMIT, "stats {s:?}");
        Ok(s)
    })
    .unwrap();
    assert_eq!(during.early, 0, "{during:?}");
    assert_eq!(ctl.profile_size("caller", Some("alice")).unwrap(), LIMIT);
    let dialogs = ctl.dialogs().unwrap();
    let confirmed = dialogs.iter().filter(|d| d["state"] == "confirmed").count() as u64;
    assert_eq!(confirmed, LIMIT, "dialogs: {dialogs:?}");

    let (caller, callee) = calls.finish().unwrap();
    node.assert_alive();
    assert!(caller.all_successful(), "uac:\n{}", caller.describe());
    assert_eq!(caller.successful, CALLS, "uac:\n{}", caller.describe());
    caller.assert_logged_for("answered", LIMIT);
    caller.assert_logged_for("rejected", CALLS - LIMIT);
    assert_eq!(
        caller.received_calls("SIP/2.0 486").len() as u64,
        CALLS - LIMIT,
        "{}",
        caller.describe()
    );
    // The rejected INVITEs never reached the callee.
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());
    assert_eq!(
        callee.received_calls("INVITE").len() as u64,
        LIMIT,
        "{}",
        callee.describe()
    );

    wait_until(Duration::from_secs(15), "the profile to empty", || {
        let size = ctl.profile_size("caller", Some("alice"))?;
        anyhow::ensure!(size == 0, "size {size}");
        let s = ctl.stats()?;
        anyhow::ensure!(
            s.active == 0 && s.early == 0 && s.processed == LIMIT,
            "stats {s:?}"
        );
        Ok(())
    })
    .unwrap();
}
