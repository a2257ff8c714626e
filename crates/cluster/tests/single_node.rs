//! A cluster of one in-process node: admissions are exact under concurrency, a restart on the
//! same data dir brings every record back, and releases that could not be committed are not
//! lost.

use std::sync::Arc;
use std::time::Duration;

use dialogd_cluster::network::tcp_connector;
use dialogd_cluster::{ClusterNode, ClusterSettings, Command, CommandResult};
use dialogd_dialog::{DialogId, EndCause, ProfileKey, ProfileMembership};

fn settings(dir: &std::path::Path) -> ClusterSettings {
    let mut s = ClusterSettings::new(1, "http://127.0.0.1:1".into(), dir.to_path_buf());
    s.secret = "test-secret".into();
    // The tests check exactness, not speed: 2000 writes queued at once on a busy machine
    // may take longer than the default 2 s each.
    s.write_timeout = Duration::from_secs(60);
    s
}

fn admit(did: u64, limit: u32) -> Command {
    Command::Admit {
        did: DialogId(did),
        owner: 1,
        profiles: vec![ProfileMembership {
            key: ProfileKey::with_value("caller", "alice"),
            limit: Some(limit),
        }],
        record: None,
    }
}

async fn wait_leader(node: &ClusterNode) {
    for _ in 0..200 {
        if node.is_leader() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no leader");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_admissions_stop_exactly_at_the_limit_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _own) = ClusterNode::start(settings(dir.path()), tcp_connector(None))
        .await
        .unwrap();
    wait_leader(&node).await;
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..2000u64 {
        let node = node.clone();
        tasks.push(tokio::spawn(async move {
            let t = std::time::Instant::now();
            (node.write(admit(i, 500)).await, t.elapsed())
        }));
    }
    let mut ok = 0;
    let mut full = 0;
    let mut worst = Duration::ZERO;
    for t in tasks {
        let (r, took) = t.await.unwrap();
        worst = worst.max(took);
        match r.unwrap() {
            CommandResult::Ok => ok += 1,
            CommandResult::LimitReached { limit: 500, .. } => full += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    println!(
        "2000 admissions in {:?}, slowest {worst:?}",
        started.elapsed()
    );
    assert_eq!((ok, full), (500, 1500));
    node.write(Command::Release {
        did: DialogId(0),
        cause: EndCause::ByeCaller,
    })
    .await
    .unwrap();
    node.shutdown().await;
    // Its background tasks stop on shutdown and let go of the node (and the store files).
    for _ in 0..100 {
        if Arc::strong_count(&node) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        Arc::strong_count(&node),
        1,
        "a background task outlived shutdown"
    );
    drop(node);

    // The old node's background tasks let go of the store files shortly after shutdown.
    let mut reopened = None;
    for _ in 0..100 {
        match ClusterNode::start(settings(dir.path()), tcp_connector(None)).await {
            Ok(n) => {
                reopened = Some(n);
                break;
            }
            Err(e) => {
                eprintln!("reopen: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    let (node, _own) = reopened.expect("store reopens after shutdown");
    wait_leader(&node).await;
    let state = node.state();
    let size = {
        let s = state.read().unwrap();
        s.check_invariants().unwrap();
        s.profile_size("caller", Some("alice"))
    };
    assert_eq!(size, 499, "records back from disk");
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_releases_are_committed_later() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _own) = ClusterNode::start(settings(dir.path()), tcp_connector(None))
        .await
        .unwrap();
    wait_leader(&node).await;
    let node: Arc<ClusterNode> = node;
    node.write(admit(7, 10)).await.unwrap();
    // As if the release had failed for want of quorum.
    let pending = dialogd_cluster::PendingReleases::open(&dir.path().join("pending.redb"));
    assert!(pending.is_err(), "the node holds the queue file open");
    node.queue_release(DialogId(7), EndCause::ByeCallee)
        .unwrap();
    for _ in 0..100 {
        let n = node.state().read().unwrap().dialog_count();
        if n == 0 {
            node.shutdown().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("queued release never committed");
}
