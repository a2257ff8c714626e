//! Transfer by the proxy (OpenSIPS callops `call_transfer`, `E_CALL_TRANSFER`): a
//! REFER to the transferred leg, the NOTIFYs of its implicit subscription answered here (not
//! forwarded) and turned into `transfer` events, the new call linked to the old one, and the
//! old call ended when the new one is answered. The progress itself is the sans-IO
//! [`TransferState`].
//!
//! ```text
//!  Proxy::transfer ──DialogCommand::Transfer──▶ actor: Refer-To (blind + link | attended +
//!       ▲                                        Replaces), REFER (CSeq mapped), event start
//!       └─ REFER outcome (≤ 4 s) ◀── send_tracked ──▶ CallControlMsg::ReferAnswered (≥ 300: fail)
//!  NOTIFY (Event: refer) from the leg ──▶ for_the_proxy: 200 here; sipfrag ──▶ notify | ok | fail
//!                                         ok ──▶ Dialog::end(Transfer): BYE to both legs
//!  new INVITE with ;dlgd_xfer=TOKEN ──▶ initial: token stripped, old dialog found ──▶ Linked
//! ```
//!
//! The link token (mode `param`) is the old dialog's `did` value with its MAC, as in our
//! Record-Route: it cannot be forged, and it names the dialog on any node. Mode `callid` puts
//! the old Call-ID there instead; mode `manual` nothing ([`Proxy::link_transfer`]). The new
//! dialog gets the variable `dlgd_xfer_from` (the old dialog's id, or its Call-ID) and the old
//! one's later `transfer` events carry the new Call-ID. A link across nodes (the old call
//! driven elsewhere) sets only the variable. A transfer without a final NOTIFY is given up
//! after [`TRANSFER_WAIT`] or when its dialog ends (`fail`, `abandoned`); the call stays up.

use std::time::{Duration, Instant};

use dialogd_dialog::transfer::{ReplacedLeg, attended_refer_to, blind_refer_to};
use dialogd_dialog::{ControlEvent, DialogId, EndCause, EventKind, Leg, TransferState};
use dialogd_sip::{Method, SipMessage};
use tokio::sync::oneshot;

use crate::call_control::msg::{CallControlMsg, send_and_report};
use crate::call_control::types::{LinkMode, TransferStarted, TransferTarget};
use crate::call_control::wait_refer_answer;
use crate::dialog_actor::DialogActorState;
use crate::dialog_actor::commands::{DialogCommand, live};
use crate::proxy::{ControlError, Proxy};
use crate::transaction::generated::Outcome;

/// How long a transfer may wait for its final NOTIFY: longer than the new call's INVITE may
/// ring at a proxy (timer C, 181 s).
pub const TRANSFER_WAIT: Duration = Duration::from_secs(200);

/// The variable a linked new dialog gets: the old dialog's id (mode `param`) or Call-ID.
pub const LINK_VAR: &str = "dlgd_xfer_from";

/// A transfer in progress (or finished) on a dialog.
#[derive(Debug, Clone)]
pub struct ActiveTransfer {
    pub leg: Leg,
    pub state: TransferState,
    /// The Refer-To URI without the link parameter (the events' `destination`).
    pub destination: String,
    /// The linked new call's Call-ID, or an attended transfer's other Call-ID.
    pub other_call_id: String,
    /// When the REFER was sent: the wait for the final NOTIFY counts from here.
    pub started: Instant,
}

impl ActiveTransfer {
    /// When the wait for the final NOTIFY ends ([`TRANSFER_WAIT`] after the REFER), while
    /// the transfer is under way; `None` once it has ended. The dialog's timer (one deadline
    /// in the registry's queue) fires at the earliest of this and its other deadlines.
    pub fn expires_at(&self) -> Option<Instant> {
        (!self.state.is_final()).then_some(self.started + TRANSFER_WAIT)
    }
}

/// What the actor needs to start a transfer.
pub struct TransferSpec {
    pub leg: Leg,
    pub target: TransferTarget,
    pub mode: LinkMode,
    pub extra_headers: Vec<String>,
}

