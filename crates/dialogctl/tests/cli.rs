//! Scenario: the API server runs in-process on 127.0.0.1:0 over an in-memory backend; the built
//! `dialogctl` binary is run against it with `--addr` (mostly with `--json`) and its output,
//! stderr and exit code are checked.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod support;

use dialogd_api::EndSide;
use dialogd_dialog::DialogId;
use dialogd_test_support::memory_api::EndCall;
use serde_json::json;
use support::run::{dialogctl, json_of};
use support::start;

#[tokio::test]
async fn stats_json_prints_every_counter_and_the_node() {
    let server = start().await;
    let addr = &server.addr;
    let v = json_of(addr, &["stats", "--json"]).await;
    assert_eq!(
        v,
        json!({"node_id": 1, "active": 2, "early": 1, "processed": 2000, "expired": 3, "failed": 0, "cluster": null})
    );
    // People get aligned key/value lines.
    let run = dialogctl(addr, &["stats"]).await;
    assert_eq!(run.code, Some(0));
    assert!(
        run.stdout.lines().any(|l| l == "processed  2000"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn dialogs_list_json_applies_filters_and_limit() {
    let server = start().await;
    let addr = &server.addr;
    let cases: [(&[&str], &[&str]); 5] = [
        (
            &["dialogs", "list", "--json"],
            &["0001000000000001", "0001000000000002", "0001000000000003"],
        ),
        (
            &["dialogs", "list", "--json", "--state", "early"],
            &["0001000000000003"],
        ),
        (
            &[
                "dialogs",
                "list",
                "--json",
                "--profile",
                "caller",
                "--value",
                "alice",
            ],
            &["0001000000000001", "0001000000000002"],
        ),
        (
            &["dialogs", "list", "--json", "--call-id", "call-2"],
            &["0001000000000002"],
        ),
        (
            &["dialogs", "list", "--json", "--limit", "1"],
            &["0001000000000001"],
        ),
    ];
    for (args, want) in cases {
        let v = json_of(addr, args).await;
        let ids: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, want, "{args:?}");
    }
    let v = json_of(addr, &["dialogs", "list", "--json", "--limit", "1"]).await;
    assert_eq!(v[0]["state"], "confirmed");
    assert_eq!(v[0]["state_code"], 4);
    assert_eq!(v[0]["caller"]["tag"], "tag-1");
    assert_eq!(
        v[0]["profiles"],
        json!([{"name": "caller", "value": "alice"}])
    );

    let table = dialogctl(addr, &["dialogs", "list", "--state", "confirmed"]).await;
    assert_eq!(table.stdout.lines().count(), 3, "{}", table.stdout);
    assert!(table.stdout.starts_with("ID "), "{}", table.stdout);
}

#[tokio::test]
async fn dialogs_show_by_id_and_by_call_id() {
    let server = start().await;
    let addr = &server.addr;
    let by_id = json_of(addr, &["dialogs", "show", "1000000000002", "--json"]).await;
    assert_eq!(by_id["call_id"], "call-2");
    let by_call = json_of(
        addr,
        &[
            "dialogs",
            "show",
            "--call-id",
            "call-2",
            "--from-tag",
            "tag-2",
            "--json",
        ],
    )
    .await;
    assert_eq!(by_call, by_id);
    let text = dialogctl(addr, &["dialogs", "show", "0001000000000002"]).await;
    assert!(
        text.stdout
            .lines()
            .any(|l| l == "state            confirmed (4)"),
        "{}",
        text.stdout
    );
}

#[tokio::test]
async fn dialogs_end_sends_side_and_headers() {
    let server = start().await;
    let (addr, backend) = (&server.addr, &server.backend);
    let v = json_of(
        addr,
        &[
            "dialogs",
            "end",
            "0001000000000001",
            "--side",
            "caller",
            "--header",
            "Reason: SIP;cause=200",
            "--json",
        ],
    )
    .await;
    assert_eq!(
        v,
        json!({"id": "0001000000000001", "side": "caller", "ended": true})
    );
    assert_eq!(
        *backend.ended.lock().unwrap(),
        vec![EndCall {
            id: DialogId::new(1, 1),
            side: EndSide::Caller,
            headers: vec!["Reason: SIP;cause=200".to_owned()]
        }]
    );
}

#[tokio::test]
async fn profile_size_list_and_values_json() {
    let server = start().await;
    let addr = &server.addr;
    assert_eq!(
        json_of(addr, &["profile", "size", "caller", "alice", "--json"]).await,
        json!({"name": "caller", "value": "alice", "size": 2})
    );
    assert_eq!(
        json_of(addr, &["profile", "size", "caller", "--json"]).await,
        json!({"name": "caller", "value": null, "size": 3})
    );
    assert_eq!(
        json_of(addr, &["profile", "list", "caller", "bob", "--json"]).await,
        json!({"name": "caller", "value": "bob", "ids": ["0001000000000003"]})
    );
    assert_eq!(
        json_of(addr, &["profile", "values", "caller", "--json"]).await,
        json!({"name": "caller", "values": [{"value": "alice", "count": 2}, {"value": "bob", "count": 1}]})
    );
    let text = dialogctl(addr, &["profile", "size", "caller", "alice"]).await;
    assert_eq!(text.stdout, "PROFILE  VALUE  SIZE\ncaller   alice  2\n");
}

#[tokio::test]
async fn errors_exit_non_zero_with_code_and_message() {
    let server = start().await;
    let (addr, backend) = (&server.addr, &server.backend);
    let cases: [(&[&str], &str); 5] = [
        (
            &["dialogs", "show", "xyz"],
            "dialogctl: INVALID_ARGUMENT: id: dialog id \"xyz\" is not 1 to 16 hex digits\n",
        ),
        (
            &["dialogs", "end", "not-an-id"],
            "dialogctl: INVALID_ARGUMENT: id: dialog id \"not-an-id\" is not 1 to 16 hex digits\n",
        ),
        (
            &["dialogs", "show", "ffff"],
            "dialogctl: NOT_FOUND: dialog 000000000000ffff not found\n",
        ),
        (
            &["dialogs", "end", "0001000000000001", "--header", "NoColon"],
            "dialogctl: INVALID_ARGUMENT: extra_headers[0]: \"NoColon\" is not \"Name: value\"\n",
        ),
        (
            &["profile", "size", ""],
            "dialogctl: INVALID_ARGUMENT: name: must not be empty\n",
        ),
    ];
    for (args, want) in cases {
        let run = dialogctl(addr, args).await;
        assert_eq!(run.code, Some(1), "{args:?}");
        assert_eq!(run.stderr, want, "{args:?}");
        assert_eq!(run.stdout, "", "{args:?}");
    }
    assert!(backend.ended.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unreachable_server_is_unavailable() {
    // Bind then drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = dialogctl(&format!("127.0.0.1:{port}"), &["stats"]).await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.starts_with(&format!(
            "dialogctl: UNAVAILABLE: cannot connect to http://127.0.0.1:{port}"
        )),
        "{}",
        run.stderr
    );
}
