//! The figures of a run: calls placed, answered, rejected at the limit and failed — in all, per
//! stream and per member — and the failure rate over the 10 s around a leader loss.
//!
//! The window figure: every call whose first INVITE left its SIPp caller (the epoch column of the
//! short message trace) within 5 s either side of the fault is placed in the window; it failed
//! when its caller saw neither a 200 nor (for `capped` calls) the limit's 486. Calls are counted
//! apart by where they were sent: through the surviving members (what a client that fails over
//! to a live node sees: the cluster's own failover) and through the victim (in local mode nothing
//! moves the victim's address, so these fail until it is back).

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::calls::{Call, Outcome};
use crate::load::Finished;

/// Half the window around a fault.
const HALF_WINDOW_S: f64 = 5.0;

/// Calls by outcome.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    pub placed: u64,
    pub answered: u64,
    pub rejected: u64,
    pub failed: u64,
}

impl Counts {
    fn add(&mut self, c: &Call) {
        self.placed += 1;
        match c.outcome {
            Outcome::Answered => self.answered += 1,
            Outcome::Rejected => self.rejected += 1,
            Outcome::Failed => self.failed += 1,
        }
    }

    /// Failed calls in percent of the placed ones (0 when none was placed).
    pub fn failed_pct(&self) -> f64 {
        if self.placed == 0 {
            0.0
        } else {
            100.0 * self.failed as f64 / self.placed as f64
        }
    }
}

/// Calls of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CallFigures {
    pub total: Counts,
    pub by_stream: BTreeMap<String, Counts>,
    /// Keyed `node1`, `node2`, ... (the member the INVITE was sent to).
    pub by_node: BTreeMap<String, Counts>,
    /// SIPp's own counters summed over the callers (a call ended by 486 is a success there).
    pub sipp_successful: u64,
    pub sipp_failed: u64,
    /// The first failed calls: stream, member, seconds into the load, last answer.
    pub failed_examples: Vec<String>,
}

/// Failed calls named in [`CallFigures::failed_examples`].
const FAILED_EXAMPLES: usize = 10;

/// Counts every call.
pub fn call_figures(calls: &[Call], load: &Finished) -> CallFigures {
    let mut f = CallFigures::default();
    let t0 = load
        .started
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    for c in calls {
        if c.outcome == Outcome::Failed && f.failed_examples.len() < FAILED_EXAMPLES {
            f.failed_examples.push(format!(
                "{:?} call {} via node {} at {:.1} s: {}",
                c.stream,
                c.call_id,
                c.node + 1,
                c.invite_at.map_or(f64::NAN, |t| t - t0),
                c.last_answer.as_deref().unwrap_or("no final answer")
            ));
        }
        f.total.add(c);
        f.by_stream
            .entry(format!("{:?}", c.stream).to_lowercase())
            .or_default()
            .add(c);
        f.by_node
            .entry(format!("node{}", c.node + 1))
            .or_default()
            .add(c);
    }
    for r in &load.callers {
        f.sipp_successful += r.outcome.successful;
        f.sipp_failed += r.outcome.failed;
    }
    f
}

/// Calls placed within 5 s either side of a fault.
#[derive(Debug, Clone, Serialize)]
pub struct FailureWindow {
    /// The fault (`kill -9 of the leader, node 1`).
    pub fault: String,
    /// 1-based member that was lost.
    pub victim: usize,
    /// Unix time of the fault.
    pub at_unix: f64,
    pub window_s: f64,
    pub through_survivors: Counts,
    pub through_survivors_failed_pct: f64,
    pub through_victim: Counts,
    pub through_victim_failed_pct: f64,
    pub all: Counts,
    pub all_failed_pct: f64,
}

/// The window around `at` for a fault of member `victim` (0-based).
pub fn failure_window(calls: &[Call], fault: &str, victim: usize, at: SystemTime) -> FailureWindow {
    let at_unix = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let mut survivors = Counts::default();
    let mut through_victim = Counts::default();
    let mut all = Counts::default();
    for c in calls {
        let Some(t) = c.invite_at else { continue };
        if (t - at_unix).abs() > HALF_WINDOW_S {
            continue;
        }
        all.add(c);
        if c.node == victim {
            through_victim.add(c);
        } else {
            survivors.add(c);
        }
    }
    FailureWindow {
        fault: fault.to_owned(),
        victim: victim + 1,
        at_unix,
        window_s: 2.0 * HALF_WINDOW_S,
        through_survivors: survivors,
        through_survivors_failed_pct: survivors.failed_pct(),
        through_victim,
        through_victim_failed_pct: through_victim.failed_pct(),
        all,
        all_failed_pct: all.failed_pct(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::time::Duration;

    use super::*;
    use crate::calls::ByeSide;
    use crate::load::Stream;

    fn call(node: usize, at: f64, outcome: Outcome) -> Call {
        Call {
            call_id: format!("{node}-{at}"),
            stream: Stream::Chaos,
            node,
            invite_at: Some(at),
            outcome,
            last_answer: None,
            caller: ByeSide::default(),
            callee: ByeSide::default(),
        }
    }

    #[test]
    fn the_window_counts_calls_within_five_seconds_by_route() {
        let calls = [
            call(0, 96.0, Outcome::Answered),
            call(0, 104.0, Outcome::Failed),
            call(1, 101.0, Outcome::Failed),
            call(1, 102.0, Outcome::Answered),
            call(2, 99.0, Outcome::Rejected),
            call(2, 94.0, Outcome::Failed),
            call(2, 106.0, Outcome::Failed),
        ];
        let w = failure_window(&calls, "kill", 0, UNIX_EPOCH + Duration::from_secs(100));
        assert_eq!((w.all.placed, w.all.failed), (5, 2));
        assert_eq!((w.through_victim.placed, w.through_victim.failed), (2, 1));
        assert_eq!(
            (w.through_survivors.placed, w.through_survivors.failed),
            (3, 1)
        );
        assert!((w.through_survivors_failed_pct - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(w.victim, 1);
    }
}
