//! [`Dialog`]: the life of one call as the proxy sees it, sans-IO: it never
//! parses SIP, reads a clock or sends anything — facts and `now` come in, verdicts and
//! outputs go out. Commands are in `dialog_control.rs`, the triggers and the `on_timeout`
//! decision in `dialog_triggers.rs`, read-only views in `dialog_view.rs`, the replicated form
//! ([`crate::DialogRecord`], for takeover) in `dialog_record.rs`.
//!
//! ```text
//!  handle_response(now, ResponseFacts) ─┐                    ┌─▶ poll_output(): StateChanged
//!  handle_request(now, RequestFacts)   ─┼─▶ Dialog ──────────┤                  SendRequest (BYE)
//!  handle_timeout(now) / fail / end    ─┤   → RequestVerdict │                  TimeoutChanged
//!  decide_timeout(now, TimeoutDecision)─┤                    │                  TimeoutTrigger
//!  set_timeout / flags / vars / profiles┘                    │                  Ended(cause)
//!                                                            └─▶ poll_timeout(): the deadline
//! ```
//!
//! | input | in state | effect |
//! |---|---|---|
//! | 1xx with To tag | 1, 2 | early branch noted ([`crate::Branches`]); 1 → 2 |
//! | first 2xx | 1, 2 | its branch answers, route set and Contact kept, timeout starts; → 3 |
//! | later 2xx, other tag | 3, 4 | branch noted as lost, nothing else |
//! | ≥ 300, [`fail`](Dialog::fail) (timer B, transport) | 1, 2 | → 5, `Failed(code)` (487: `Cancelled`) |
//! | caller's ACK | 3 | → 4 |
//! | BYE from a leg | 3, 4 | → 5, `ByeCaller` / `ByeCallee` |
//! | BYE on an early dialog | 1, 2 | forwarded; the INVITE's final response ends the dialog (as Kamailio) |
//! | other sequential request | 3, 4 | timeout restarts, unless `timeout_noreset` (never for ACK, CANCEL) |
//! | re-INVITE / UPDATE with Contact | 3, 4 | the sender's Contact is refreshed (RFC 3261 §12.2.2, RFC 3311) |
//! | timeout, no triggers | 3, 4 | BYE to both legs if `bye_on_timeout`; → 5, `Timeout` |
//! | timeout, with triggers | 3, 4 | `TimeoutTrigger`; the timer rests until [`decide_timeout`](Dialog::decide_timeout) |
//! | `Extend(d)` / `Expire` decided | 3, 4 | timeout `d` from now (`TimeoutChanged`) / as a plain timeout |
//! | [`end`](Dialog::end) | 3, 4 | BYE to the chosen legs; → 5 with the given cause |
//!
//! Early dialogs never time out here: their INVITE transaction ends them (Kamailio also
//! starts the dialog timer at the 2xx). Requests are checked with [`crate::matching`] (Call-ID
//! and tags) and [`crate::CseqTracker`] (`validate_dialog`); the verdict carries the CSeq to
//! forward when the proxy's own requests shifted it ([`crate::CseqMap`]).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use dialogd_sip::Method;

use crate::branches::{BranchRole, Branches};
use crate::cseq::{CseqFault, CseqTracker};
use crate::cseq_map::CseqMap;
use crate::facts::{DialogSettings, InitialInvite, RequestFacts, ResponseFacts};
use crate::flags::DialogFlags;
use crate::id::DialogId;
use crate::keepalive::KeepaliveConfig;
use crate::matching::{self, NO_SUCH_DIALOG, tag_of};
use crate::output::{CSEQ_OUT_OF_ORDER, DialogOutput, GeneratedRequest, RequestVerdict};
use crate::profile::ProfileKey;
use crate::route_set::RouteSet;
use crate::state::{DialogState, EndCause, Leg};
use crate::timeout::TimeoutClock;

/// The answering side, known from the first 2xx on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct CalleeLeg {
    /// The 2xx's To value (with the callee's tag).
    to: String,
    contact: Option<String>,
    routes: RouteSet,
    source: Option<String>,
}

