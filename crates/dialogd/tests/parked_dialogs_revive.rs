//! Parked dialogs: with `passivate_after = 1`, a confirmed SIPp call with nothing under way
//! parks a second after its ACK (its actor stops, its state stays in the registry). Each kind
//! of input then revives it with the same behaviour:
//!
//! - an API listing or view answers from the parked state and revives nothing;
//! - an API command (set a variable) revives it, and the variable is there afterwards;
//! - the caller's BYE (an in-dialog request) revives it and reaches the callee;
//! - the dialog's timeout, due while it is parked, revives it and BYEs both legs.
//!
//! Adopting a dialog at takeover and reviving the adopted one after it parked is covered by
//! `cluster_failover_without_vip.rs`; keep-alive probes reviving a dialog that parks between
//! them by `keepalive_probes_the_legs.rs`.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::time::Duration;

use dialogd_test_support::{DialogdNode, SippCall, SippPair, scrape, wait_until};

const CONFIG: &str = r#"
[dialog]
passivate_after = 1

[[rules]]
name = "expire"
match = { method = "INVITE", from_user = "^expire$" }
timeout = 4
bye_on_timeout = true
"#;

const RUN: Duration = Duration::from_secs(100);
const PARKED: &str = "dialogd_dialogs_parked";
const REVIVED: &str = "dialogd_dialogs_revived_total";

/// One SIPp call from `caller`, held `hold` by the caller before its BYE (the callee would
/// hold it longer).
fn call(node: &DialogdNode, caller: &str, hold: Duration) -> SippPair {
    SippCall::long(node.sip_addr(), hold)
        .callee_hold(hold + Duration::from_secs(30))
        .caller(caller)
        .timeout(RUN)
        .spawn()
        .unwrap()
}

fn metric(node: &DialogdNode, name: &str) -> f64 {
    scrape(node.endpoints().metrics, name).unwrap()
}

fn wait_parked(node: &DialogdNode, count: f64) {
    wait_until(Duration::from_secs(10), "the dialog to park", || {
        let parked = scrape(node.endpoints().metrics, PARKED)?;
        anyhow::ensure!(parked == count, "{PARKED} = {parked}");
        Ok(())
    })
    .unwrap();
}

#[test]
fn a_parked_dialog_revives_for_an_api_command_and_a_bye_and_is_listed_without_reviving() {
    let node = DialogdNode::start(CONFIG).unwrap();
    let ctl = node.dialogctl();
    let call = call(&node, "parked", Duration::from_secs(12));
    let id = ctl.confirmed(Duration::from_secs(10)).unwrap()["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    wait_parked(&node, 1.0);

    // Read from the parked state.
    let listed = ctl.dialogs().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["state"], "confirmed", "{listed:?}");
    let shown = ctl.dialog(&id).unwrap();
    assert_eq!(shown["caller"], listed[0]["caller"], "{shown}");
    assert_eq!(metric(&node, REVIVED), 0.0, "a listing revives nothing");
    assert_eq!(metric(&node, PARKED), 1.0);

    // An API command revives it and is carried out.
    let (code, out, err) = ctl
        .run(&["dialogs", "set-var", &id, "tier", "gold"])
        .unwrap();
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(metric(&node, REVIVED), 1.0);
    let (code, vars, err) = ctl.run(&["dialogs", "vars", &id]).unwrap();
    assert_eq!(code, Some(0), "{err}");
    assert!(vars.contains("tier") && vars.contains("gold"), "{vars}");
    wait_parked(&node, 1.0);
    assert_eq!(
        ctl.dialog(&id).unwrap()["state"],
        "confirmed",
        "parked again, same state"
    );

    // The caller's BYE revives it and reaches the callee.
    let (caller, callee) = call.finish().unwrap();
    assert!(caller.all_successful(), "{}", caller.describe());
    assert!(callee.all_successful(), "{}", callee.describe());
    callee.assert_logged_for("bye_received", 1);
    assert!(metric(&node, REVIVED) >= 2.0);
    wait_until(Duration::from_secs(10), "the dialog to end", || {
        let s = ctl.stats()?;
        anyhow::ensure!(s.active == 0 && s.early == 0, "stats {s:?}");
        anyhow::ensure!(metric(&node, PARKED) == 0.0, "still parked");
        Ok(())
    })
    .unwrap();
    node.assert_alive();
}

#[test]
fn a_timeout_due_while_parked_revives_the_dialog_and_byes_both_legs() {
    let node = DialogdNode::start(CONFIG).unwrap();
    let ctl = node.dialogctl();
    // Held a minute by SIPp; the rule's 4 s timeout ends it first.
    let (caller, callee) = call(&node, "expire", Duration::from_secs(60))
        .finish()
        .unwrap();
    assert!(caller.all_successful(), "{}", caller.describe());
    assert!(callee.all_successful(), "{}", callee.describe());
    caller.assert_hung_up_on(1);
    callee.assert_hung_up_on(1);
    assert!(
        metric(&node, "dialogd_dialogs_parked_total") >= 1.0,
        "the dialog parked before its timeout"
    );
    assert!(metric(&node, REVIVED) >= 1.0, "its timer revived it");
    ctl.settled(
        Duration::from_secs(10),
        "the dialog to end as expired",
        |s| s.expired == 1 && s.active == 0,
    )
    .unwrap();
    node.assert_alive();
}
