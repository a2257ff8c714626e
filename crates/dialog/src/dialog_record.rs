//! A [`Dialog`] to the [`DialogRecord`] the cluster replicates and back, so a
//! node that did not create a dialog can drive it on after its owner died: fire its timeout,
//! send BYEs to both legs, answer snapshots and keep matching in-dialog requests.
//!
//! ```text
//!  owner:   Dialog ── record(owner, now, unix_ms) ──▶ DialogRecord ──▶ Raft log
//!  adopter: DialogRecord ── restore(record, now, unix_ms) ──▶ Dialog (same state, CSeqs jumped)
//! ```
//!
//! | part | recorded | restored |
//! |---|---|---|
//! | caller leg | INVITE's From, From URI, tag, Contact, route set, highest CSeq, source | the same; its CSeq order resumes at the recorded CSeq |
//! | callee leg | 2xx's To, To URI, tag, Contact, route set, highest CSeq, source; empty before the 2xx | the same; its tag is the answered branch |
//! | timeout | seconds, `noreset`, the deadline in Unix ms (running clocks only) | deadline = `now` + what was left, an overdue one due at once |
//! | keep-alive | the configuration (legs, interval), not the probes in flight | the adopter's actor probes afresh, first probe one interval after adoption |
//! | CSeq spaces | each side's highest raw CSeq | [`CseqMap::taken_over`]: what the adopter forwards and generates jumps by [`CSEQ_TAKEOVER_JUMP`] |
//!
//! The endpoints' next requests (CSeq above the recorded one) still pass, and the proxy's own
//! requests to a leg are numbered above anything the old owner can have sent it on behalf of
//! the other side, provided it sent fewer than [`CSEQ_TAKEOVER_JUMP`] there since the last
//! write. The jump is not cumulative: records hold the endpoints' raw numbers, so a second
//! takeover jumps from them again and relies on the first adopter having generated nothing.
//!
//! Not recorded, and not needed to drive the call on: early and losing fork branches (a
//! restored early dialog learns them again from the INVITE's responses), the old owner's
//! [`CseqMap`] marks (the jump covers them), the end cause (records of ended dialogs are
//! deleted), pending outputs, a pending `on_timeout` decision (an overdue deadline fires
//! again on the adopter, which asks anew), and sub-second parts of the timeout. The one value parsed here
//! is the recorded To of an unanswered INVITE, for its URI, with the parser the proxy used.

use std::time::{Duration, Instant};

use dialogd_sip::values::NameAddr;

use super::{CalleeLeg, Dialog};
use crate::branches::Branches;
use crate::cseq::CseqTracker;
use crate::cseq_map::CseqMap;
use crate::facts::InitialInvite;
use crate::flags::DialogFlags;
use crate::keepalive::KeepaliveConfig;
use crate::record::{CSEQ_TAKEOVER_JUMP, DialogRecord, LegRecord};
use crate::route_set::RouteSet;
use crate::timeout::TimeoutClock;

