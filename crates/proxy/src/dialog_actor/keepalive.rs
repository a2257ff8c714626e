//! Keep-alive in the dialog actor: the runtime of the sans-IO
//! [`Keepalive`]. It is created when the dialog is answered (or adopted answered, or
//! configured through the API on an answered dialog) from the dialog's
//! [`KeepaliveConfig`]; each `SendProbe` becomes an in-dialog OPTIONS to that leg, numbered
//! through the dialog's CSeq map and sent by [`crate::dialog_actor::requests::send_tracked`], whose
//! outcome comes back as [`DialogMsg::ProbeOutcome`]. `Dead` ends the dialog with cause
//! `keepalive` and a BYE to the **other** leg — after the same ownership check a due timeout
//! makes, so a node that was frozen (its probes unanswered meanwhile) never ends a call
//! another node drives now.
//!
//! ```text
//!  answer / adopt / SetKeepalive ──▶ Keepalive::new | reconfigure | (none: stop)
//!  DialogMsg::Timer ──▶ handle_timeout ──▶ SendProbe ──▶ OPTIONS ──▶ ProbeOutcome ──▶ handle_outcome
//!                                          Dead ──▶ check owner ──▶ Dialog::end(Keepalive, other leg)
//! ```
//!
//! Probes are not replicated: a node that adopts the dialog starts a fresh [`Keepalive`]
//! from the replicated configuration (first probe one interval after adoption).

use std::time::Instant;

use dialogd_dialog::{
    Keepalive, KeepaliveConfig, KeepaliveOutput, Leg, ProbeFailure, ProbeId, ProbeOutcome,
};
use dialogd_sip::Method;

use crate::dialog_actor::requests::send_tracked;
use crate::dialog_actor::{DialogActorState, DialogMsg, check_owner};
use crate::transaction::generated::Outcome;

/// Starts, reconfigures or stops the actor's keep-alive to match the dialog's configuration;
/// nothing runs before the answer. Call after the answer and after every configuration change.
pub(crate) fn sync(state: &mut DialogActorState, now: Instant) {
    if !state.dialog.state().is_confirmed() {
        state.keepalive = None;
        return;
    }
    match (state.dialog.keepalive(), state.keepalive.as_mut()) {
        (None, _) => state.keepalive = None,
        (Some(config), Some(k)) if k.config() != normalized(config) => {
            k.reconfigure(now, config);
        }
        (Some(_), Some(_)) => {}
        (Some(config), None) => {
            tracing::debug!(caller = config.caller, callee = config.callee, interval = ?config.interval, "keep-alive started");
            state.keepalive = Some(Keepalive::new(now, config));
        }
    }
}

/// The configuration as [`Keepalive`] keeps it (minimums applied), to compare.
fn normalized(mut c: KeepaliveConfig) -> KeepaliveConfig {
    c.interval = c.interval.max(dialogd_dialog::MIN_KEEPALIVE_INTERVAL);
    c.failed_limit = c.failed_limit.max(1);
    c
}

/// The timer fired: sends the probes that are due.
pub(crate) fn on_timer(state: &mut DialogActorState, now: Instant) {
    if let Some(k) = state.keepalive.as_mut()
        && k.poll_timeout().is_some_and(|at| at <= now)
    {
        k.handle_timeout(now);
    }
}

/// A probe's outcome came back.
pub(crate) fn on_outcome(
    state: &mut DialogActorState,
    now: Instant,
    probe: ProbeId,
    outcome: Outcome,
) {
    let Some(k) = state.keepalive.as_mut() else {
        return;
    };
    let outcome = match outcome {
        Outcome::Final(code) => ProbeOutcome::Response(code),
        Outcome::TimedOut | Outcome::TransportError => ProbeOutcome::Timeout,
    };
    k.handle_outcome(now, probe, outcome);
}

/// When the keep-alive needs the timer.
pub(crate) fn next_timeout(state: &DialogActorState) -> Option<Instant> {
    state.keepalive.as_ref().and_then(Keepalive::poll_timeout)
}

/// Carries out the keep-alive's outputs: probes go out, a dead leg asks the owner check.
pub(crate) fn drain(state: &mut DialogActorState) {
    while let Some(out) = state.keepalive.as_mut().and_then(Keepalive::poll_output) {
        match out {
            KeepaliveOutput::SendProbe { leg, probe } => send_probe(state, leg, probe),
            KeepaliveOutput::Dead { leg, failure } => {
                let why = match failure {
                    ProbeFailure::NoSuchDialog => "481",
                    ProbeFailure::Timeout => "timeout",
                };
                tracing::info!(leg = ?leg, failure = why, "keep-alive: leg lost; ending the dialog");
                metrics::counter!("dialogd_keepalive_failures_total", "failure" => why)
                    .increment(1);
                state.keepalive_dead = Some(leg);
                if !state.owner_check {
                    state.owner_check = true;
                    check_owner(state);
                }
            }
        }
    }
}

/// The owner check after `Dead` said this node drives the dialog: BYE to the other leg.
pub(crate) fn end_if_dead(state: &mut DialogActorState, now: Instant) {
    if let Some(leg) = state.keepalive_dead.take() {
        let ended = state.dialog.end(
            now,
            dialogd_dialog::EndCause::Keepalive,
            &[leg.other()],
            &[],
        );
        tracing::debug!(ended, "keep-alive end");
    }
}

fn send_probe(state: &mut DialogActorState, leg: Leg, probe: ProbeId) {
    let me = state.me.clone();
    let Some(req) = state
        .dialog
        .request_towards(leg, Method::Options, Vec::new())
    else {
        me.cast(DialogMsg::ProbeOutcome(probe, Outcome::TransportError));
        return;
    };
    tracing::debug!(leg = ?leg, cseq = req.cseq, "keep-alive probe");
    metrics::counter!("dialogd_keepalive_probes_total").increment(1);
    let done = send_tracked(&state.ctx, req, None);
    tokio::spawn(async move {
        let outcome = done.await.unwrap_or(Outcome::TransportError);
        me.cast(DialogMsg::ProbeOutcome(probe, outcome));
    });
}
