//! The figures of a run: calls placed, answered, rejected at the limit and failed — in all, per
//! stream and per member — the failure rate over the 10 s around a leader loss, and what became
//! of the lost member's own calls.
//!
//! The window figure: every call whose first INVITE left its SIPp caller (the epoch column of the
//! short message trace) within 5 s either side of the fault is placed in the window; it failed
//! when its caller saw neither a 200 nor (for `capped` calls) the limit's 486. Calls are counted
//! apart by where they were sent: through the surviving members (what a client that fails over
//! to a live node sees: the cluster's own failover) and through the victim (in local mode nothing
//! moves the victim's address, so these fail until it is back).
//!
//! The lost member's calls ([`VictimCalls`]): every call its caller sent through the victim,
//! answered before the loss and hung up by the caller (its first BYE) after it; how many ended
//! with a BYE answered 200 on both sides; and, of those hung up while the victim was away, how
//! many ended before it was back (the caller had the 200 to its BYE by then). With a shared
//! Record-Route these BYEs reach a survivor, which has them judged or takes the dialog over, so
//! they end while the victim is away; with each member's own Record-Route they wait in
//! retransmissions for the victim.

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

/// Calls hung up by their caller after a member's loss, and how they ended.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct HungUp {
    pub calls: u64,
    /// A BYE answered 200 on both sides (as `answered-calls-ended` judges it).
    pub ended: u64,
    /// The caller's BYE sent before the lost member was back.
    pub hung_up_while_away: u64,
    /// Of those, ended on both sides with the caller's 200 received before it was back.
    pub ended_while_away: u64,
}

impl HungUp {
    /// Counts `c`, hung up at `bye`, its BYE answered at `answered` (Unix seconds), the lost
    /// member back at `back`.
    fn add(&mut self, c: &Call, bye: f64, answered: Option<f64>, back: f64) {
        let ended = c.caller.completed && c.callee.completed;
        self.calls += 1;
        self.ended += u64::from(ended);
        if bye < back {
            self.hung_up_while_away += 1;
            self.ended_while_away += u64::from(ended && answered.is_some_and(|t| t < back));
        }
    }
}

/// The lost member's calls hung up after the loss (see the module doc).
#[derive(Debug, Clone, Default, Serialize)]
pub struct VictimCalls {
    /// 1-based member that was lost.
    pub victim: usize,
    /// Answered through it before the loss, the caller's BYE sent after it.
    pub hung_up_after_loss: HungUp,
    /// [`VictimCalls::hung_up_after_loss`] per stream.
    pub by_stream: BTreeMap<String, HungUp>,
    /// The first of them that did not end on both sides: stream, Call-ID, seconds after the loss.
    pub not_ended: Vec<String>,
}

impl VictimCalls {
    /// `ended/hung up (ended/hung up while away)`.
    pub fn summary(&self) -> String {
        let h = &self.hung_up_after_loss;
        format!(
            "{}/{} ({}/{} while away)",
            h.ended, h.calls, h.ended_while_away, h.hung_up_while_away
        )
    }
}

/// The calls of member `victim` (0-based), lost at `at` and back at `back`: see [`VictimCalls`].
pub fn victim_calls(
    calls: &[Call],
    victim: usize,
    at: SystemTime,
    back: Option<SystemTime>,
) -> VictimCalls {
    let unix = |t: SystemTime| {
        t.duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    };
    let at = unix(at);
    let back = back.map_or(f64::INFINITY, unix);
    let mut out = VictimCalls {
        victim: victim + 1,
        ..VictimCalls::default()
    };
    for c in calls {
        if c.node != victim || c.outcome != Outcome::Answered {
            continue;
        }
        let (Some(answered), Some(bye)) = (c.answered_at, c.caller_bye_at) else {
            continue;
        };
        if answered >= at || bye < at {
            continue;
        }
        let answered_bye = c.caller_bye_answered_at;
        out.hung_up_after_loss.add(c, bye, answered_bye, back);
        out.by_stream
            .entry(format!("{:?}", c.stream).to_lowercase())
            .or_default()
            .add(c, bye, answered_bye, back);
        if !(c.caller.completed && c.callee.completed) && out.not_ended.len() < FAILED_EXAMPLES {
            out.not_ended.push(format!(
                "{:?} call {} hung up {:.1} s after the loss",
                c.stream,
                c.call_id,
                bye - at
            ));
        }
    }
    out
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
            answered_at: None,
            caller_bye_at: None,
            caller_bye_answered_at: None,
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

    #[test]
    fn the_victims_calls_are_those_answered_before_the_loss_and_hung_up_after() {
        let ended = ByeSide {
            completed: true,
            ..ByeSide::default()
        };
        let mk = |node: usize, answered: f64, bye: Option<f64>, ok: bool| Call {
            answered_at: Some(answered),
            caller_bye_at: bye,
            caller_bye_answered_at: bye.map(|t| t + 0.5),
            caller: ended.clone(),
            callee: ByeSide {
                completed: ok,
                ..ByeSide::default()
            },
            ..call(node, answered - 0.1, Outcome::Answered)
        };
        let calls = [
            mk(0, 95.0, Some(101.0), true),
            mk(0, 95.5, Some(106.8), true),
            mk(0, 96.0, Some(108.0), false),
            mk(0, 97.0, Some(99.0), true),
            mk(0, 101.0, Some(105.0), true),
            mk(0, 98.0, None, true),
            mk(1, 95.0, Some(101.0), true),
        ];
        let v = victim_calls(
            &calls,
            0,
            UNIX_EPOCH + Duration::from_secs(100),
            Some(UNIX_EPOCH + Duration::from_secs(107)),
        );
        assert_eq!(v.victim, 1);
        let h = v.hung_up_after_loss;
        assert_eq!((h.calls, h.ended), (3, 2));
        // The second call's BYE left while away but its 200 came after the member was back.
        assert_eq!((h.hung_up_while_away, h.ended_while_away), (2, 1));
        assert_eq!(v.by_stream["chaos"].calls, 3);
        assert_eq!(v.not_ended.len(), 1, "{:?}", v.not_ended);
        assert_eq!(v.summary(), "2/3 (1/2 while away)");
    }
}
