//! Scenario: three SIPp calls through node 1 of a three-node
//! cluster with an API token; every `Dialogs` RPC is called with `dialogctl` on node 2 (or 3),
//! which does not own the calls: the node forwards what needs the owner (vars, flags,
//! profiles, triggers, timeouts, ends) and answers lists and profiles from the replicated
//! state. The calls are ended through the API — one by EndDialog, one by TerminateByCallId,
//! one by SetTimeoutByProfile — and each SIPp side gets exactly one BYE per call from
//! dialogd. A missing or wrong token is UNAUTHENTICATED; bad arguments get their codes.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::time::Duration;

use dialogd_test_support::serde_json::Value;
use dialogd_test_support::{Dialogctl, DialogdCluster, SippCall, wait_until};

const TOKEN: &str = "api-test-token-0123456789";

const CONFIG: &str = r#"
[dialog]
secret = "cluster-test-secret-0123456789"

[[rules]]
name = "api"
match = { method = "INVITE", from_user = "^api$" }
bye_on_timeout = true
profiles = [{ name = "caller", value = "${from_user}" }]
"#;

const CALLS: u64 = 3;
const HOLD: Duration = Duration::from_secs(60);
const RUN: Duration = Duration::from_secs(100);

/// Runs `args`, requires failure, and returns stderr (which must name `code`).
fn fails(ctl: &Dialogctl, args: &[&str], code: &str) -> String {
    let (status, out, err) = ctl.run(args).unwrap();
    assert_ne!(status, Some(0), "dialogctl {args:?} succeeded: {out}");
    assert!(
        err.contains(code),
        "dialogctl {args:?}: want {code}, got {err}"
    );
    err
}

fn field<'a>(d: &'a Value, key: &str) -> &'a Value {
    d.get(key).unwrap_or(&Value::Null)
}