impl Proxy {
    /// Transfers `leg` of an answered dialog: REFER with the Refer-To of `target` (with the
    /// link parameter `mode` asks for) and `extra_headers`; answers when the REFER's 2xx
    /// arrives (at most [`crate::call_control::REFER_ANSWER_WAIT`]). The NOTIFYs that follow are answered here
    /// and reported as `transfer` events; `Precondition` while another transfer of the
    /// dialog is under way.
    pub async fn transfer(
        &self,
        did: DialogId,
        leg: Leg,
        target: TransferTarget,
        mode: LinkMode,
        extra_headers: Vec<String>,
    ) -> Result<TransferStarted, ControlError> {
        let spec = TransferSpec {
            leg,
            target,
            mode,
            extra_headers,
        };
        let (refer_to, rx) = self
            .command(did, |reply| DialogCommand::Transfer { spec, reply })
            .await?;
        let status = wait_refer_answer(did, leg, rx).await?;
        Ok(TransferStarted { status, refer_to })
    }

    /// Links the new dialog `new` to the dialog `old` whose transfer it completes (mode
    /// manual): `old`'s later `transfer` events carry `new`'s Call-ID (its id in hex when
    /// `new` is driven by another node). Run at `old`'s owner.
    pub async fn link_transfer(&self, old: DialogId, new: DialogId) -> Result<(), ControlError> {
        let node = u64::from(self.ctx.settings.node_id);
        let call_id = match self.ctx.registry.snapshot(new, node).await {
            Some(s) => s.call_id,
            None => new.to_string(),
        };
        self.command(old, |reply| DialogCommand::LinkTransfer { call_id, reply })
            .await
    }
}

/// Actor side of [`Proxy::transfer`]: the Refer-To and the REFER; the answer is the Refer-To
/// and the receiver of the REFER's outcome.
pub(crate) fn start(
    state: &mut DialogActorState,
    spec: TransferSpec,
) -> Result<(String, oneshot::Receiver<Outcome>), ControlError> {
    live(state)?;
    let did = state.dialog.did();
    if !state.dialog.state().is_confirmed() {
        return Err(ControlError::NotConfirmed(did));
    }
    if state.transfer.as_ref().is_some_and(|t| !t.state.is_final()) {
        return Err(ControlError::Precondition {
            did,
            why: "a transfer of this call is under way".to_owned(),
        });
    }
    let (refer_to, destination, other_call_id) = match &spec.target {
        TransferTarget::Blind { destination } => {
            let token = match spec.mode {
                LinkMode::Param => Some(state.ctx.did.encode(did)),
                LinkMode::CallId => Some(state.dialog.call_id().to_owned()),
                LinkMode::Manual => None,
            };
            let refer_to = blind_refer_to(destination, token.as_deref());
            (refer_to, destination.clone(), String::new())
        }
        TransferTarget::Attended {
            target_uri,
            call_id,
            caller_tag,
            callee_tag,
            leg,
        } => {
            let replaced = ReplacedLeg {
                call_id,
                caller_tag,
                callee_tag,
                leg: *leg,
            };
            let refer_to = attended_refer_to(target_uri, &replaced);
            (refer_to, target_uri.clone(), call_id.clone())
        }
    };
    let leg = spec.leg;
    let mut headers = vec![format!("Refer-To: {refer_to}")];
    if let Some(contact) = state.dialog.contact(leg.other()) {
        headers.push(format!("Contact: <{contact}>"));
    }
    headers.extend(spec.extra_headers);
    let req = state
        .dialog
        .request_towards(leg, Method::Refer, headers)
        .ok_or(ControlError::NotConfirmed(did))?;
    tracing::info!(leg = leg.as_str(), %refer_to, cseq = req.cseq, "transfer: REFER sent");
    metrics::counter!("dialogd_transfers_total").increment(1);
    let started = crate::clock::now();
    state.transfer = Some(ActiveTransfer {
        leg,
        state: TransferState::Start,
        destination,
        other_call_id,
        started,
    });
    emit(state, TransferState::Start, String::new());
    let rx = send_and_report(state, req, None, CallControlMsg::ReferAnswered);
    Ok((refer_to, rx))
}

/// The REFER's final response (or none).
pub(crate) fn refer_answered(state: &mut DialogActorState, outcome: &Outcome) {
    let Some(t) = state.transfer.as_mut() else {
        return;
    };
    let next = match outcome {
        Outcome::Final(code) => t.state.on_refer_response(*code),
        Outcome::TimedOut | Outcome::TransportError => t.state.on_refer_timeout(),
    };
    if let Some(next) = next {
        emit_state(state, next);
        bridge_gives_up(state, next);
    }
}

/// A bridge whose transfer failed hangs up its callee: the proxy has nothing to say to it.
fn bridge_gives_up(state: &mut DialogActorState, next: TransferState) {
    if state.local_caller() && matches!(next, TransferState::Fail(_)) {
        tracing::info!("bridge: transfer failed; hanging up");
        state
            .dialog
            .end(crate::clock::now(), EndCause::Api, &[Leg::Callee], &[]);
    }
}