impl Dialog {
    /// The dialog as the cluster replicates it, written at `now` (`unix_ms` on the wall
    /// clock) by node `owner`.
    pub fn record(&self, owner: u64, now: Instant, unix_ms: u64) -> DialogRecord {
        let inv = &self.invite;
        let caller = LegRecord {
            header: inv.from.clone(),
            uri: inv.from_uri.clone(),
            tag: Some(inv.from_tag.clone()),
            contact: self.caller_contact.clone(),
            route_set: self.caller_routes.routes().to_vec(),
            cseq: self.caller_cseq.last().unwrap_or(inv.cseq),
            source: inv.source.clone(),
        };
        let callee = self
            .callee
            .as_ref()
            .map_or_else(LegRecord::default, |c| LegRecord {
                header: c.to.clone(),
                uri: inv.to_uri.clone(),
                tag: self.branches.answered().map(str::to_owned),
                contact: c.contact.clone(),
                route_set: c.routes.routes().to_vec(),
                cseq: self.callee_cseq.last().unwrap_or(0),
                source: c.source.clone(),
            });
        let millis = |left: Duration| u64::try_from(left.as_millis()).unwrap_or(u64::MAX);
        DialogRecord {
            did: self.did,
            call_id: inv.call_id.clone(),
            state: self.state,
            owner,
            caller,
            callee,
            request_uri: inv.request_uri.clone(),
            invite_to: inv.to.clone(),
            invite_cseq: inv.cseq,
            start_unix_ms: self.start_unix_ms,
            answer_unix_ms: self.answer_unix_ms,
            timeout_secs: u32::try_from(self.clock.timeout().as_secs()).unwrap_or(u32::MAX),
            timeout_at_unix_ms: self
                .clock
                .left(now)
                .map(|left| unix_ms.saturating_add(millis(left))),
            timeout_noreset: self.clock.noreset(),
            bye_on_timeout: self.bye_on_timeout,
            bye_extra_headers: self.bye_extra_headers.clone(),
            flags: self.flags.bits(),
            vars: self.vars.clone(),
            profiles: self.profiles.clone(),
            triggers: self.triggers.clone(),
            keepalive: self.keepalive,
        }
    }

    /// The dialog `record` describes, adopted at `now` (`unix_ms` on the wall clock) by a
    /// node that did not create it; see the module doc for what changes on the way.
    pub fn restore(record: &DialogRecord, now: Instant, unix_ms: u64) -> Dialog {
        let mut dialog = Dialog::from_record(record);
        dialog.clock = resumed_clock(record, now, unix_ms);
        dialog
    }

    /// What `record` says of the dialog, with the takeover's CSeq orders and marks and a clock
    /// that does not run yet.
    pub(crate) fn from_record(record: &DialogRecord) -> Dialog {
        let (caller, callee) = (&record.caller, &record.callee);
        let invite = InitialInvite {
            call_id: record.call_id.clone(),
            from: caller.header.clone(),
            from_tag: caller.tag.clone().unwrap_or_default(),
            from_uri: caller.uri.clone(),
            to: record.invite_to.clone(),
            to_uri: to_uri(record),
            request_uri: record.request_uri.clone(),
            cseq: record.invite_cseq,
            contact: None,
            record_route: Vec::new(),
            source: caller.source.clone(),
        };
        // The callee leg exists from the 2xx on, and the 2xx's branch is the answered one.
        let mut branches = Branches::default();
        let answered = callee.tag.as_deref().map(|tag| {
            branches.answer(tag);
            CalleeLeg {
                to: callee.header.clone(),
                contact: callee.contact.clone(),
                routes: RouteSet::nearest_first(callee.route_set.clone()),
                source: callee.source.clone(),
            }
        });
        Dialog {
            did: record.did,
            state: record.state,
            invite,
            start_unix_ms: record.start_unix_ms,
            answer_unix_ms: record.answer_unix_ms,
            branches,
            callee: answered,
            caller_contact: caller.contact.clone(),
            caller_routes: RouteSet::nearest_first(caller.route_set.clone()),
            caller_cseq: resumed_order(caller.cseq),
            callee_cseq: resumed_order(callee.cseq),
            cseq_map: CseqMap::taken_over(caller.cseq, callee.cseq, CSEQ_TAKEOVER_JUMP),
            clock: TimeoutClock::new(
                Duration::from_secs(u64::from(record.timeout_secs)),
                record.timeout_noreset,
            ),
            bye_on_timeout: record.bye_on_timeout,
            bye_extra_headers: record.bye_extra_headers.clone(),
            flags: DialogFlags(record.flags),
            vars: record.vars.clone(),
            profiles: record.profiles.clone(),
            triggers: record.triggers.clone(),
            keepalive: record.keepalive.filter(KeepaliveConfig::is_enabled),
            timeout_pending: false,
            end_cause: None,
            out: Default::default(),
        }
    }
}

