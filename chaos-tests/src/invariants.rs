//! The invariants a run must keep, each a [`Check`] with a short reason, judged from what SIPp
//! saw ([`crate::calls`]), what the limit watch read during the run ([`crate::poller`]), what
//! every member's API says once the run has healed and every call ended ([`FinalState`]) and
//! what the members wrote to stderr.
//!
//! | check | broken when |
//! |---|---|
//! | `limit-never-exceeded` | a profile count read during the run (linearizable or own copy) was above its limit, or no read succeeded |
//! | `counts-zero` | a member's `stats` (its own or the cluster's) shows an active or early dialog, or a member did not answer |
//! | `profiles-empty` | a member's `profile values caller` shows a non-zero count |
//! | `no-dialog-left` | a member's `dialogs list` is not empty (a dialog stuck in any state) |
//! | `counters-sane` | a counter is not an unsigned number or is at or above 2^63 (it went below zero and wrapped) |
//! | `answered-calls-ended` | a call SIPp saw answered did not end with a BYE answered 200 on both sides |
//! | `timed-one-bye-per-leg` | a `timed` call's leg got no BYE or two BYEs (two CSeqs), or an end sent a BYE itself |
//! | `no-panic` | a member's stderr says `panicked` |

use std::fmt::Write as _;
use std::time::Duration;

use dialogd_test_support::serde_json::Value;
use dialogd_test_support::wait_until;
use serde::Serialize;

use crate::backend::ChaosCluster;
use crate::calls::{Call, Outcome};
use crate::config::PROFILE;
use crate::load::Stream;
use crate::poller::LimitWatch;

/// A count at or above this went below zero and wrapped.
pub const WRAPPED: u64 = 1 << 63;
/// Examples named in a check's detail.
const EXAMPLES: usize = 5;

/// One invariant's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

impl Check {
    fn new(name: &'static str, ok: bool, detail: String) -> Check {
        Check { name, ok, detail }
    }
}

/// One member's answers after the run.
#[derive(Debug, Clone, Serialize)]
pub struct MemberState {
    /// 1-based.
    pub node: usize,
    pub stats: Option<Value>,
    pub profile_values: Option<Value>,
    pub dialogs: Option<Vec<Value>>,
    /// What could not be read, and why.
    pub errors: Vec<String>,
}

/// Every member's answers after the run, and how long they took to settle.
#[derive(Debug, Clone, Serialize)]
pub struct FinalState {
    pub members: Vec<MemberState>,
    /// Whether every member showed no call and no count within the settle time.
    pub settled: bool,
    /// Seconds waited for that.
    pub waited_s: f64,
}

/// Reads every serving member, again and again for at most `timeout` until nothing is left
/// anywhere, and returns the last reading.
pub fn settle(cluster: &dyn ChaosCluster, timeout: Duration) -> FinalState {
    let started = std::time::Instant::now();
    let mut last = Vec::new();
    let settled = wait_until(timeout, "every member to show no call", || {
        last = read_members(cluster);
        let left = leftovers(&last);
        if left.is_empty() {
            Ok(())
        } else {
            Err(anyhow::anyhow!(left.join("; ")))
        }
    })
    .is_ok();
    FinalState {
        members: last,
        settled,
        waited_s: started.elapsed().as_secs_f64(),
    }
}

fn read_members(cluster: &dyn ChaosCluster) -> Vec<MemberState> {
    (0..cluster.len())
        .map(|i| {
            let ctl = cluster.dialogctl(i);
            let mut errors = Vec::new();
            let mut keep = |r: anyhow::Result<Value>, what: &str| match r {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.push(format!("{what}: {e:#}"));
                    None
                }
            };
            let stats = keep(ctl.json(&["stats"]), "stats");
            let profile_values = keep(ctl.json(&["profile", "values", PROFILE]), "profile values");
            let dialogs = match ctl.dialogs() {
                Ok(d) => Some(d),
                Err(e) => {
                    errors.push(format!("dialogs list: {e:#}"));
                    None
                }
            };
            MemberState {
                node: i + 1,
                stats,
                profile_values,
                dialogs,
                errors,
            }
        })
        .collect()
}

/// Why the members are not settled yet (empty: settled).
fn leftovers(members: &[MemberState]) -> Vec<String> {
    let mut out = Vec::new();
    for m in members {
        if !m.errors.is_empty() {
            out.push(format!("node {}: {}", m.node, m.errors.join(", ")));
        }
        out.extend(busy_counts(m));
        out.extend(nonzero_values(m));
        if let Some(d) = &m.dialogs
            && !d.is_empty()
        {
            out.push(format!("node {}: {} dialogs listed", m.node, d.len()));
        }
    }
    out
}