/// A NOTIFY (Event: refer) from the transferred leg: its sipfrag status moves the transfer;
/// a 2xx ends the old call (BYE to both legs, cause `transfer`; only the far leg when the
/// proxy is the caller). Answered 200 by the caller of this function.
pub(crate) fn notified(state: &mut DialogActorState, req: &SipMessage) {
    let Some(t) = state.transfer.as_mut() else {
        return;
    };
    let mut moves = Vec::new();
    match dialogd_sip::sipfrag::sipfrag_status(req.body()) {
        Ok(code) => moves.extend(t.state.on_notify(code)),
        Err(e) => tracing::debug!(error = %e, "transfer NOTIFY without a sipfrag status"),
    }
    if crate::facts::subscription_terminated(req) {
        moves.extend(t.state.on_subscription_terminated());
    }
    for next in moves {
        emit_state(state, next);
        bridge_gives_up(state, next);
        if next == TransferState::Ok {
            let legs: &[Leg] = if state.local_caller() {
                &[Leg::Callee]
            } else {
                &[Leg::Caller, Leg::Callee]
            };
            let ended = state
                .dialog
                .end(crate::clock::now(), EndCause::Transfer, legs, &[]);
            tracing::info!(ended, "transfer done: the old call ends");
        }
    }
}

/// A new call was linked to this dialog's transfer.
pub(crate) fn linked(state: &mut DialogActorState, call_id: String) {
    tracing::info!(new_call_id = %call_id, "transfer linked to a new call");
    if let Some(t) = state.transfer.as_mut() {
        t.other_call_id = call_id;
    }
}

/// The dialog's timer fired: a transfer still under way [`TRANSFER_WAIT`] after its REFER
/// is given up (`fail`, `abandoned`); the call stays up.
pub(crate) fn on_timer(state: &mut DialogActorState, now: Instant) {
    let Some(t) = state
        .transfer
        .as_mut()
        .filter(|t| t.expires_at().is_some_and(|at| at <= now))
    else {
        return;
    };
    if let Some(next) = t.state.abandon() {
        tracing::info!("transfer: no final NOTIFY in time; given up");
        emit_state(state, next);
        bridge_gives_up(state, next);
    }
}

/// The dialog ended: a transfer still under way fails (`abandoned`).
pub(crate) fn on_dialog_ended(state: &mut DialogActorState) {
    if let Some(next) = state.transfer.as_mut().and_then(|t| t.state.abandon()) {
        emit_state(state, next);
    }
}

fn emit_state(state: &DialogActorState, next: TransferState) {
    let status = match next {
        TransferState::Start => String::new(),
        TransferState::Notify(code) => code.to_string(),
        TransferState::Ok => "200".to_owned(),
        TransferState::Fail(why) => why.to_string(),
    };
    emit(state, next, status);
}

fn emit(state: &DialogActorState, st: TransferState, status: String) {
    let Some(t) = state.transfer.as_ref() else {
        return;
    };
    state.ctx.events.emit_control(
        &state.dialog,
        EventKind::Transfer,
        ControlEvent {
            leg: t.leg,
            action: "transfer",
            state: st.as_str(),
            status,
            destination: t.destination.clone(),
            other_call_id: t.other_call_id.clone(),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(started: Instant) -> ActiveTransfer {
        ActiveTransfer {
            leg: Leg::Callee,
            state: TransferState::Start,
            destination: "sip:c@example.com".to_owned(),
            other_call_id: String::new(),
            started,
        }
    }

    #[test]
    fn a_transfer_under_way_expires_transfer_wait_after_its_refer() {
        let t0 = crate::clock::now();
        let mut t = transfer(t0);
        assert_eq!(t.expires_at(), Some(t0 + TRANSFER_WAIT));
        // A provisional NOTIFY (100 Trying, 180 Ringing) does not restart the wait.
        assert_eq!(t.state.on_notify(180), Some(TransferState::Notify(180)));
        assert_eq!(t.expires_at(), Some(t0 + TRANSFER_WAIT));
    }

    #[test]
    fn an_ended_transfer_has_no_deadline() {
        let t0 = crate::clock::now();
        let mut t = transfer(t0);
        assert_eq!(t.state.on_notify(200), Some(TransferState::Ok));
        assert_eq!(t.expires_at(), None);
        let mut t = transfer(t0);
        assert!(t.state.abandon().is_some());
        assert_eq!(t.expires_at(), None);
    }
}
