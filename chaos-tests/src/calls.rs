//! Per-call facts read back from the SIPp runs of [`crate::load`]: when the caller first sent
//! the INVITE, first received its 200, first sent a BYE and first received a 200 to a BYE (the
//! epoch column of SIPp's short message trace), how the call ended for the caller (answered, rejected at the limit with 486,
//! or failed: any other final answer, a timeout, a call SIPp abandoned) and, per side, which
//! BYEs were exchanged.
//!
//! Must not judge: the invariants ([`crate::invariants`]) and the report decide what is wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use dialogd_test_support::{Direction, SippOutcome, TracedMessage};
use serde::Serialize;

use crate::load::{Finished, Stream};

/// SIPp's short message trace in a run's directory (`-shortmessage_file`).
const SHORT_MESSAGE_FILE: &str = "shortmessages.log";

/// How a call ended for its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Answered,
    /// 486 from the limit (only `capped` calls expect it; for the others it counts as failed).
    Rejected,
    Failed,
}

/// The BYEs one side of a call saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ByeSide {
    /// CSeqs of the BYE requests received (one per BYE transaction; retransmissions share it).
    pub received: BTreeSet<String>,
    /// BYE requests sent (transactions).
    pub sent: BTreeSet<String>,
    /// A BYE received and answered 200, or a BYE sent and answered 200.
    pub completed: bool,
}

/// One call as both SIPp ends saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub call_id: String,
    pub stream: Stream,
    /// The member the caller sent the INVITE to.
    pub node: usize,
    /// Unix time of the first INVITE sent, in seconds.
    pub invite_at: Option<f64>,
    /// Unix time the caller first received a 200 to its INVITE.
    pub answered_at: Option<f64>,
    /// Unix time the caller first sent a BYE (it hung up).
    pub caller_bye_at: Option<f64>,
    /// Unix time the caller first received a 200 to a BYE it sent.
    pub caller_bye_answered_at: Option<f64>,
    pub outcome: Outcome,
    /// The last final answer the caller received to its INVITE (`SIP/2.0 503 ...`), if any.
    pub last_answer: Option<String>,
    pub caller: ByeSide,
    pub callee: ByeSide,
}

/// Every call of a finished load.
pub fn calls(load: &Finished) -> Vec<Call> {
    let mut callee_messages: BTreeMap<&str, Vec<&TracedMessage>> = BTreeMap::new();
    for run in &load.callees {
        for m in &run.outcome.messages {
            callee_messages.entry(&m.call_id).or_default().push(m);
        }
    }
    let mut out = Vec::new();
    for run in &load.callers {
        let o = &run.outcome;
        let times = times(o);
        let answered = o.logged("answered");
        let rejected = o.received_calls("SIP/2.0 486");
        let mut by_call: BTreeMap<&str, Vec<&TracedMessage>> = BTreeMap::new();
        for m in &o.messages {
            by_call.entry(&m.call_id).or_default().push(m);
        }
        let ids: BTreeSet<&str> = times
            .keys()
            .map(String::as_str)
            .chain(by_call.keys().copied())
            .collect();
        for id in ids {
            let outcome = if answered.contains(id) {
                Outcome::Answered
            } else if rejected.contains(id) && run.stream == Stream::Capped {
                Outcome::Rejected
            } else {
                Outcome::Failed
            };
            let mine = by_call.get(id).map(Vec::as_slice).unwrap_or_default();
            let t = times.get(id).copied().unwrap_or_default();
            out.push(Call {
                call_id: id.to_owned(),
                stream: run.stream,
                node: run.node,
                invite_at: t.invite_sent,
                answered_at: t.answered,
                caller_bye_at: t.bye_sent,
                caller_bye_answered_at: t.bye_answered,
                outcome,
                last_answer: last_answer(mine),
                caller: bye_side(by_call.get(id).map(Vec::as_slice).unwrap_or_default()),
                callee: bye_side(
                    callee_messages
                        .get(id)
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                ),
            });
        }
    }
    out
}

/// The last final response to the INVITE among a caller's messages of one call.
fn last_answer(messages: &[&TracedMessage]) -> Option<String> {
    messages
        .iter()
        .rev()
        .find(|m| {
            m.direction == Direction::Received
                && m.cseq.ends_with(" INVITE")
                && m.first_line.starts_with("SIP/2.0 ")
                && !m.first_line.starts_with("SIP/2.0 1")
        })
        .map(|m| m.first_line.clone())
}

/// When a caller first did each step of a call (Unix time, seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct CallTimes {
    pub invite_sent: Option<f64>,
    /// A 200 to the INVITE received.
    pub answered: Option<f64>,
    pub bye_sent: Option<f64>,
    /// A 200 to a BYE received.
    pub bye_answered: Option<f64>,
}

/// A caller's [`CallTimes`] per Call-ID, from its short message trace.
fn times(outcome: &SippOutcome) -> BTreeMap<String, CallTimes> {
    let text = fs::read_to_string(outcome.dir().join(SHORT_MESSAGE_FILE)).unwrap_or_default();
    parse_times(&text)
}

/// Lines `date \t time \t epoch \t S|R \t call-id \t CSeq:N METHOD \t first line`.
pub(crate) fn parse_times(text: &str) -> BTreeMap<String, CallTimes> {
    let mut out: BTreeMap<String, CallTimes> = BTreeMap::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let Some(start) = fields.len().checked_sub(5) else {
            continue;
        };
        let [epoch, direction, call_id, cseq, first_line] = &fields[start..] else {
            continue;
        };
        let Ok(t) = epoch.trim().parse::<f64>() else {
            continue;
        };
        let step: fn(&mut CallTimes) -> &mut Option<f64> = match *direction {
            "S" if first_line.starts_with("INVITE ") => |c| &mut c.invite_sent,
            "S" if first_line.starts_with("BYE ") => |c| &mut c.bye_sent,
            "R" if cseq.ends_with(" INVITE") && first_line.starts_with("SIP/2.0 200") => {
                |c| &mut c.answered
            }
            "R" if cseq.ends_with(" BYE") && first_line.starts_with("SIP/2.0 200") => {
                |c| &mut c.bye_answered
            }
            _ => continue,
        };
        step(out.entry((*call_id).to_owned()).or_default()).get_or_insert(t);
    }
    out
}

/// The BYE transactions of one side's messages of a call.
pub(crate) fn bye_side(messages: &[&TracedMessage]) -> ByeSide {
    let is_bye = |m: &TracedMessage| m.cseq.ends_with(" BYE");
    let ok_to = |d: Direction| {
        messages
            .iter()
            .any(|m| m.direction == d && is_bye(m) && m.starts_with("SIP/2.0 200"))
    };
    let requests = |d: Direction| -> BTreeSet<String> {
        messages
            .iter()
            .filter(|m| m.direction == d && m.starts_with("BYE"))
            .map(|m| m.cseq.clone())
            .collect()
    };
    let received = requests(Direction::Received);
    let sent = requests(Direction::Sent);
    let completed = (!received.is_empty() && ok_to(Direction::Sent))
        || (!sent.is_empty() && ok_to(Direction::Received));
    ByeSide {
        received,
        sent,
        completed,
    }
}

#[cfg(test)]
#[path = "calls_tests.rs"]
mod tests;