#[test]
fn every_dialogs_rpc_works_from_a_node_that_does_not_own_the_dialog() {
    let cluster = DialogdCluster::start_with_token(3, "", CONFIG, Some(TOKEN)).unwrap();
    let owner = cluster.spec(0).node_id;
    let ctl = cluster.dialogctl(1);
    let ctl3 = cluster.dialogctl(2);

    // Auth first: no token, a wrong token.
    let anonymous = Dialogctl::new(cluster.spec(1).grpc_url());
    fails(&anonymous, &["stats"], "UNAUTHENTICATED");
    let wrong = Dialogctl::new(cluster.spec(1).grpc_url()).with_token(Some("nope"));
    fails(&wrong, &["dialogs", "list"], "UNAUTHENTICATED");

    let calls = SippCall::long(cluster.node(0).unwrap().sip_addr(), HOLD)
        .caller("api")
        .calls(CALLS)
        .all_at_once()
        .timeout(RUN)
        .spawn()
        .unwrap();

    // ListDialogs on a non-owner, with the owner filter: the replicated records.
    let owner_arg = owner.to_string();
    let dialogs = wait_until(Duration::from_secs(15), "3 confirmed calls listed", || {
        let list = ctl.json(&[
            "dialogs",
            "list",
            "--owner-node",
            &owner_arg,
            "--state",
            "confirmed",
        ])?;
        let list = list.as_array().cloned().unwrap_or_default();
        anyhow::ensure!(
            list.len() as u64 == CALLS,
            "{} listed; all: {:?}",
            list.len(),
            ctl.run(&["dialogs", "list"])
        );
        Ok(list)
    })
    .unwrap();
    let ids: Vec<String> = dialogs
        .iter()
        .map(|d| field(d, "id").as_str().unwrap_or_default().to_owned())
        .collect();
    let (a, b) = (ids[0].as_str(), ids[1].as_str());
    let other_owner = ctl.json(&["dialogs", "list", "--owner-node", "3"]).unwrap();
    assert_eq!(
        other_owner.as_array().map(Vec::len),
        Some(0),
        "{other_owner}"
    );

    // GetDialog by id and by Call-ID + From tag, forwarded to the owner.
    let shown = ctl.dialog(a).unwrap();
    assert_eq!(field(&shown, "owner_node"), &Value::from(owner), "{shown}");
    assert_eq!(field(&shown, "state"), "confirmed");
    let call_id = field(&shown, "call_id")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let from_tag = shown["caller"]["tag"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let by_call = ctl
        .json(&[
            "dialogs",
            "show",
            "--call-id",
            &call_id,
            "--from-tag",
            &from_tag,
        ])
        .unwrap();
    assert_eq!(field(&by_call, "id"), a);

    // Vars: set on node 2, seen on node 3, unset, unset again is NOT_FOUND.
    ctl.json(&["dialogs", "set-var", a, "account", "alice"])
        .unwrap();
    let vars = ctl3.json(&["dialogs", "vars", a]).unwrap();
    assert!(vars.to_string().contains("alice"), "{vars}");
    assert_eq!(ctl3.dialog(a).unwrap()["vars"]["account"], "alice");
    ctl.json(&["dialogs", "unset-var", a, "account"]).unwrap();
    fails(&ctl, &["dialogs", "unset-var", a, "account"], "NOT_FOUND");
    fails(
        &ctl,
        &["dialogs", "vars", a, "--name", "account"],
        "NOT_FOUND",
    );
    fails(
        &ctl,
        &["dialogs", "set-var", a, "bad name", "x"],
        "INVALID_ARGUMENT",
    );

    // Flags.
    ctl.json(&["dialogs", "set-flag", a, "3"]).unwrap();
    assert_eq!(ctl3.dialog(a).unwrap()["flags"], 8);
    ctl.json(&["dialogs", "reset-flag", a, "3"]).unwrap();
    assert_eq!(ctl3.dialog(a).unwrap()["flags"], 0);
    fails(&ctl, &["dialogs", "set-flag", a, "32"], "INVALID_ARGUMENT");

    // Profiles on live dialogs, the limit holds cluster-wide.
    ctl.json(&["dialogs", "set-profile", a, "vip", "--limit", "1"])
        .unwrap();
    fails(
        &ctl3,
        &["dialogs", "set-profile", b, "vip", "--limit", "1"],
        "RESOURCE_EXHAUSTED",
    );
    assert_eq!(ctl3.profile_size("vip", None).unwrap(), 1);
    ctl.json(&["dialogs", "unset-profile", a, "vip"]).unwrap();
    assert_eq!(ctl3.profile_size("vip", None).unwrap(), 0);
    fails(&ctl, &["dialogs", "unset-profile", a, "vip"], "NOT_FOUND");

    // SetTimeout at the owner, seen from another non-owner.
    ctl.json(&["dialogs", "set-timeout", a, "3600"]).unwrap();
    assert_eq!(ctl3.dialog(a).unwrap()["timeout_secs"], 3600);
    fails(
        &ctl,
        &["dialogs", "set-timeout", a, "0"],
        "INVALID_ARGUMENT",
    );

    // Triggers attached through the API.
    ctl.json(&["dialogs", "set-triggers", a, "audit"]).unwrap();
    assert_eq!(ctl3.dialog(a).unwrap()["triggers"][0], "audit");

    // Profile reads.
    assert_eq!(ctl.profile_size("caller", Some("api")).unwrap(), CALLS);
    let members = ctl.json(&["profile", "list", "caller", "api"]).unwrap();
    assert_eq!(
        members["ids"].as_array().map(Vec::len),
        Some(CALLS as usize)
    );
    let values = ctl.json(&["profile", "values", "caller"]).unwrap();
    assert_eq!(values["values"][0]["count"], CALLS, "{values}");

    // Unknown dialogs and bad ids.
    fails(&ctl, &["dialogs", "show", "00000000000000ff"], "NOT_FOUND");
    fails(
        &ctl,
        &["dialogs", "set-var", "xyz", "a", "b"],
        "INVALID_ARGUMENT",
    );
    fails(
        &ctl,
        &["dialogs", "terminate", "--call-id", "no-such-call"],
        "NOT_FOUND",
    );

    // End the calls through the API, three ways, from non-owners.
    ctl.end_dialog(a).unwrap();
    let b_call = field(&ctl3.dialog(b).unwrap(), "call_id")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ctl3.json(&["dialogs", "terminate", "--call-id", &b_call])
        .unwrap();
    let changed = ctl
        .json(&[
            "dialogs",
            "set-timeout-by-profile",
            "caller",
            "--value",
            "api",
            "2",
        ])
        .unwrap();
    assert_eq!(changed["changed"], 1, "{changed}");

    let (caller, callee) = calls.finish().unwrap();
    assert!(caller.all_successful(), "{}", caller.describe());
    assert!(callee.all_successful(), "{}", callee.describe());
    for side in [&caller, &callee] {
        assert_eq!(
            side.logged("bye_received").len() as u64,
            CALLS,
            "{}",
            side.describe()
        );
        assert!(side.sent("BYE").is_empty(), "{}", side.describe());
    }
    wait_until(Duration::from_secs(10), "every count back to 0", || {
        for i in 0..3 {
            let c = cluster.dialogctl(i);
            let s = c.json(&["stats"])?;
            anyhow::ensure!(s["cluster"]["active"] == 0, "node {i}: {s}");
            anyhow::ensure!(c.profile_size("caller", None)? == 0, "node {i} profile");
        }
        Ok(())
    })
    .unwrap();
    let s = cluster.dialogctl(0).json(&["stats"]).unwrap();
    assert_eq!(s["expired"], 1, "{s}");
}