/// The INVITE's To URI: the callee leg's once answered, else the one in the INVITE's To
/// value (as the proxy extracted it when the INVITE came in).
fn to_uri(record: &DialogRecord) -> String {
    if !record.callee.uri.is_empty() {
        return record.callee.uri.clone();
    }
    NameAddr::parse(&record.invite_to)
        .map(|to| to.uri)
        .unwrap_or_default()
}

/// A side's CSeq order from its highest recorded CSeq (`0`: it sent nothing). That request
/// may have been an INVITE (the initial one, a re-INVITE): its ACK still passes.
fn resumed_order(cseq: u32) -> CseqTracker {
    if cseq == 0 {
        CseqTracker::default()
    } else {
        CseqTracker::after_invite(cseq)
    }
}

/// The timeout clock, running for confirmed dialogs with whatever was left of it.
fn resumed_clock(record: &DialogRecord, now: Instant, unix_ms: u64) -> TimeoutClock {
    let timeout = Duration::from_secs(u64::from(record.timeout_secs));
    if !record.state.is_confirmed() {
        return TimeoutClock::new(timeout, record.timeout_noreset);
    }
    let deadline = record
        .timeout_at_unix_ms
        .map(|at| Duration::from_millis(at.saturating_sub(unix_ms)))
        .and_then(|left| now.checked_add(left));
    TimeoutClock::resumed(timeout, record.timeout_noreset, deadline)
}

/// What a dialog holds beyond its record, or other than what [`Dialog::from_record`] makes
/// of it: with the record, the whole dialog of its own node (a parked dialog that shares the
/// state machine's record, [`crate::PackedDialog`]). The Call-ID and profiles are here
/// because the shared bytes leave them out ([`crate::RecordBytes`]).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct BeyondRecord {
    /// The owner records a dialog at its 2xx (state 3), not at the caller's ACK (4).
    state: crate::state::DialogState,
    call_id: String,
    profiles: Vec<crate::profile::ProfileKey>,
    to_uri: String,
    branches: Branches,
    caller_cseq: CseqTracker,
    callee_cseq: CseqTracker,
    cseq_map: CseqMap,
    /// Without its deadline, which is kept beside the bytes.
    clock: TimeoutClock,
    timeout_pending: bool,
    end_cause: Option<crate::state::EndCause>,
    keepalive: Option<KeepaliveConfig>,
}

impl Dialog {
    /// See [`BeyondRecord`].
    pub(crate) fn beyond_record(&self) -> BeyondRecord {
        BeyondRecord {
            state: self.state,
            call_id: self.invite.call_id.clone(),
            profiles: self.profiles.clone(),
            to_uri: self.invite.to_uri.clone(),
            branches: self.branches.clone(),
            caller_cseq: self.caller_cseq,
            callee_cseq: self.callee_cseq,
            cseq_map: self.cseq_map.clone(),
            clock: self.clock,
            timeout_pending: self.timeout_pending,
            end_cause: self.end_cause,
            keepalive: self.keepalive,
        }
    }

    /// The dialog `record` and `beyond` describe, its timeout due at `deadline`.
    pub(crate) fn from_parts(
        record: &crate::RecordBytes,
        beyond: BeyondRecord,
        deadline: Option<Instant>,
    ) -> Result<Dialog, postcard::Error> {
        let record = record.unpack(&beyond.call_id, 0, &beyond.profiles)?;
        let mut dialog = Dialog::from_record(&record);
        dialog.state = beyond.state;
        dialog.invite.to_uri = beyond.to_uri;
        dialog.branches = beyond.branches;
        dialog.caller_cseq = beyond.caller_cseq;
        dialog.callee_cseq = beyond.callee_cseq;
        dialog.cseq_map = beyond.cseq_map;
        dialog.clock = beyond.clock;
        dialog.clock.set_deadline(deadline);
        dialog.timeout_pending = beyond.timeout_pending;
        dialog.end_cause = beyond.end_cause;
        dialog.keepalive = beyond.keepalive;
        Ok(dialog)
    }
}