/// `active`/`early` above zero in a member's stats, its own and the cluster's.
fn busy_counts(m: &MemberState) -> Vec<String> {
    let Some(stats) = &m.stats else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (scope, v) in [("node", Some(stats)), ("cluster", stats.get("cluster"))] {
        let Some(v) = v else { continue };
        for key in ["active", "early"] {
            match v.get(key).and_then(Value::as_u64) {
                Some(0) => {}
                Some(n) => out.push(format!("node {}: {scope} {key} = {n}", m.node)),
                None => out.push(format!("node {}: {scope} {key} missing: {v}", m.node)),
            }
        }
    }
    out
}

/// Profile values with a count above zero.
fn nonzero_values(m: &MemberState) -> Vec<String> {
    let Some(v) = &m.profile_values else {
        return Vec::new();
    };
    match crate::poller::parse_values(v) {
        Ok(values) => values
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|(value, n)| format!("node {}: {PROFILE}/{value} = {n}", m.node))
            .collect(),
        Err(e) => vec![format!("node {}: {e:#}", m.node)],
    }
}

/// Every check of a run.
pub fn check_all(
    calls: &[Call],
    watch: &LimitWatch,
    state: &FinalState,
    stderr_logs: &[String],
) -> Vec<Check> {
    vec![
        limit_never_exceeded(watch),
        counts_zero(state),
        profiles_empty(state),
        no_dialog_left(state, calls),
        counters_sane(state, watch),
        answered_calls_ended(calls),
        timed_one_bye_per_leg(calls),
        no_panic(stderr_logs),
    ]
}

fn limit_never_exceeded(w: &LimitWatch) -> Check {
    let mut detail = format!(
        "{} rounds, {} reads ({} failed); highest linearizable {:?}, own copy {:?}",
        w.rounds, w.reads, w.read_errors, w.max_linearizable, w.max_stale
    );
    if w.violations > 0 {
        let _ = write!(detail, "; {} reads above the limit, first: ", w.violations);
        for v in w.first_violations.iter().take(EXAMPLES) {
            let _ = write!(
                detail,
                "[{:.1} s node {} {} {}/{} {}] ",
                v.at_s, v.node, v.mode, v.value, v.size, v.limit
            );
        }
    }
    Check::new(
        "limit-never-exceeded",
        w.violations == 0 && w.reads > 0,
        detail,
    )
}

fn member_errors(state: &FinalState) -> Vec<String> {
    state
        .members
        .iter()
        .filter(|m| !m.errors.is_empty())
        .map(|m| format!("node {}: {}", m.node, m.errors.join(", ")))
        .collect()
}

fn verdict(name: &'static str, problems: Vec<String>, ok_text: &str) -> Check {
    if problems.is_empty() {
        Check::new(name, true, ok_text.to_owned())
    } else {
        let shown: Vec<&str> = problems
            .iter()
            .take(EXAMPLES * 2)
            .map(String::as_str)
            .collect();
        Check::new(
            name,
            false,
            format!("{} problems: {}", problems.len(), shown.join("; ")),
        )
    }
}

fn counts_zero(state: &FinalState) -> Check {
    let mut problems = member_errors(state);
    for m in &state.members {
        problems.extend(busy_counts(m));
    }
    verdict(
        "counts-zero",
        problems,
        &format!(
            "every member: active 0, early 0 (own and cluster) after {:.1} s",
            state.waited_s
        ),
    )
}

fn profiles_empty(state: &FinalState) -> Check {
    let mut problems = Vec::new();
    for m in &state.members {
        if m.profile_values.is_none() {
            problems.push(format!("node {}: no profile values read", m.node));
        }
        problems.extend(nonzero_values(m));
    }
    verdict(
        "profiles-empty",
        problems,
        "every member: every value of caller at 0",
    )
}