/// One dialog.
///
/// Its serde form is the parked dialog's ([`crate::PackedDialog`]), local to a node and never
/// a wire format: what the cluster replicates is [`crate::DialogRecord`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dialog {
    did: DialogId,
    state: DialogState,
    /// The initial INVITE; its `contact` and `record_route` live in `caller_*` below.
    invite: InitialInvite,
    start_unix_ms: u64,
    answer_unix_ms: Option<u64>,
    branches: Branches,
    callee: Option<CalleeLeg>,
    caller_contact: Option<String>,
    caller_routes: RouteSet,
    caller_cseq: CseqTracker,
    callee_cseq: CseqTracker,
    cseq_map: CseqMap,
    pub(crate) clock: TimeoutClock,
    bye_on_timeout: bool,
    bye_extra_headers: Vec<String>,
    flags: DialogFlags,
    vars: BTreeMap<String, String>,
    profiles: Vec<ProfileKey>,
    pub(crate) triggers: Vec<String>,
    /// Keep-alive probing asked for (rule or API); the actor runs the [`crate::Keepalive`].
    keepalive: Option<KeepaliveConfig>,
    /// The timeout fired with triggers attached and `on_timeout` has not been decided yet
    /// ([`Dialog::decide_timeout`]): the timer rests meanwhile.
    timeout_pending: bool,
    end_cause: Option<EndCause>,
    /// Drained after every input, so empty whenever the dialog is packed.
    #[serde(skip)]
    pub(crate) out: VecDeque<DialogOutput>,
}

impl Dialog {
    /// A dialog for an initial INVITE just admitted (state 1). `default_timeout` applies when
    /// `settings.timeout` is `None` ([`crate::DialogConfig::default_timeout`]).
    pub fn new(
        did: DialogId,
        _now: Instant,
        unix_ms: u64,
        mut invite: InitialInvite,
        settings: DialogSettings,
        default_timeout: Duration,
    ) -> Dialog {
        let timeout = settings.timeout.unwrap_or(default_timeout);
        Dialog {
            did,
            state: DialogState::Unconfirmed,
            start_unix_ms: unix_ms,
            answer_unix_ms: None,
            branches: Branches::default(),
            callee: None,
            caller_contact: invite.contact.take(),
            caller_routes: RouteSet::towards_caller(std::mem::take(&mut invite.record_route)),
            caller_cseq: CseqTracker::after_invite(invite.cseq),
            callee_cseq: CseqTracker::default(),
            cseq_map: CseqMap::default(),
            clock: TimeoutClock::new(timeout, settings.timeout_noreset),
            bye_on_timeout: settings.bye_on_timeout,
            bye_extra_headers: settings.bye_extra_headers,
            flags: DialogFlags(settings.flags),
            vars: settings.vars,
            profiles: settings.profiles,
            triggers: settings.triggers,
            keepalive: settings.keepalive.filter(KeepaliveConfig::is_enabled),
            timeout_pending: false,
            end_cause: None,
            out: VecDeque::new(),
            invite,
        }
    }

    fn set_state(&mut self, to: DialogState) {
        if self.state != to {
            self.out.push_back(DialogOutput::StateChanged {
                from: self.state,
                to,
            });
            self.state = to;
        }
    }

    fn finish(&mut self, cause: EndCause) {
        if self.state == DialogState::Deleted {
            return;
        }
        self.clock.stop();
        self.end_cause = Some(cause);
        self.set_state(DialogState::Deleted);
        self.out.push_back(DialogOutput::Ended(cause));
    }

    /// A response to the initial INVITE; responses with another CSeq are ignored.
    pub fn handle_response(&mut self, now: Instant, unix_ms: u64, r: &ResponseFacts) {
        let other_method = r.cseq_method.as_ref().is_some_and(|m| *m != Method::Invite);
        if r.cseq != self.invite.cseq || other_method || self.state == DialogState::Deleted {
            return;
        }
        let base = CseqTracker::after_invite(self.invite.cseq);
        match r.status {
            101..=199 => {
                if let Some(tag) = &r.to_tag {
                    self.branches.note(tag, base);
                    if self.state == DialogState::Unconfirmed {
                        self.set_state(DialogState::Early);
                    }
                }
            }
            // Another branch's 2xx (or a retransmission): forwarded, the dialog keeps its own.
            200..=299 if self.state.is_confirmed() => {
                self.branches.note(tag_of(&r.to_tag), base);
            }
            // A 2xx without To tag is broken; like Kamailio, confirm with the empty tag so the
            // dialog is still timed out and torn down.
            200..=299 => self.confirm(now, unix_ms, r),
            300..=699 if !self.state.is_confirmed() => self.fail(now, r.status),
            _ => {}
        }
    }

    fn confirm(&mut self, now: Instant, unix_ms: u64, r: &ResponseFacts) {
        if let Some(early) = self.branches.answer(tag_of(&r.to_tag)) {
            self.caller_cseq = early.caller;
            self.callee_cseq = early.callee;
        }
        self.callee = Some(CalleeLeg {
            to: r.to.clone(),
            contact: r.contact.clone(),
            routes: RouteSet::towards_callee(r.record_route_above.clone()),
            source: None,
        });
        self.answer_unix_ms = Some(unix_ms);
        self.clock.start(now);
        self.set_state(DialogState::ConfirmedNoAck);
    }

