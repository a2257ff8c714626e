//! CI smoke test of the chaos harness: the `leader-kill` scenario under light load (3 calls/s,
//! 15 s of calls, the leader killed 5 s in and restarted 7 s later), run through the library
//! as `chaos --scenario leader-kill --seconds 15 --rate 3` would, and no invariant may break.
//! The report goes to `chaos-tests/reports/smoke/` (kept for a look when it fails).

// A test: panics are how it fails.
#![allow(clippy::unwrap_used)]

use dialogd_chaos_tests::{Backend, Params, Status, default_report_dir, run_all, scenarios};

#[test]
fn leader_kill_under_light_load_breaks_no_invariant() {
    let params = Params {
        seconds: 15,
        rate: 3.0,
        report_dir: default_report_dir().join("smoke"),
        backend: Backend::Local,
    };
    let scenario = scenarios::find("leader-kill").unwrap();
    let reports = run_all(&[scenario], &params).unwrap();
    let report = &reports[0];
    let broken: Vec<String> = report
        .broken()
        .iter()
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    assert_eq!(
        report.status,
        Status::Passed,
        "reason {:?}; broken invariants:\n{}\nreport and logs in {}",
        report.reason,
        broken.join("\n"),
        params.report_dir.display()
    );
    let calls = report.calls.as_ref().unwrap();
    assert!(calls.total.answered > 0, "{calls:?}");
    assert!(
        report.time_to_new_leader_s.is_some(),
        "no new leader measured"
    );
}
