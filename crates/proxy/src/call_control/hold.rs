//! Hold and unhold by the proxy (OpenSIPS callops `call_hold` / `call_unhold`,
//! `E_CALL_HOLD`): a re-INVITE from the proxy to each leg, in the dialog, offering the SDP
//! that leg's peer last sent with its directions held (or restored), numbered through the
//! dialog's CSeq map so the endpoints' own later requests still rise for their peers.
//!
//! ```text
//!  Proxy::hold ──DialogCommand::Hold──▶ actor: Media::hold (bodies) ── per leg:
//!                                        request_towards(leg, INVITE, SDP), ack_towards
//!                                        event hold/start ──▶ send_tracked (ACKs its 2xx)
//!       ▲                                         │ outcome
//!       │ LegResult per leg (≤ 4 s)               ▼
//!       └────────────────────────────── CallControlMsg::HoldAnswered ──▶ Media::hold_answered,
//!                                                                      event hold/ok|fail
//! ```
//!
//! The re-INVITE carries the other leg's Contact (the proxy speaks for it: the leg's remote
//! target must not change) and no Record-Route (the route set is fixed, RFC 3261 §12.2). A
//! leg that answers with anything but 2xx (491 glare, 488) is not held; the call is on hold
//! while at least one leg is, and `Unhold` resumes the legs that are.

use std::time::Duration;

use dialogd_dialog::{ControlEvent, DialogId, EventKind, Leg, MediaError};
use dialogd_sip::Method;
use tokio::sync::oneshot;

use crate::call_control::REFER_ANSWER_WAIT;
use crate::call_control::msg::{CallControlMsg, send_and_report};
use crate::call_control::types::{HoldMode, LegResult};
use crate::dialog_actor::DialogActorState;
use crate::dialog_actor::commands::{DialogCommand, live};
use crate::proxy::{ControlError, Proxy};
use crate::transaction::generated::Outcome;

/// How long [`Proxy::hold`] waits for the legs' answers (as for a REFER).
pub const HOLD_ANSWER_WAIT: Duration = REFER_ANSWER_WAIT;

/// Hold or unhold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldAction {
    Hold(HoldMode),
    Unhold,
}

impl HoldAction {
    /// `hold` / `unhold`, the event's action.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldAction::Hold(_) => "hold",
            HoldAction::Unhold => "unhold",
        }
    }
}

/// The legs re-INVITEd, each with the receiver of its outcome.
pub type HoldStarted = Vec<(Leg, oneshot::Receiver<Outcome>)>;

impl Proxy {
    /// Puts both legs of an answered dialog on hold (`mode`: sendonly or inactive) and waits
    /// for their answers (up to [`HOLD_ANSWER_WAIT`]). `Precondition` if the call is held
    /// already or no SDP is known, or if no leg accepted.
    pub async fn hold(
        &self,
        did: DialogId,
        mode: HoldMode,
    ) -> Result<Vec<LegResult>, ControlError> {
        self.hold_action(did, HoldAction::Hold(mode)).await
    }

    /// Resumes a dialog put on hold by [`Proxy::hold`]: `Precondition` if it is not held.
    pub async fn unhold(&self, did: DialogId) -> Result<Vec<LegResult>, ControlError> {
        self.hold_action(did, HoldAction::Unhold).await
    }

    async fn hold_action(
        &self,
        did: DialogId,
        action: HoldAction,
    ) -> Result<Vec<LegResult>, ControlError> {
        let started = self
            .command(did, |reply| DialogCommand::Hold { action, reply })
            .await?;
        let waits = started.into_iter().map(|(leg, rx)| async move {
            let outcome = tokio::time::timeout(HOLD_ANSWER_WAIT, rx).await;
            leg_result(leg, outcome.ok().and_then(Result::ok))
        });
        let results = futures::future::join_all(waits).await;
        if results.iter().all(|r| r.error.is_some()) {
            let why: Vec<String> = results
                .iter()
                .map(|r| format!("{}: {}", r.leg.as_str(), r.error.as_deref().unwrap_or("")))
                .collect();
            return Err(ControlError::Precondition {
                did,
                why: format!(
                    "no leg accepted the {}: {}",
                    action.as_str(),
                    why.join("; ")
                ),
            });
        }
        Ok(results)
    }
}

