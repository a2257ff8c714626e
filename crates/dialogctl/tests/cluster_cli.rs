//! Scenario: the API server runs in-process on 127.0.0.1:0 over an in-memory cluster of three
//! (1 leads, 2 votes, 3 is an unreachable learner); `dialogctl cluster ...` is run against it
//! and its tables, JSON, stderr and exit codes are checked.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod support;

use serde_json::json;
use support::run::{dialogctl, json_of};
use support::start;

#[tokio::test]
async fn members_prints_a_table_for_people_and_every_field_in_json() {
    let server = start().await;
    let addr = &server.addr;
    let run = dialogctl(addr, &["cluster", "members"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "\
NODE  ADDR                   ROLE     LEADER  REACHABLE  LAST-SEEN  MATCHED
1     http://10.0.0.1:50051  voter    *       yes        -          49
2     http://10.0.0.2:50051  voter    -       yes        350ms      48
3     http://10.0.0.3:50051  learner  -       no         1m05s      47
"
    );
    let v = json_of(addr, &["cluster", "members", "--json"]).await;
    assert_eq!(
        (v["leader_id"].clone(), v["term"].clone()),
        (json!(1), json!(4))
    );
    assert_eq!(
        v["members"][1],
        json!({
            "node_id": 2,
            "addr": "http://10.0.0.2:50051",
            "role": "voter",
            "leader": false,
            "reachable": true,
            "last_seen_ms_ago": 350,
            "matched_index": 48,
        })
    );
}

#[tokio::test]
async fn leader_prints_id_and_addr() {
    let server = start().await;
    let addr = &server.addr;
    let run = dialogctl(addr, &["cluster", "leader"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "leader_id  1\naddr       http://10.0.0.1:50051\nterm       4\n"
    );
    assert_eq!(
        json_of(addr, &["cluster", "leader", "--json"]).await,
        json!({"leader_id": 1, "addr": "http://10.0.0.1:50051", "term": 4})
    );
}

#[tokio::test]
async fn add_and_remove_change_the_membership() {
    let server = start().await;
    let (addr, cluster) = (&server.addr, &server.cluster);
    let run = dialogctl(
        addr,
        &["cluster", "add", "4", "http://10.0.0.4:50051", "--learner"],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("node 4 (http://10.0.0.4:50051) added as learner\nNODE "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.lines().any(|l| l.split_whitespace().take(3).eq([
            "4",
            "http://10.0.0.4:50051",
            "learner"
        ])),
        "{}",
        run.stdout
    );

    let v = json_of(addr, &["cluster", "remove", "2", "--json"]).await;
    let ids: Vec<u64> = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["node_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 3, 4]);
    assert_eq!(cluster.view.lock().unwrap().members.len(), 3);
}

#[tokio::test]
async fn errors_exit_non_zero_with_the_servers_code_and_message() {
    let server = start().await;
    let (addr, cluster) = (&server.addr, &server.cluster);
    let cases: [(&[&str], &str); 5] = [
        (
            &["cluster", "add", "0", "http://10.0.0.9:50051"],
            "dialogctl: INVALID_ARGUMENT: node_id: 0 is not a node id (1 to 65535)\n",
        ),
        (
            &["cluster", "add", "9", "10.0.0.9:50051"],
            "dialogctl: INVALID_ARGUMENT: addr: \"10.0.0.9:50051\" is not a URL like http://host:port\n",
        ),
        (
            &["cluster", "add", "2", "http://10.0.0.2:50051"],
            "dialogctl: FAILED_PRECONDITION: node 2 is already a member\n",
        ),
        (
            &["cluster", "remove", "0"],
            "dialogctl: INVALID_ARGUMENT: node_id: 0 is not a node id (1 to 65535)\n",
        ),
        (
            &["cluster", "remove", "1"],
            "dialogctl: UNAVAILABLE: not the leader: node 1 cannot remove itself\n",
        ),
    ];
    for (args, want) in cases {
        let run = dialogctl(addr, args).await;
        assert_eq!(run.code, Some(1), "{args:?}");
        assert_eq!(run.stderr, want, "{args:?}");
        assert_eq!(run.stdout, "", "{args:?}");
    }
    assert_eq!(cluster.view.lock().unwrap().members.len(), 3);
}
