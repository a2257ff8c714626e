//! Scenario: the real `serve` on 127.0.0.1:0 over an in-memory `ClusterBackend`; every `Cluster`
//! RPC is called through the typed and the raw tonic client over TCP: views round-trip sorted,
//! bad arguments are INVALID_ARGUMENT naming what is wrong (and never reach the backend), and
//! backend errors keep their code and message.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod memory_backend;

use dialogd_api::{BackendError, Client, MemberView, Role, pb};
use dialogd_test_support::memory_api::{Change, LEADER, TERM, member, view};
use memory_backend::start;
use tonic::Code;

#[tokio::test]
async fn members_and_leader_return_the_same_view_sorted_by_node_id() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let members = client.cluster_members().await.unwrap();
    assert_eq!(members, view());
    assert_eq!(client.cluster_leader().await.unwrap(), members);
    assert_eq!(members.leader().map(|m| m.node_id), Some(LEADER));

    // On the wire: the leader by id, 0 for "never seen / self", roles by enum.
    let raw = client
        .raw_cluster()
        .leader(pb::LeaderRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (raw.leader_id, raw.term, raw.this_node),
        (LEADER, TERM, LEADER)
    );
    let ids: Vec<u64> = raw.members.iter().map(|m| m.node_id).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(raw.members[0].last_seen_ms_ago, 0);
    assert_eq!(raw.members[1].last_seen_ms_ago, 200);
    assert_eq!(raw.members[2].role, pb::Role::Learner as i32);
}

#[tokio::test]
async fn add_node_returns_the_view_with_the_new_voter_or_learner() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let after = client
        .cluster_add(5, "http://10.0.0.5:50051/", false)
        .await
        .unwrap();
    let added = MemberView {
        addr: "http://10.0.0.5:50051".into(),
        last_seen_ms_ago: None,
        matched_index: 0,
        ..member(5, Role::Voter)
    };
    assert_eq!(after.members.last(), Some(&added));
    assert_eq!(after.members.len(), 4);

    let after = client
        .cluster_add(4, "https://node-4.example.com:443", true)
        .await
        .unwrap();
    let ids: Vec<u64> = after.members.iter().map(|m| m.node_id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert_eq!(after.members[3].role, Role::Learner);
    assert_eq!(
        *server.cluster.changes.lock().unwrap(),
        [
            Change::Add {
                node_id: 5,
                addr: "http://10.0.0.5:50051".into(),
                learner_only: false,
            },
            Change::Add {
                node_id: 4,
                addr: "https://node-4.example.com:443".into(),
                learner_only: true,
            },
        ]
    );
}

#[tokio::test]
async fn remove_node_returns_the_view_without_it() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let after = client.cluster_remove(3).await.unwrap();
    let ids: Vec<u64> = after.members.iter().map(|m| m.node_id).collect();
    assert_eq!(ids, [1, 2]);
    assert_eq!(client.cluster_members().await.unwrap(), after);
    assert_eq!(*server.cluster.changes.lock().unwrap(), [Change::Remove(3)]);
}

#[tokio::test]
async fn bad_arguments_are_invalid_argument_naming_what_is_wrong() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let add = |node_id: u64, addr: &str| pb::AddNodeRequest {
        node_id,
        addr: addr.into(),
        learner_only: false,
    };
    let good = "http://10.0.0.9:50051";
    let adds = [
        (add(0, good), "node_id: 0 is not a node id (1 to 65535)"),
        (
            add(65536, good),
            "node_id: 65536 is not a node id (1 to 65535)",
        ),
        (add(9, ""), "addr: must not be empty"),
        (
            add(9, "10.0.0.9:50051"),
            "addr: \"10.0.0.9:50051\" is not a URL like http://host:port",
        ),
        (
            add(9, "grpc://10.0.0.9:50051"),
            "addr: \"grpc://10.0.0.9:50051\": scheme \"grpc\" is not http or https",
        ),
        (
            add(9, "http://10.0.0.9"),
            "addr: \"http://10.0.0.9\" has no port",
        ),
        (
            add(9, "http://10.0.0.9:50051/raft"),
            "addr: \"http://10.0.0.9:50051/raft\" has a path or query; give only http://host:port",
        ),
    ];
    for (req, want) in adds {
        let status = client.raw_cluster().add_node(req).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{want}");
        assert_eq!(status.message(), want);
    }
    let removes = [
        (0, "node_id: 0 is not a node id (1 to 65535)"),
        (70000, "node_id: 70000 is not a node id (1 to 65535)"),
    ];
    for (node_id, want) in removes {
        let err = client.cluster_remove(node_id).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{want}");
        assert_eq!(err.to_string(), format!("INVALID_ARGUMENT: {want}"));
    }
    assert!(server.cluster.changes.lock().unwrap().is_empty());
}

#[tokio::test]
async fn backend_errors_keep_their_code_and_message() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();

    let err = client
        .cluster_add(2, "http://10.0.0.2:50051", false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        err.to_string(),
        "FAILED_PRECONDITION: node 2 is already a member"
    );
    let err = client.cluster_remove(9).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(err.to_string(), "NOT_FOUND: node 9 is not a member");

    let injected = [
        (
            BackendError::Unavailable("not the leader: node 2 leads".into()),
            Code::Unavailable,
        ),
        (
            BackendError::FailedPrecondition("a membership change is in progress".into()),
            Code::FailedPrecondition,
        ),
        (
            BackendError::Internal("raft stopped".into()),
            Code::Internal,
        ),
    ];
    for (fail, code) in injected {
        let message = fail.to_string();
        *server.cluster.fail.lock().unwrap() = Some(fail);
        let errs = [
            client.cluster_members().await.unwrap_err(),
            client.cluster_leader().await.unwrap_err(),
            client
                .cluster_add(7, "http://10.0.0.7:50051", true)
                .await
                .unwrap_err(),
            client.cluster_remove(2).await.unwrap_err(),
        ];
        for err in errs {
            let dialogd_api::Error::Status(status) = &err else {
                panic!("not a status: {err}");
            };
            assert_eq!((status.code(), status.message()), (code, message.as_str()));
        }
    }
}
