//! [`Dialog`]: the life of one call as the proxy sees it (DESIGN.md §2), sans-IO.
//!
//! ```text
//!  handle_response(now, ResponseFacts)  ─┐                     ┌─▶ poll_output(): StateChanged
//!  handle_request(now, RequestFacts)    ─┼─▶ Dialog ───────────┤                  SendRequest (BYE)
//!  handle_timeout(now) / end / fail     ─┘   → RequestVerdict  │                  Ended(cause)
//!                                                              └─▶ poll_timeout(): dialog timeout
//! ```
//!
//! Downstream forking: every provisional with a new To tag is an early dialog; the first 2xx
//! confirms the dialog with its To tag; requests of the other branches are forwarded without
//! touching the dialog. `validate_dialog` (Kamailio): the Call-ID and both tags must belong to
//! the dialog, CSeq must not go down per direction (a lower one is answered 500, RFC 3261
//! §12.2.2). The timeout starts at the 2xx and is reset by every sequential request except
//! ACK unless `timeout_noreset`; early dialogs do not time out (the INVITE transaction does).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use dialogd_sip::Method;

use crate::cseq_map::CseqMap;
use crate::facts::{
    DialogOutput, DialogSettings, GeneratedRequest, InitialInvite, RequestFacts, RequestVerdict,
    ResponseFacts,
};
use crate::id::DialogId;
use crate::snapshot::{DialogSnapshot, LegView};
use crate::state::{DialogState, EndCause, Leg};

/// One dialog.
#[derive(Debug, Clone)]
pub struct Dialog {
    did: DialogId,
    state: DialogState,
    invite: InitialInvite,
    settings: DialogSettings,
    timeout: Duration,
    start_unix_ms: u64,
    answer_unix_ms: Option<u64>,
    /// To tags of early dialogs (forks), in arrival order.
    early_tags: Vec<String>,
    callee_tag: Option<String>,
    /// The 2xx's To value (with the callee tag).
    callee_to: String,
    callee_contact: Option<String>,
    caller_contact: Option<String>,
    /// Route set towards the callee, nearest first.
    callee_routes: Vec<String>,
    /// Last CSeq seen from each side.
    caller_cseq: u32,
    callee_cseq: u32,
    cseq_map: CseqMap,
    deadline: Option<Instant>,
    end_cause: Option<EndCause>,
    out: VecDeque<DialogOutput>,
}

impl Dialog {
    /// A dialog for an initial INVITE just admitted (state 1).
    pub fn new(
        did: DialogId,
        _now: Instant,
        unix_ms: u64,
        invite: InitialInvite,
        settings: DialogSettings,
        default_timeout: Duration,
    ) -> Dialog {
        Dialog {
            did,
            state: DialogState::Unconfirmed,
            timeout: settings.timeout.unwrap_or(default_timeout),
            caller_contact: invite.contact.clone(),
            caller_cseq: invite.cseq,
            invite,
            settings,
            start_unix_ms: unix_ms,
            answer_unix_ms: None,
            early_tags: Vec::new(),
            callee_tag: None,
            callee_to: String::new(),
            callee_contact: None,
            callee_routes: Vec::new(),
            callee_cseq: 0,
            cseq_map: CseqMap::default(),
            deadline: None,
            end_cause: None,
            out: VecDeque::new(),
        }
    }

    pub fn did(&self) -> DialogId {
        self.did
    }
    pub fn state(&self) -> DialogState {
        self.state
    }
    pub fn call_id(&self) -> &str {
        &self.invite.call_id
    }
    pub fn caller_tag(&self) -> &str {
        &self.invite.from_tag
    }
    pub fn callee_tag(&self) -> Option<&str> {
        self.callee_tag.as_deref()
    }
    pub fn settings(&self) -> &DialogSettings {
        &self.settings
    }

    fn set_state(&mut self, to: DialogState) {
        if self.state != to {
            self.out.push_back(DialogOutput::StateChanged { from: self.state, to });
            self.state = to;
        }
    }

    fn finish(&mut self, cause: EndCause) {
        if self.state == DialogState::Deleted {
            return;
        }
        self.set_state(DialogState::Deleted);
        self.deadline = None;
        self.end_cause = Some(cause);
        self.out.push_back(DialogOutput::Ended(cause));
    }

