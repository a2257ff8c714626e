//! Scenario: the API server runs in-process on 127.0.0.1:0 over an in-memory backend; the built
//! `dialogctl` binary runs the data-changing `dialogs` subcommands against it (tables and
//! `--json`, the server's message and exit 1 on errors), and a server with a token takes
//! `--token` or `DIALOGCTL_TOKEN`; `health` needs no token.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod support;

use dialogd_api::{ApiOptions, EndSide};
use dialogd_dialog::DialogId;
use dialogd_test_support::memory_api::EndCall;
use serde_json::json;
use support::run::{dialogctl, dialogctl_env, json_of};
use support::{start, start_options};

#[tokio::test]
async fn terminate_ends_the_confirmed_dialogs_of_a_call_id() {
    let server = start().await;
    let (addr, backend) = (&server.addr, &server.backend);
    let v = json_of(
        addr,
        &[
            "dialogs",
            "terminate",
            "--call-id",
            "call-2",
            "--header",
            "Reason: SIP;cause=200",
            "--json",
        ],
    )
    .await;
    assert_eq!(
        v,
        json!({ "call_id": "call-2", "ended": ["0001000000000002"] })
    );
    assert_eq!(
        *backend.ended.lock().unwrap(),
        vec![EndCall {
            id: DialogId::new(1, 2),
            side: EndSide::Both,
            headers: vec!["Reason: SIP;cause=200".to_owned()]
        }]
    );
    let run = dialogctl(addr, &["dialogs", "terminate", "--call-id", "nope"]).await;
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "dialogctl: NOT_FOUND: no confirmed dialog with call_id \"nope\"\n"
    );
}

#[tokio::test]
async fn vars_print_a_table_or_json_and_flags_their_bits() {
    let server = start().await;
    let addr = &server.addr;
    let run = dialogctl(addr, &["dialogs", "vars", "0001000000000001"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "NAME     VALUE\naccount  acme\ntier     gold\n");
    let v = json_of(
        addr,
        &[
            "dialogs",
            "vars",
            "1000000000001",
            "--name",
            "tier",
            "--json",
        ],
    )
    .await;
    assert_eq!(
        v,
        json!({ "id": "0001000000000001", "vars": { "tier": "gold" } })
    );
    let run = dialogctl(
        addr,
        &["dialogs", "vars", "1000000000001", "--name", "nope"],
    )
    .await;
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            Some(1),
            "dialogctl: NOT_FOUND: dialog 0001000000000001: var \"nope\" is not set\n"
        )
    );
    let v = json_of(
        addr,
        &["dialogs", "set-flag", "1000000000001", "3", "--json"],
    )
    .await;
    assert_eq!(
        v,
        json!({ "id": "0001000000000001", "flags": 8, "set": [3] })
    );
    let run = dialogctl(addr, &["dialogs", "set-flag", "1000000000001", "32"]).await;
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            Some(1),
            "dialogctl: INVALID_ARGUMENT: flag: 32 is not in 0..=31\n"
        )
    );
    // A backend without the call says so.
    let run = dialogctl(addr, &["dialogs", "set-var", "1000000000001", "a", "b"]).await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.starts_with("dialogctl: FAILED_PRECONDITION: "),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_server_with_a_token_takes_the_flag_or_the_environment() {
    let server = start_options(ApiOptions {
        token: Some("s3cret-token".into()),
        ..ApiOptions::default()
    })
    .await;
    let addr = &server.addr;
    let run = dialogctl(addr, &["stats", "--json"]).await;
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            Some(1),
            "dialogctl: UNAUTHENTICATED: missing bearer token\n"
        )
    );
    let run = dialogctl(addr, &["--token", "guess", "stats"]).await;
    assert_eq!(run.stderr, "dialogctl: UNAUTHENTICATED: wrong token\n");
    let run = dialogctl(addr, &["--token", "s3cret-token", "stats", "--json"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let run = dialogctl_env(
        addr,
        &["dialogs", "vars", "1000000000001", "--json"],
        &[("DIALOGCTL_TOKEN", "s3cret-token")],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let run = dialogctl(addr, &["--tls-ca", "/nonexistent/ca.pem", "stats"]).await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .starts_with("dialogctl: INVALID_ARGUMENT: tls-ca: cannot read /nonexistent/ca.pem"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn health_needs_no_token_and_names_unknown_services() {
    let server = start_options(ApiOptions {
        token: Some("s3cret-token".into()),
        ..ApiOptions::default()
    })
    .await;
    let addr = &server.addr;
    let run = dialogctl(addr, &["health"]).await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), "SERVING\n"),
        "{}",
        run.stderr
    );
    let run = dialogctl(
        addr,
        &["health", "--service", "dialogd.v1.Dialogs", "--json"],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["status"], "SERVING", "{v}");
    assert_eq!(v["service"], "dialogd.v1.Dialogs", "{v}");
    let run = dialogctl(addr, &["health", "--service", "no.such.Service"]).await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.starts_with("dialogctl: NOT_FOUND: "),
        "{}",
        run.stderr
    );
}