    /// The INVITE failed before any 2xx (final non-2xx, timer B, unreachable next hop): the
    /// dialog ends as `Failed(code)`, or `Cancelled` for 487. Ignored once answered.
    pub fn fail(&mut self, _now: Instant, code: u16) {
        if matches!(self.state, DialogState::Unconfirmed | DialogState::Early) {
            let cause = if code == 487 {
                EndCause::Cancelled
            } else {
                EndCause::Failed(code)
            };
            self.finish(cause);
        }
    }

    /// An in-dialog request: where it comes from, whether it fits, what to forward.
    pub fn handle_request(&mut self, now: Instant, r: &RequestFacts) -> RequestVerdict {
        let unmatched = if r.matched_by_did {
            reject(NO_SUCH_DIALOG)
        } else {
            RequestVerdict::NotMatched
        };
        if self.state == DialogState::Deleted {
            return unmatched;
        }
        let Some((leg, tag)) = matching::direction(&self.key(), r) else {
            return unmatched;
        };
        match self.branches.role(tag) {
            None => unmatched,
            Some(BranchRole::Lost) => forward_from(leg, None),
            Some(BranchRole::Early(i)) => {
                let Some(branch) = self.branches.early_mut(i) else {
                    return unmatched;
                };
                let order = match leg {
                    Leg::Caller => &mut branch.caller,
                    Leg::Callee => &mut branch.callee,
                };
                match order.accept(&r.method, r.cseq) {
                    Ok(()) => forward_from(leg, None),
                    Err(fault) => fault_verdict(fault),
                }
            }
            Some(BranchRole::Answered) => self.answered_request(now, leg, r),
        }
    }

    fn answered_request(&mut self, now: Instant, leg: Leg, r: &RequestFacts) -> RequestVerdict {
        let order = match leg {
            Leg::Caller => &mut self.caller_cseq,
            Leg::Callee => &mut self.callee_cseq,
        };
        if let Err(fault) = order.accept(&r.method, r.cseq) {
            return fault_verdict(fault);
        }
        let cseq = self.cseq_map.map_request(leg, r.cseq);
        if let (Method::Invite | Method::Update, Some(contact)) = (&r.method, &r.contact) {
            match (leg, self.callee.as_mut()) {
                (Leg::Caller, _) => self.caller_contact = Some(contact.clone()),
                (Leg::Callee, Some(callee)) => callee.contact = Some(contact.clone()),
                (Leg::Callee, None) => {}
            }
        }
        match r.method {
            Method::Ack if leg == Leg::Caller && self.state == DialogState::ConfirmedNoAck => {
                self.set_state(DialogState::Confirmed);
            }
            Method::Ack | Method::Cancel => {}
            Method::Bye => self.finish(match leg {
                Leg::Caller => EndCause::ByeCaller,
                Leg::Callee => EndCause::ByeCallee,
            }),
            _ => {
                self.clock.refresh(now);
            }
        }
        forward_from(leg, cseq)
    }