fn leg_result(leg: Leg, outcome: Option<Outcome>) -> LegResult {
    let (status, error) = match outcome {
        Some(Outcome::Final(code)) if (200..300).contains(&code) => (code, None),
        Some(Outcome::Final(code)) => (code, Some(format!("answered {code}"))),
        Some(Outcome::TimedOut) => (0, Some("no answer (transaction timeout)".to_owned())),
        Some(Outcome::TransportError) => (0, Some("could not be sent".to_owned())),
        None => (0, Some("no answer within 4 s".to_owned())),
    };
    LegResult { leg, status, error }
}

/// Actor side of [`Proxy::hold`] / [`Proxy::unhold`]: one re-INVITE per leg.
pub(crate) fn start(
    state: &mut DialogActorState,
    action: HoldAction,
) -> Result<HoldStarted, ControlError> {
    live(state)?;
    let did = state.dialog.did();
    if !state.dialog.state().is_confirmed() {
        return Err(ControlError::NotConfirmed(did));
    }
    let bodies = match action {
        HoldAction::Hold(mode) => state.media.hold(mode),
        HoldAction::Unhold => state.media.unhold(),
    }
    .map_err(|e: MediaError| ControlError::Precondition {
        did,
        why: e.to_string(),
    })?;
    let mut started = Vec::new();
    for (leg, body) in bodies {
        let mut headers = Vec::new();
        if let Some(contact) = state.dialog.contact(leg.other()) {
            headers.push(format!("Contact: <{contact}>"));
        }
        let Some(mut req) = state.dialog.request_towards(leg, Method::Invite, headers) else {
            return Err(ControlError::NotConfirmed(did));
        };
        req.body = Some(Box::new(dialogd_dialog::Body {
            content_type: "application/sdp".to_owned(),
            bytes: body,
        }));
        let ack = state.dialog.ack_towards(leg, req.cseq);
        tracing::info!(
            leg = leg.as_str(),
            action = action.as_str(),
            cseq = req.cseq,
            "re-INVITE sent"
        );
        metrics::counter!("dialogd_hold_reinvites_total", "action" => action.as_str()).increment(1);
        emit(state, leg, action, "start", String::new());
        let rx = send_and_report(state, req, ack, move |outcome| {
            CallControlMsg::HoldAnswered {
                leg,
                action,
                outcome,
            }
        });
        started.push((leg, rx));
    }
    Ok(started)
}

/// A leg answered its re-INVITE: held or not, event `ok` or `fail`.
pub(crate) fn answered(
    state: &mut DialogActorState,
    leg: Leg,
    action: HoldAction,
    outcome: &Outcome,
) {
    let (accepted, status) = match outcome {
        Outcome::Final(code) => ((200..300).contains(code), code.to_string()),
        Outcome::TimedOut => (false, "timeout".to_owned()),
        Outcome::TransportError => (false, "not sent".to_owned()),
    };
    if matches!(action, HoldAction::Hold(_)) {
        state.media.hold_answered(leg, accepted);
    }
    let result = if accepted { "ok" } else { "fail" };
    emit(state, leg, action, result, status);
}

fn emit(state: &DialogActorState, leg: Leg, action: HoldAction, st: &'static str, status: String) {
    state.ctx.events.emit_control(
        &state.dialog,
        EventKind::Hold,
        ControlEvent {
            leg,
            action: action.as_str(),
            state: st,
            status,
            destination: String::new(),
            other_call_id: String::new(),
        },
    );
}