fn no_dialog_left(state: &FinalState, calls: &[Call]) -> Check {
    let via = |call_id: &str| {
        calls
            .iter()
            .find(|c| c.call_id == call_id)
            .map(|c| format!(" ({:?} call via node {})", c.stream, c.node + 1).to_lowercase())
            .unwrap_or_default()
    };
    let mut problems = Vec::new();
    for m in &state.members {
        match &m.dialogs {
            None => problems.push(format!("node {}: no dialog list read", m.node)),
            Some(list) => {
                for d in list.iter().take(EXAMPLES) {
                    let call_id = d.get("call_id").and_then(Value::as_str).unwrap_or("?");
                    problems.push(format!(
                        "node {}: {} {} call {call_id}{} owner {}",
                        m.node,
                        d.get("id").and_then(Value::as_str).unwrap_or("?"),
                        d.get("state").and_then(Value::as_str).unwrap_or("?"),
                        via(call_id),
                        d.get("owner_node")
                            .map(Value::to_string)
                            .unwrap_or_default(),
                    ));
                }
                if list.len() > EXAMPLES {
                    problems.push(format!("node {}: {} dialogs in all", m.node, list.len()));
                }
            }
        }
    }
    verdict("no-dialog-left", problems, "every member lists no dialog")
}

fn counters_sane(state: &FinalState, w: &LimitWatch) -> Check {
    let mut problems = Vec::new();
    for m in &state.members {
        let Some(stats) = &m.stats else { continue };
        for (scope, v) in [("node", Some(stats)), ("cluster", stats.get("cluster"))] {
            let Some(Value::Object(map)) = v else {
                continue;
            };
            for (key, value) in map {
                if key == "cluster" || key == "node_id" {
                    continue;
                }
                match value.as_u64() {
                    Some(n) if n < WRAPPED => {}
                    _ => problems.push(format!("node {}: {scope} {key} = {value}", m.node)),
                }
            }
        }
    }
    if w.wrapped > 0 {
        problems.push(format!(
            "{} profile counts read at or above 2^63",
            w.wrapped
        ));
    }
    verdict(
        "counters-sane",
        problems,
        "every stats counter and profile count read is below 2^63",
    )
}

fn answered_calls_ended(calls: &[Call]) -> Check {
    let answered: Vec<&Call> = calls
        .iter()
        .filter(|c| c.outcome == Outcome::Answered)
        .collect();
    let problems: Vec<String> = answered
        .iter()
        .filter(|c| !c.caller.completed || !c.callee.completed)
        .map(|c| {
            format!(
                "{:?} call {} via node {}: caller {}, callee {}",
                c.stream,
                c.call_id,
                c.node + 1,
                side_text(c.caller.completed, &c.caller.received, &c.caller.sent),
                side_text(c.callee.completed, &c.callee.received, &c.callee.sent),
            )
        })
        .collect();
    verdict(
        "answered-calls-ended",
        problems,
        &format!(
            "{} answered calls, each ended by a BYE answered 200 on both sides",
            answered.len()
        ),
    )
}

fn side_text(
    completed: bool,
    received: &std::collections::BTreeSet<String>,
    sent: &std::collections::BTreeSet<String>,
) -> String {
    format!(
        "{} (BYE in {:?}, out {:?})",
        if completed { "ok" } else { "no BYE/200" },
        received,
        sent
    )
}

fn timed_one_bye_per_leg(calls: &[Call]) -> Check {
    let timed: Vec<&Call> = calls
        .iter()
        .filter(|c| c.stream == Stream::Timed && c.outcome == Outcome::Answered)
        .collect();
    let problems: Vec<String> = timed
        .iter()
        .filter(|c| {
            c.caller.received.len() != 1
                || c.callee.received.len() != 1
                || !c.caller.sent.is_empty()
                || !c.callee.sent.is_empty()
        })
        .map(|c| {
            format!(
                "call {} via node {}: caller BYEs in {:?} out {:?}, callee BYEs in {:?} out {:?}",
                c.call_id,
                c.node + 1,
                c.caller.received,
                c.caller.sent,
                c.callee.received,
                c.callee.sent
            )
        })
        .collect();
    verdict(
        "timed-one-bye-per-leg",
        problems,
        &format!(
            "{} answered timed calls: one BYE to each leg, from dialogd",
            timed.len()
        ),
    )
}

fn no_panic(stderr_logs: &[String]) -> Check {
    let problems: Vec<String> = stderr_logs
        .iter()
        .enumerate()
        .filter_map(|(i, log)| {
            log.lines()
                .find(|l| l.contains("panicked"))
                .map(|l| format!("node {}: {}", i + 1, l.trim()))
        })
        .collect();
    verdict("no-panic", problems, "no member's stderr says panicked")
}

#[cfg(test)]
#[path = "invariants_tests.rs"]
mod tests;
