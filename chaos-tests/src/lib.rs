//! dialogd's chaos harness: fault scenarios against a three-node cluster under SIPp load, with
//! the cluster's invariants (docs/reliability.md) checked from what SIPp saw and what every
//! member's API reports, and a JSON report per scenario.
//!
//! ```text
//!   chaos --scenario leader-kill        scenarios::find ─▶ run::run_scenario ─▶ Report
//!                                          │                  │
//!  backend (Local: processes, Docker) ◀────┘     load (SIPp) ─┤─ poller (limit watch)
//!                                                 calls, figures, invariants ─▶ report
//! ```
//!
//! Owns:
//! - [`backend`]: the [`ChaosCluster`] trait and the [`Backend`] choice; [`local`] (processes
//!   on 127.0.0.1) and [`docker`] (the compose cluster of `deploy/compose`) implement it;
//! - [`config`]: the run's knobs and the dialogd config (a valued profile with limits, a timeout);
//! - [`load`]: the SIPp streams; [`calls`]: what they saw, per call;
//! - [`poller`]: the limit watch during the run; [`invariants`]: the checks after it;
//! - [`figures`]: counts, the failure rate around a leader loss and the lost member's calls hung
//!   up after it; [`report`]: JSON and tables;
//! - [`scenarios`]: one file per scenario; [`run`]: one scenario from start to report;
//! - [`bench`]: the benchmark driver of `scripts/bench` (`--bin bench`): call rates and held
//!   calls through release dialogd (one node or a cluster) and Kamailio, Markdown tables;
//! - [`hostile`]: the hostile-traffic benchmark (`--bin hostile`): clean calls through one node
//!   beside each attack of `dialogd_test_support::attack`, a phase per attack.
//!
//! Must not leave processes behind (every member and SIPp is killed when its handle drops) nor
//! decide pass or fail on anything but the invariants.

pub mod backend;
pub mod bench;
pub mod calls;
pub mod config;
pub mod docker;
pub mod figures;
pub mod hostile;
pub mod invariants;
pub mod load;
pub mod local;
pub mod poller;
pub mod report;
pub mod run;
pub mod scenarios;

use std::path::PathBuf;

use anyhow::Result;

pub use backend::{Backend, ChaosCluster, Fault};
pub use config::{Params, RecordRoute};
pub use report::{Report, Status, summary_table};
pub use scenarios::Scenario;

/// Where reports go by default: `chaos-tests/reports/` of the workspace.
pub fn default_report_dir() -> PathBuf {
    dialogd_test_support::workspace_root()
        .join("chaos-tests")
        .join("reports")
}

/// Runs `scenarios` one after the other; writes each report as JSON into `params.report_dir`
/// and prints its invariants to stdout as it finishes.
pub fn run_all(scenarios: &[Scenario], params: &Params) -> Result<Vec<Report>> {
    let mut reports = Vec::new();
    for s in scenarios {
        let report = run::run_scenario(s, params);
        let path = report.write_json(&params.report_dir)?;
        println!(
            "{} — {:?} in {:.0} s{} ({})",
            report.scenario,
            report.status,
            report.duration_s,
            report
                .reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default(),
            path.display()
        );
        print!("{}", report.invariant_lines());
        print!("{}", report.victim_line());
        reports.push(report);
    }
    Ok(reports)
}