    /// The timer from [`poll_timeout`](Dialog::poll_timeout) is due: a confirmed dialog past
    /// its deadline ends as `Timeout`, with a BYE to both legs if `bye_on_timeout`. A dialog
    /// with triggers outputs `TimeoutTrigger` instead, once, and waits for
    /// [`decide_timeout`](Dialog::decide_timeout).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timeout_pending || !self.state.is_confirmed() || !self.clock.is_due(now) {
            return;
        }
        if self.triggers.is_empty() {
            self.expire();
        } else {
            self.timeout_pending = true;
            self.out.push_back(DialogOutput::TimeoutTrigger);
        }
    }

    /// Ends the dialog as its timeout does: BYE to both legs if `bye_on_timeout`, `Timeout`.
    fn expire(&mut self) {
        if self.bye_on_timeout {
            self.send_byes(&[Leg::Caller, Leg::Callee], &[]);
        }
        self.finish(EndCause::Timeout);
    }

    /// Ends a confirmed dialog (API, keep-alive failure): BYE to each of `legs` with the
    /// dialog's BYE headers plus `extra_headers`, then state 5 with `cause`. False (and
    /// nothing done) if the dialog is not confirmed: an early dialog ends by CANCEL, which is
    /// the proxy's transaction business.
    pub fn end(
        &mut self,
        _now: Instant,
        cause: EndCause,
        legs: &[Leg],
        extra_headers: &[String],
    ) -> bool {
        if !self.state.is_confirmed() {
            return false;
        }
        self.send_byes(legs, extra_headers);
        self.finish(cause);
        true
    }

    fn send_byes(&mut self, legs: &[Leg], extra: &[String]) {
        let mut headers = self.bye_extra_headers.clone();
        headers.extend_from_slice(extra);
        for &leg in legs {
            if let Some(req) = self.request_towards(leg, Method::Bye, headers.clone()) {
                self.out.push_back(DialogOutput::SendRequest(req));
            }
        }
    }

    /// Builds the facts of a request the proxy itself sends to `leg` of a confirmed dialog
    /// (the leg's Contact and route set, the tags, and the next CSeq of the other leg's space
    /// as `leg` sees it, which the [`CseqMap`] remembers). `None` before the 2xx and once the
    /// dialog is over.
    pub fn request_towards(
        &mut self,
        leg: Leg,
        method: Method,
        extra_headers: Vec<String>,
    ) -> Option<GeneratedRequest> {
        let peer_last = match leg {
            Leg::Callee => self.caller_cseq.last(),
            Leg::Caller => self.callee_cseq.last(),
        };
        let mut req = self.towards(leg, method, 0, extra_headers)?;
        req.cseq = self.cseq_map.allocate_towards(leg, peer_last);
        Some(req)
    }

    /// The ACK for a 2xx to the proxy's own INVITE numbered `cseq` to `leg` (RFC 3261
    /// §13.2.2.4: the INVITE's CSeq number, a new transaction): no number is taken.
    pub fn ack_towards(&self, leg: Leg, cseq: u32) -> Option<GeneratedRequest> {
        self.towards(leg, Method::Ack, cseq, Vec::new())
    }

    fn towards(
        &self,
        leg: Leg,
        method: Method,
        cseq: u32,
        extra_headers: Vec<String>,
    ) -> Option<GeneratedRequest> {
        if !self.state.is_confirmed() {
            return None;
        }
        let callee = self.callee.as_ref()?;
        let inv = &self.invite;
        let (request_uri, routes, from, to) = match leg {
            Leg::Callee => (
                callee.contact.as_ref().unwrap_or(&inv.request_uri),
                &callee.routes,
                &inv.from,
                &callee.to,
            ),
            Leg::Caller => (
                self.caller_contact.as_ref().unwrap_or(&inv.from_uri),
                &self.caller_routes,
                &callee.to,
                &inv.from,
            ),
        };
        Some(GeneratedRequest {
            leg,
            method,
            request_uri: request_uri.clone(),
            route_set: routes.routes().to_vec(),
            from: from.clone(),
            to: to.clone(),
            call_id: inv.call_id.clone(),
            cseq,
            extra_headers,
            body: None,
        })
    }

    /// The CSeq to write on a response going back to `to` (the sender of the request), if the
    /// request's CSeq was shifted on the way out.
    pub fn response_cseq(&self, to: Leg, cseq: u32) -> Option<u32> {
        self.cseq_map.unmap_response(to, cseq)
    }

    /// The next output, oldest first.
    pub fn poll_output(&mut self) -> Option<DialogOutput> {
        self.out.pop_front()
    }

    /// When [`handle_timeout`](Dialog::handle_timeout) must be called (confirmed dialogs);
    /// `None` while an `on_timeout` decision is pending.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.timeout_pending {
            return None;
        }
        self.clock.deadline()
    }
}

fn forward_from(from: Leg, cseq: Option<u32>) -> RequestVerdict {
    RequestVerdict::Forward { from, cseq }
}

fn reject((code, reason): (u16, &'static str)) -> RequestVerdict {
    RequestVerdict::Reject { code, reason }
}

fn fault_verdict(fault: CseqFault) -> RequestVerdict {
    match fault {
        CseqFault::OutOfOrder { .. } => reject(CSEQ_OUT_OF_ORDER),
        CseqFault::NoSuchRequest { .. } => reject(NO_SUCH_DIALOG),
    }
}

#[path = "dialog_control.rs"]
mod control;
#[path = "dialog_record.rs"]
mod record_conv;
pub(crate) use record_conv::BeyondRecord;
#[path = "dialog_triggers.rs"]
mod triggers;
#[path = "dialog_view.rs"]
mod view;

#[cfg(test)]
#[path = "dialog_cseq_tests.rs"]
mod cseq_tests;
#[cfg(test)]
#[path = "dialog_end_tests.rs"]
mod end_tests;
#[cfg(test)]
#[path = "dialog_record_tests.rs"]
mod record_tests;
#[cfg(test)]
#[path = "dialog_request_tests.rs"]
mod request_tests;
#[cfg(test)]
#[path = "dialog_tests.rs"]
mod tests;
#[cfg(test)]
#[path = "dialog_timeout_tests.rs"]
mod timeout_tests;
#[cfg(test)]
#[path = "dialog_triggers_tests.rs"]
mod triggers_tests;
