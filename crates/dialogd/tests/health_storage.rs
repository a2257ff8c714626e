//! Scenario: a node's data_dir is on a small tmpfs, which a test file then fills; new calls
//! make Raft append to its log until a write fails with ENOSPC. The node reports NOT_SERVING
//! with the reason, shuts down, and exits with code 74 (EX_IOERR) naming it on stderr, for its
//! supervisor to restart it — instead of serving on, answering every INVITE 503.
//!
//! Runs as root (a private mount namespace for the tmpfs, `crates/test-support/src/mountns.rs`);
//! elsewhere it is skipped with a printed reason.

// Test helpers below panic on setup failures like the tests themselves.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use dialogd_test_support::{DialogdNode, RawCall, RawSipPeer, binary, http_get, mountns};

/// Size of the node's disk: room for the Raft store and the node's files, little more.
const DISK_BYTES: u64 = 8 << 20;

/// How long the INVITEs may take to make the log write fail and the node exit.
const FAIL_WITHIN: Duration = Duration::from_secs(60);

/// sysexits.h EX_IOERR: what dialogd exits with when its Raft store failed.
const EXIT_STORAGE: i32 = 74;

fn config(data_dir: &Path) -> String {
    format!(
        "node_id = 1\n\
         data_dir = \"{}\"\n\
         sip_listen = \"127.0.0.1:0\"\n\
         grpc_listen = \"127.0.0.1:0\"\n\
         metrics_listen = \"127.0.0.1:0\"\n\
         \n[cluster]\nfsync = \"always\"\nwrite_timeout_ms = 500\n\
         \n[flood]\nenabled = false\n",
        data_dir.display()
    )
}

#[test]
fn a_full_disk_makes_the_node_report_not_serving_and_exit_74() {
    if !mountns::running_as_root() {
        eprintln!("skipped: a size-limited tmpfs for the data dir needs root");
        return;
    }
    let ns = mountns::isolate().unwrap_or_else(|e| panic!("{e:#}"));
    let dir = tempfile::Builder::new()
        .prefix("dialogd-health-storage-")
        .tempdir()
        .unwrap();
    let disk_dir = dir.path().join("disk");
    std::fs::create_dir(&disk_dir).unwrap();
    let disk = ns.tmpfs(&disk_dir, DISK_BYTES).unwrap();
    let data_dir = disk.dir().join("data");
    let node = DialogdNode::start_in(
        &binary("dialogd"),
        dir.path(),
        &data_dir,
        &config(&data_dir),
    )
    .unwrap();

    let (code, out, err) = node.dialogctl().run(&["health"]).unwrap();
    assert_eq!(code, Some(0), "serving before the disk fills: {out}{err}");
    let (status, body) = http_get(node.endpoints().metrics, "/healthz").unwrap();
    assert_eq!((status, body.as_str()), (200, "ok"));

    let filled = disk.fill("filler").unwrap();
    assert!(filled > 0, "the filler took what was left of the disk");

    // Every new INVITE is an admission the node appends to its Raft log.
    let sip = node.sip_addr();
    let mut peer = RawSipPeer::udp().unwrap();
    let uri = format!("sip:nobody@{}", peer.local_addr());
    let deadline = Instant::now() + FAIL_WITHIN;
    let mut sent = 0u32;
    let status = loop {
        if let Some(status) = node.wait_exit(Duration::from_millis(20)).unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the node still runs after {sent} INVITEs on a full disk; log:\n{}",
            node.log()
        );
        let mut call = RawCall::new(&peer, sip, &uri, "alice");
        peer.send_to(sip, &call.invite()).unwrap();
        sent += 1;
    };

    let log = node.log();
    assert_eq!(status.code(), Some(EXIT_STORAGE), "{status}; log:\n{log}");
    assert!(
        log.contains("health: not serving; the node stops"),
        "NOT_SERVING reported before the exit; log:\n{log}"
    );
    assert!(
        log.contains("dialogd: raft storage failed: raft log")
            && log.contains("No space left on device"),
        "stderr names the reason; log:\n{log}"
    );
}
