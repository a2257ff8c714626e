//! The API and the node's secrets as an operator deploys them:
//! - a node whose gRPC API listens on a non-loopback address without any token does not
//!   start (exit 2, the key and the reason), unless `api.allow_unauthenticated` says so;
//! - example, short and repeated secrets and tokens are refused at start;
//! - each token does what its role allows and no more: the read token lists but cannot end
//!   or place calls, the control token cannot change the membership, the admin token can.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::path::Path;
use std::process::{Command, Output};

use dialogd_test_support::{Dialogctl, DialogdNode};

fn check_config(dir: &Path, text: &str) -> Output {
    let path = dir.join("dialogd.toml");
    std::fs::write(&path, text).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dialogd"));
    for (k, _) in std::env::vars() {
        if k.starts_with("DIALOGD_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("--config")
        .arg(&path)
        .arg("--check-config")
        .output()
        .unwrap()
}

fn base(dir: &Path, grpc: &str) -> String {
    format!(
        "node_id = 1\ndata_dir = \"{}\"\ngrpc_listen = \"{grpc}\"\n",
        dir.join("data").display()
    )
}

fn refused(out: &Output, words: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for w in words {
        assert!(stderr.contains(w), "no {w:?} in: {stderr}");
    }
}

#[test]
fn an_api_on_a_public_address_needs_a_token_or_an_explicit_opt_out() {
    let dir = tempfile::tempdir().unwrap();
    let public = base(dir.path(), "0.0.0.0:0");
    refused(
        &check_config(dir.path(), &public),
        &[
            "api.token",
            "0.0.0.0:0",
            "not a loopback address",
            "allow_unauthenticated",
        ],
    );
    for ok in [
        format!("{public}\n[api]\nallow_unauthenticated = true\n"),
        format!("{public}\n[api]\ntoken = \"f3a9c1d2e4b5a6978877665544332211\"\n"),
        base(dir.path(), "127.0.0.1:0"),
    ] {
        let out = check_config(dir.path(), &ok);
        assert!(
            out.status.success(),
            "{ok}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn example_short_and_shared_secrets_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let b = base(dir.path(), "127.0.0.1:0");
    let cases: &[(&str, &[&str])] = &[
        (
            "[dialog]\nsecret = \"compose-demo-secret-change-me\"\n",
            &["dialog.secret", "example value"],
        ),
        (
            "[cluster]\nsecret = \"example-secret-replace-me-0123456789\"\n",
            &["cluster.secret", "example value"],
        ),
        (
            "[cluster]\nsecret = \"short\"\n",
            &["cluster.secret", "too short"],
        ),
        ("[api]\ntoken = \"t0k\"\n", &["api.token", "too short"]),
        (
            "[api]\ntoken = \"f3a9c1d2e4b5a6978877665544332211\"\nread_token = \"f3a9c1d2e4b5a6978877665544332211\"\n",
            &["api.read_token", "same as api.token"],
        ),
    ];
    for (extra, words) in cases {
        let out = check_config(dir.path(), &format!("{b}\n{extra}"));
        refused(&out, words);
    }
}

const READ: &str = "read-token-0123456789abcdef";
const CONTROL: &str = "control-token-0123456789abcdef";
const ADMIN: &str = "admin-token-0123456789abcdef";

fn denied(ctl: &Dialogctl, args: &[&str]) -> String {
    let (code, stdout, stderr) = ctl.run(args).unwrap();
    assert_ne!(code, Some(0), "{args:?} succeeded: {stdout}");
    stderr + &stdout
}

#[test]
fn each_token_does_what_its_role_allows_and_no_more() {
    let node = DialogdNode::start(&format!(
        "[api]\nread_token = \"{READ}\"\ntoken = \"{CONTROL}\"\nadmin_token = \"{ADMIN}\"\n"
    ))
    .unwrap();
    let ctl = |t: Option<&str>| node.dialogctl().with_token(t);

    // No token, or a wrong one: nothing but health.
    assert!(denied(&ctl(None), &["dialogs", "list"]).contains("missing bearer token"));
    assert!(
        denied(&ctl(Some("wrong-token-0123456789")), &["dialogs", "list"]).contains("wrong token")
    );

    // Read: lists and stats, not ending or placing calls, not membership.
    let read = ctl(Some(READ));
    read.dialogs().unwrap();
    read.stats().unwrap();
    for args in [
        &["dialogs", "end", "00000000000000aa"][..],
        &[
            "call",
            "bridge",
            "--from",
            "sip:a@127.0.0.1:5999",
            "--to",
            "sip:b@127.0.0.1:5998",
        ][..],
        &["cluster", "remove", "9"][..],
    ] {
        let why = denied(&read, args);
        assert!(why.contains("needs a token of role"), "{args:?}: {why}");
    }

    // Control: may end calls (this one does not exist: NOT_FOUND, not a refusal), not
    // change the membership.
    let control = ctl(Some(CONTROL));
    let why = denied(&control, &["dialogs", "end", "00000000000000aa"]);
    assert!(!why.contains("needs a token of role"), "{why}");
    let why = denied(&control, &["cluster", "remove", "9"]);
    assert!(why.contains("needs a token of role admin"), "{why}");

    // Admin: the membership change reaches the cluster (node 9 is no member: refused there).
    let why = denied(&ctl(Some(ADMIN)), &["cluster", "remove", "9"]);
    assert!(!why.contains("needs a token of role"), "{why}");
    node.assert_alive();
}
