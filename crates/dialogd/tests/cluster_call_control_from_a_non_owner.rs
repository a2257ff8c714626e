//! Scenario: a call through node 1 of a three-node cluster with an API
//! token, driven with `dialogctl call ...` on nodes 2 and 3, which do not own it (each call is
//! forwarded to the owner). `call refer --side caller` makes the caller's SIPp receive a REFER
//! inside the dialog (its To tag, the right Refer-To, the callee's Contact) that it answers
//! 202, printed as the status; `call keepalive` from node 3 starts OPTIONS probes of both legs;
//! `call end --side callee` sends a BYE to the callee only (Kamailio `dlg_bye("callee")`): the
//! dialog ends with cause api and the caller gets nothing from dialogd. Bad arguments are
//! INVALID_ARGUMENT naming the field, an unknown dialog NOT_FOUND.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::time::Duration;

use dialogd_test_support::{Dialogctl, DialogdCluster, Direction, SippCall, SippPair, wait_until};

const TOKEN: &str = "api-test-token-0123456789";
const RUN: Duration = Duration::from_secs(90);
const TARGET: &str = "sip:carol@example.com";

const CONFIG: &str = r#"
[dialog]
secret = "cluster-test-secret-0123456789"

# The REFER target's domain: call-control destinations pass the relay policy.
[proxy]
relay_allow = ["127.0.0.0/8", "example.com"]
"#;

/// Runs `args`, requires failure, and returns stderr (which must name `code` and `field`).
fn fails(ctl: &Dialogctl, args: &[&str], code: &str, field: &str) {
    let (status, out, err) = ctl.run(args).unwrap();
    assert_ne!(status, Some(0), "dialogctl {args:?} succeeded: {out}");
    assert!(
        err.contains(code) && err.contains(field),
        "dialogctl {args:?}: want {code} about {field}, got {err}"
    );
}

#[test]
fn refer_keepalive_and_end_towards_one_side_work_from_nodes_that_do_not_own_the_call() {
    let cluster = DialogdCluster::start_with_token(3, "", CONFIG, Some(TOKEN)).unwrap();
    let (ctl2, ctl3) = (cluster.dialogctl(1), cluster.dialogctl(2));
    let entry = cluster.node(0).unwrap().sip_addr();
    let SippPair { uac, uas } = SippCall::new(entry, "uac_keepalive.xml", "uas_keepalive.xml")
        .timeout(RUN)
        .uac_with(|uac| uac.trace_messages(true))
        .spawn()
        .unwrap();
    let dialog = ctl2.confirmed(Duration::from_secs(15)).unwrap();
    let id = dialog["id"].as_str().unwrap().to_owned();
    assert_eq!(dialog["owner_node"], cluster.spec(0).node_id, "{dialog}");

    // Arguments first.
    fails(
        &ctl2,
        &["call", "refer", &id, "--side", "caller", "--to", "bob"],
        "INVALID_ARGUMENT",
        "refer_to",
    );
    fails(
        &ctl2,
        &[
            "call",
            "refer",
            "00000000000000ff",
            "--side",
            "caller",
            "--to",
            TARGET,
        ],
        "NOT_FOUND",
        "00000000000000ff",
    );
    fails(
        &ctl2,
        &["call", "refer", "xyz", "--side", "caller", "--to", TARGET],
        "INVALID_ARGUMENT",
        "id",
    );
    fails(
        &ctl3,
        &["call", "keepalive", &id, "--caller", "--interval", "0"],
        "INVALID_ARGUMENT",
        "interval_secs",
    );
    fails(
        &ctl3,
        &["call", "end", &id, "--header", "Bad header"],
        "INVALID_ARGUMENT",
        "extra_headers",
    );

    // REFER to the caller, from node 2.
    let referred = ctl2
        .json(&["call", "refer", &id, "--side", "caller", "--to", TARGET])
        .unwrap();
    assert_eq!(referred["status"], 202, "{referred}");
    let line = wait_until(Duration::from_secs(5), "the REFER logged", || {
        uac.logs_so_far()
            .into_iter()
            .find(|l| l.starts_with("refer_received "))
            .ok_or_else(|| anyhow::anyhow!("no REFER yet"))
    })
    .unwrap();
    assert!(line.ends_with(&format!("<{TARGET}>")), "{line}");

    // Keep-alive of both legs, from node 3: both answer probes.
    ctl3.json(&[
        "call",
        "keepalive",
        &id,
        "--caller",
        "--callee",
        "--interval",
        "1",
    ])
    .unwrap();
    wait_until(Duration::from_secs(10), "both legs probed", || {
        anyhow::ensure!(!uac.logged_so_far("options_answered").is_empty(), "caller");
        anyhow::ensure!(!uas.logged_so_far("options_answered").is_empty(), "callee");
        Ok(())
    })
    .unwrap();

    // End towards the callee only, from node 2.
    let ended = ctl2
        .json(&[
            "call",
            "end",
            &id,
            "--side",
            "callee",
            "--header",
            "Reason: SIP;cause=200",
        ])
        .unwrap();
    assert_eq!(ended["side"], "callee", "{ended}");
    let callee = uas.wait().unwrap();
    assert!(callee.all_successful(), "{}", callee.describe());
    assert_eq!(
        callee.logged("bye_received").len(),
        1,
        "{}",
        callee.describe()
    );
    wait_until(
        Duration::from_secs(10),
        "the dialog gone everywhere",
        || {
            for i in 0..3 {
                let s = cluster.dialogctl(i).json(&["stats"])?;
                anyhow::ensure!(s["cluster"]["active"] == 0, "node {i}: {s}");
            }
            Ok(())
        },
    )
    .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let caller = uac.stop().unwrap();
    assert!(
        caller.received("BYE").is_empty(),
        "the caller got a BYE: {}",
        caller.describe()
    );

    let refer = caller.full_message(Direction::Received, "REFER").unwrap();
    assert_eq!(
        refer.header("Refer-To").as_deref(),
        Some(format!("<{TARGET}>").as_str())
    );
    assert_eq!(refer.cseq_method().as_deref(), Some("REFER"));
    let invite = caller.full_message(Direction::Sent, "INVITE").unwrap();
    assert_eq!(
        refer.to_tag(),
        invite.from_tag(),
        "REFER names the caller's dialog"
    );
    let answer = caller
        .full_message(Direction::Received, "SIP/2.0 200")
        .unwrap();
    assert_eq!(
        refer.from_tag(),
        answer.to_tag(),
        "sent on the callee's behalf"
    );
    assert_eq!(
        refer.contact_uri(),
        answer.contact_uri(),
        "the callee's Contact"
    );
}