    /// A response to the initial INVITE (other responses are ignored).
    pub fn handle_response(&mut self, now: Instant, unix_ms: u64, r: &ResponseFacts) {
        if r.cseq != self.invite.cseq || r.cseq_method.as_ref().is_some_and(|m| *m != Method::Invite) {
            return;
        }
        let open = matches!(self.state, DialogState::Unconfirmed | DialogState::Early);
        match r.status {
            101..=199 => {
                if let (true, Some(tag)) = (open, &r.to_tag) {
                    if !self.early_tags.contains(tag) {
                        self.early_tags.push(tag.clone());
                    }
                    self.set_state(DialogState::Early);
                }
            }
            200..=299 => {
                let Some(tag) = r.to_tag.clone() else { return };
                if !open {
                    return; // another branch's 2xx, or a retransmission
                }
                if !self.early_tags.contains(&tag) {
                    self.early_tags.push(tag.clone());
                }
                self.callee_tag = Some(tag);
                self.callee_to = r.to.clone();
                self.callee_contact = r.contact.clone();
                self.callee_routes = r.record_route_above.iter().rev().cloned().collect();
                self.answer_unix_ms = Some(unix_ms);
                self.deadline = Some(now + self.timeout);
                self.set_state(DialogState::ConfirmedNoAck);
            }
            300..=699 if open => self.fail(now, r.status),
            _ => {}
        }
    }

    /// The INVITE failed before any 2xx (final non-2xx, timer B, unreachable next hop).
    pub fn fail(&mut self, _now: Instant, code: u16) {
        if matches!(self.state, DialogState::Unconfirmed | DialogState::Early) {
            let cause = if code == 487 { EndCause::Cancelled } else { EndCause::Failed(code) };
            self.finish(cause);
        }
    }

    fn direction(&self, r: &RequestFacts) -> Option<(Leg, bool)> {
        let from = r.from_tag.as_deref()?;
        let to = r.to_tag.as_deref();
        let caller = self.invite.from_tag.as_str();
        let confirmed = self.callee_tag.as_deref();
        if from == caller {
            match (to, confirmed) {
                (Some(t), Some(c)) if t == c => Some((Leg::Caller, true)),
                (Some(t), _) if self.early_tags.iter().any(|e| e == t) => Some((Leg::Caller, confirmed.is_none())),
                _ => None,
            }
        } else if to == Some(caller) {
            match confirmed {
                Some(c) if from == c => Some((Leg::Callee, true)),
                _ if self.early_tags.iter().any(|e| e == from) => Some((Leg::Callee, confirmed.is_none())),
                _ => None,
            }
        } else {
            None
        }
    }

    /// An in-dialog request. `Forward` with `from` = the leg that sent it.
    pub fn handle_request(&mut self, now: Instant, r: &RequestFacts) -> RequestVerdict {
        let forged = RequestVerdict::Reject { code: 481, reason: "Call/Transaction Does Not Exist" };
        if r.call_id != self.invite.call_id || self.state == DialogState::Deleted {
            return if r.matched_by_did { forged } else { RequestVerdict::NotMatched };
        }
        let Some((leg, tracked)) = self.direction(r) else {
            return if r.matched_by_did { forged } else { RequestVerdict::NotMatched };
        };
        if !tracked {
            // A losing fork branch: proxied, the dialog is not touched.
            return RequestVerdict::Forward { from: leg, cseq: None };
        }
        let last = match leg {
            Leg::Caller => &mut self.caller_cseq,
            Leg::Callee => &mut self.callee_cseq,
        };
        let sequential = !matches!(r.method, Method::Ack | Method::Cancel);
        if sequential {
            if *last != 0 && r.cseq < *last {
                return RequestVerdict::Reject { code: 500, reason: "Server Internal Error" };
            }
            *last = r.cseq;
        }
        let cseq = self.cseq_map.map_request(leg, r.cseq);
        if matches!(r.method, Method::Invite | Method::Update) {
            if let Some(c) = &r.contact {
                match leg {
                    Leg::Caller => self.caller_contact = Some(c.clone()),
                    Leg::Callee => self.callee_contact = Some(c.clone()),
                }
            }
        }
        match r.method {
            Method::Ack => {
                if self.state == DialogState::ConfirmedNoAck {
                    self.set_state(DialogState::Confirmed);
                }
            }
            Method::Bye => {
                self.finish(if leg == Leg::Caller { EndCause::ByeCaller } else { EndCause::ByeCallee });
            }
            _ => {
                if sequential && !self.settings.timeout_noreset && self.state.is_confirmed() {
                    self.deadline = Some(now + self.timeout);
                }
            }
        }
        RequestVerdict::Forward { from: leg, cseq }
    }

