//! A scenario's report: what was done when, the figures, the limit watch, the members' final
//! answers and every invariant's verdict — written as JSON (`<report dir>/<scenario>.json`) and
//! summed up for people as tables.
//!
//! Must not judge: the status comes from the invariants ([`crate::invariants`]); the failover
//! figure is reported against its target (under 1 % over the 10 s around the loss)
//! but does not fail a run: at a few calls per second one failed call is several percent.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::config::Params;
use crate::figures::{CallFigures, FailureWindow, VictimCalls};
use crate::invariants::{Check, FinalState};
use crate::poller::LimitWatch;

/// The target: calls failed during a leader loss, over the 10 s around it.
pub const FAILOVER_TARGET_PCT: f64 = 1.0;

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every invariant held.
    Passed,
    /// An invariant broke.
    Failed,
    /// The backend cannot inject the scenario's fault.
    Skipped,
    /// The harness could not carry the scenario out (a member did not start, ...).
    Error,
}

/// Something the run did, at seconds since the load started (negative: before).
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at_s: f64,
    pub what: String,
}

/// One scenario's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: String,
    pub about: String,
    pub status: Status,
    /// Why it was skipped, or what went wrong.
    pub reason: Option<String>,
    pub params: Params,
    pub started_unix: f64,
    pub duration_s: f64,
    pub events: Vec<Event>,
    /// Seconds from a leader's loss until a serving member was seen as leader.
    pub time_to_new_leader_s: Option<f64>,
    pub calls: Option<CallFigures>,
    pub failover: Option<FailureWindow>,
    pub failover_target_pct: f64,
    /// The lost member's calls hung up by their callers after the loss.
    pub victim_calls: Option<VictimCalls>,
    pub limit_watch: Option<LimitWatch>,
    pub final_state: Option<FinalState>,
    pub invariants: Vec<Check>,
    /// Where the members' logs were copied (when an invariant broke or the run erred).
    pub logs_dir: Option<PathBuf>,
}

impl Report {
    /// An empty report of `scenario`, to be filled.
    pub fn new(scenario: &str, about: &str, params: &Params, started_unix: f64) -> Report {
        Report {
            scenario: scenario.to_owned(),
            about: about.to_owned(),
            status: Status::Error,
            reason: None,
            params: params.clone(),
            started_unix,
            duration_s: 0.0,
            events: Vec::new(),
            time_to_new_leader_s: None,
            calls: None,
            failover: None,
            failover_target_pct: FAILOVER_TARGET_PCT,
            victim_calls: None,
            limit_watch: None,
            final_state: None,
            invariants: Vec::new(),
            logs_dir: None,
        }
    }

    /// The invariants that broke.
    pub fn broken(&self) -> Vec<&Check> {
        self.invariants.iter().filter(|c| !c.ok).collect()
    }

    /// Passed or skipped: nothing to fail the run for.
    pub fn is_ok(&self) -> bool {
        matches!(self.status, Status::Passed | Status::Skipped)
    }

    /// Writes `<dir>/<scenario>.json`; its path.
    pub fn write_json(&self, dir: &Path) -> Result<PathBuf> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(format!("{}.json", self.scenario));
        let text = serde_json::to_string_pretty(self).context("cannot serialize the report")?;
        fs::write(&path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }

    /// The lost member's calls hung up after the loss, in a line (empty without a loss).
    pub fn victim_line(&self) -> String {
        let Some(v) = &self.victim_calls else {
            return String::new();
        };
        let h = &v.hung_up_after_loss;
        let mut line = format!(
            "  calls answered through node {} before its loss and hung up by the caller after it: \
             {} of {} ended on both sides; of the {} hung up while it was away, {} ended before \
             it was back",
            v.victim, h.ended, h.calls, h.hung_up_while_away, h.ended_while_away
        );
        if !v.not_ended.is_empty() {
            let _ = write!(line, "; not ended: {}", v.not_ended.join("; "));
        }
        line.push('\n');
        line
    }

    /// Every invariant with its verdict, one line each.
    pub fn invariant_lines(&self) -> String {
        let mut out = String::new();
        for c in &self.invariants {
            let _ = writeln!(
                out,
                "  {:<22} {}  {}",
                c.name,
                if c.ok { "ok    " } else { "BROKEN" },
                c.detail
            );
        }
        out
    }
}

/// One line per scenario: status, duration, calls, failover figure, leader change, invariants.
pub fn summary_table(reports: &[Report]) -> String {
    let header = [
        "scenario",
        "status",
        "secs",
        "placed",
        "answered",
        "486",
        "failed",
        "fail% 10s (surv/victim)",
        "new leader",
        "victim's calls hung up after: ended/all (while away)",
        "invariants",
    ];
    let mut rows = vec![header.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    for r in reports {
        let c = r.calls.as_ref().map(|c| c.total);
        let num = |f: fn(&crate::figures::Counts) -> u64| {
            c.as_ref().map_or("-".to_owned(), |c| f(c).to_string())
        };
        let failover = r.failover.as_ref().map_or("-".to_owned(), |w| {
            format!(
                "{:.1}% of {} / {:.0}% of {}",
                w.through_survivors_failed_pct,
                w.through_survivors.placed,
                w.through_victim_failed_pct,
                w.through_victim.placed
            )
        });
        let invariants = if r.invariants.is_empty() {
            "-".to_owned()
        } else {
            let broken: Vec<&str> = r.broken().iter().map(|c| c.name).collect();
            if broken.is_empty() {
                format!("{}/{} ok", r.invariants.len(), r.invariants.len())
            } else {
                format!("broken: {}", broken.join(", "))
            }
        };
        rows.push(vec![
            r.scenario.clone(),
            format!("{:?}", r.status).to_lowercase(),
            format!("{:.0}", r.duration_s),
            num(|c| c.placed),
            num(|c| c.answered),
            num(|c| c.rejected),
            num(|c| c.failed),
            failover,
            r.time_to_new_leader_s
                .map_or("-".to_owned(), |s| format!("{s:.1} s")),
            r.victim_calls
                .as_ref()
                .map_or("-".to_owned(), VictimCalls::summary),
            invariants,
        ]);
    }
    table(&rows)
}

fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (n, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
        if n == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            let _ = writeln!(out, "{}", rule.join("  "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::backend::Backend;

    fn params() -> Params {
        Params {
            seconds: 10,
            rate: 2.0,
            report_dir: PathBuf::from("/tmp"),
            backend: Backend::Local,
        }
    }

    #[test]
    fn the_summary_names_broken_invariants_and_skips() {
        let mut a = Report::new("leader-kill", "x", &params(), 0.0);
        a.status = Status::Failed;
        a.invariants = vec![
            Check {
                name: "no-panic",
                ok: true,
                detail: String::new(),
            },
            Check {
                name: "no-dialog-left",
                ok: false,
                detail: String::new(),
            },
        ];
        let mut b = Report::new("partition", "y", &params(), 0.0);
        b.status = Status::Skipped;
        let text = summary_table(&[a.clone(), b.clone()]);
        assert!(text.contains("broken: no-dialog-left"), "{text}");
        assert!(
            text.contains("partition") && text.contains("skipped"),
            "{text}"
        );
        assert!(!a.is_ok() && b.is_ok());
    }

    #[test]
    fn a_report_round_trips_to_json_on_disk() {
        let dir = tempfile_dir();
        let r = Report::new("pause", "z", &params(), 1.5);
        let path = r.write_json(&dir).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(v["scenario"], "pause");
        assert_eq!(v["status"], "error");
        assert_eq!(v["params"]["backend"], "local");
        let _ = fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("chaos-report-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}
