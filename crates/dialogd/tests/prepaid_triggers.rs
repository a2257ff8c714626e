//! Scenario: the OpenSIPS prepaid example with dialog triggers, on a
//! three-node cluster. The call goes through node 1; the `prepaid` controller
//! (examples/prepaid) is connected to node 2 only, so every trigger crosses nodes. The rule
//! gives the call a 5 s timeout and the trigger `prepaid`; alice has credit for 12 s: the
//! first 5 s are free, on_timeout at 5 s and 10 s each charge 5 s and extend by 5 s, at 15 s
//! the 2 s left do not cover 5 s and the call expires with a BYE to both legs; on_hangup
//! writes the call to the ledger: exactly 10 s charged, 2 s of credit left.
//! Without a controller the same call expires at its first timeout, 5 s.
//!
//! Times are checked from below only (a call never ends before its paid time); the upper
//! bounds are loose, as these machines are shared.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dialogd_test_support::serde_json::{self, Value};
use dialogd_test_support::{DialogdCluster, SippCall, binary, wait_until};

const CONFIG: &str = r#"
[dialog]
secret = "cluster-test-secret-0123456789"

[triggers]
decision_timeout_ms = 2000

[[rules]]
name = "prepaid"
match = { method = "INVITE" }
timeout = 5
bye_on_timeout = true
triggers = ["prepaid"]
"#;

const HOLD: Duration = Duration::from_secs(60);
const RUN: Duration = Duration::from_secs(100);

struct Controller(Child);

impl Drop for Controller {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the example controller and waits until it says it serves `prepaid` (its stdout
/// is echoed to the test's output).
fn start_controller(addr: &str, ledger: &Path) -> Controller {
    let mut child = Command::new(binary("prepaid"))
        .args(["--addr", addr, "--ledger"])
        .arg(ledger)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("controller: {line}");
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("serving") => break,
            Ok(_) => {}
            Err(e) => panic!("the prepaid controller did not start serving: {e}"),
        }
    }
    Controller(child)
}

/// One SIPp call from `caller` through member 0 that neither side hangs up; returns how long
/// it lasted from its answer until SIPp saw it end, and both sides' BYE counts.
fn timed_call(cluster: &DialogdCluster, caller: &str) -> (Duration, usize, usize) {
    let call = SippCall::long(cluster.node(0).unwrap().sip_addr(), HOLD)
        .caller(caller)
        .timeout(RUN)
        .spawn_answered(Duration::from_secs(10))
        .unwrap();
    let answered = Instant::now();
    let caller_side = call.uac.wait().unwrap();
    let lasted = answered.elapsed();
    let callee_side = call.uas.finish_after(&caller_side).unwrap();
    assert!(caller_side.all_successful(), "{}", caller_side.describe());
    assert!(callee_side.all_successful(), "{}", callee_side.describe());
    assert!(caller_side.sent("BYE").is_empty() && callee_side.sent("BYE").is_empty());
    (
        lasted,
        caller_side.logged("bye_received").len(),
        callee_side.logged("bye_received").len(),
    )
}

fn ledger(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn prepaid_controller_extends_twice_then_lets_the_call_expire_and_no_controller_expires_at_5s() {
    let cluster = DialogdCluster::start(3, "", CONFIG).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.json");
    std::fs::write(&path, r#"{ "accounts": { "alice": 12 }, "calls": [] }"#).unwrap();

    // No controller connected anywhere: the first timeout ends the call.
    let (lasted, byes_caller, byes_callee) = timed_call(&cluster, "bob");
    println!("without a controller the call lasted {lasted:?}");
    assert!(lasted >= Duration::from_millis(4_500), "{lasted:?}");
    assert!(lasted < Duration::from_secs(12), "{lasted:?}");
    assert_eq!((byes_caller, byes_callee), (1, 1));

    let _controller = start_controller(&cluster.spec(1).grpc_url(), &path);

    let (lasted, byes_caller, byes_callee) = timed_call(&cluster, "alice");
    println!("alice's prepaid call lasted {lasted:?}");
    assert!(lasted >= Duration::from_millis(14_500), "{lasted:?}");
    assert!(lasted < Duration::from_secs(30), "{lasted:?}");
    assert_eq!((byes_caller, byes_callee), (1, 1));

    let l = wait_until(
        Duration::from_secs(10),
        "the ledger to hold the call",
        || {
            let l = ledger(&path);
            anyhow::ensure!(l["calls"].as_array().is_some_and(|c| c.len() == 1), "{l}");
            Ok(l)
        },
    )
    .unwrap();
    assert_eq!(l["accounts"]["alice"], 2, "{l}");
    assert_eq!(l["calls"][0]["account"], "alice", "{l}");
    assert_eq!(l["calls"][0]["charged_secs"], 10, "{l}");
    assert_eq!(l["calls"][0]["end_cause"], "timeout", "{l}");
    let stats = cluster.dialogctl(0).json(&["stats"]).unwrap();
    assert_eq!(stats["expired"], 2, "{stats}");
}