    /// Fires the dialog timeout when it is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.deadline.is_some_and(|d| d <= now) && self.state.is_confirmed() {
            if self.settings.bye_on_timeout {
                self.send_byes(&[Leg::Caller, Leg::Callee], &[]);
            }
            self.finish(EndCause::Timeout);
        }
    }

    /// Ends a confirmed dialog (API, keep-alive): BYE to `legs`. False if not confirmed.
    pub fn end(&mut self, _now: Instant, cause: EndCause, legs: &[Leg], extra: &[String]) -> bool {
        if !self.state.is_confirmed() {
            return false;
        }
        self.send_byes(legs, extra);
        self.finish(cause);
        true
    }

    fn send_byes(&mut self, legs: &[Leg], extra: &[String]) {
        let mut headers = self.settings.bye_extra_headers.clone();
        headers.extend(extra.iter().cloned());
        for &leg in legs {
            let req = match leg {
                Leg::Callee => GeneratedRequest {
                    leg,
                    method: Method::Bye,
                    request_uri: self.callee_contact.clone().unwrap_or_else(|| self.invite.request_uri.clone()),
                    route_set: self.callee_routes.clone(),
                    from: self.invite.from.clone(),
                    to: self.callee_to.clone(),
                    call_id: self.invite.call_id.clone(),
                    cseq: self.caller_cseq.saturating_add(1) + self.cseq_map.map_request(Leg::Caller, 0).unwrap_or(0),
                    extra_headers: headers.clone(),
                },
                Leg::Caller => GeneratedRequest {
                    leg,
                    method: Method::Bye,
                    request_uri: self.caller_contact.clone().unwrap_or_else(|| self.invite.from_uri.clone()),
                    route_set: self.invite.record_route.clone(),
                    from: self.callee_to.clone(),
                    to: self.invite.from.clone(),
                    call_id: self.invite.call_id.clone(),
                    cseq: self.callee_cseq.max(self.cseq_map.map_request(Leg::Callee, 0).unwrap_or(0)).saturating_add(1),
                    extra_headers: headers.clone(),
                },
            };
            self.cseq_map.generated_towards(leg);
            self.out.push_back(DialogOutput::SendRequest(req));
        }
    }

    /// Changes the timeout; a confirmed dialog's deadline restarts from `now`.
    pub fn set_timeout(&mut self, now: Instant, timeout: Duration) {
        self.timeout = timeout;
        if self.state.is_confirmed() {
            self.deadline = Some(now + timeout);
        }
    }

    /// Sets (true) or resets (false) flag bit `bit` (0..=31); false if out of range.
    pub fn set_flag(&mut self, bit: u32, on: bool) -> bool {
        if bit > 31 {
            return false;
        }
        if on {
            self.settings.flags |= 1 << bit;
        } else {
            self.settings.flags &= !(1 << bit);
        }
        true
    }

    /// Sets a variable (`None` unsets it).
    pub fn set_var(&mut self, name: &str, value: Option<String>) {
        match value {
            Some(v) => {
                self.settings.vars.insert(name.to_owned(), v);
            }
            None => {
                self.settings.vars.remove(name);
            }
        }
    }

    /// The variables.
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.settings.vars
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<DialogOutput> {
        self.out.pop_front()
    }

    /// When `handle_timeout` must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    /// A view for the API.
    pub fn snapshot(&self, now: Instant, owner_node: u64) -> DialogSnapshot {
        DialogSnapshot {
            did: self.did,
            call_id: self.invite.call_id.clone(),
            state: self.state,
            caller: LegView {
                uri: self.invite.from_uri.clone(),
                tag: Some(self.invite.from_tag.clone()),
                contact: self.caller_contact.clone(),
                cseq: self.caller_cseq,
                route_set: self.invite.record_route.clone(),
                source: self.invite.source.clone(),
            },
            callee: LegView {
                uri: self.invite.to_uri.clone(),
                tag: self.callee_tag.clone(),
                contact: self.callee_contact.clone(),
                cseq: self.callee_cseq,
                route_set: self.callee_routes.clone(),
                source: None,
            },
            request_uri: self.invite.request_uri.clone(),
            start_unix_ms: self.start_unix_ms,
            answer_unix_ms: self.answer_unix_ms,
            timeout_secs: u32::try_from(self.timeout.as_secs()).unwrap_or(u32::MAX),
            timeout_left_secs: self.deadline.map(|d| d.saturating_duration_since(now).as_secs()),
            bye_on_timeout: self.settings.bye_on_timeout,
            timeout_noreset: self.settings.timeout_noreset,
            flags: self.settings.flags,
            vars: self.settings.vars.clone(),
            profiles: self.settings.profiles.clone(),
            owner_node,
            end_cause: self.end_cause,
        }
    }
}

#[cfg(test)]
#[path = "dialog_tests.rs"]
mod tests;
