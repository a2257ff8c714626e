//! Call control from the API (Kamailio `dlg_refer`, keep-alive
//! `ka-src`/`ka-dst`): the [`Proxy`] methods the node's `CallControl` backend calls, and the
//! actor side of their commands. `End(side)` is [`Proxy::end`] (BYE to the chosen legs).
//!
//! ```text
//!  Proxy::refer ──DialogCommand::Refer──▶ actor: request_towards(leg, REFER) (CSeq mapped),
//!       ▲                                        Refer-To, Contact = the other leg's Contact
//!       └──── outcome (first final response, at most REFER_ANSWER_WAIT) ◀── send_tracked
//!  Proxy::set_keepalive ──DialogCommand::SetKeepalive──▶ actor: Dialog::set_keepalive,
//!                                                        keepalive::sync, replicate
//! ```
//!
//! A REFER's Contact is the other leg's Contact: the proxy sends it on that leg's behalf, and
//! a REFER is a target refresh (RFC 3515 §2.4.6 via RFC 6665), so the referred leg's remote
//! target must not change. Phase A does not intercept the NOTIFYs of the implicit
//! subscription: they follow the route set to the other leg like any in-dialog request.

pub mod bridge;
pub mod hold;
pub mod msg;
pub mod transfer;
pub mod transfer_link;
pub mod types;

use std::time::Duration;

use dialogd_dialog::{DialogId, DialogState, KeepaliveConfig, Leg};
use dialogd_sip::Method;
use tokio::sync::oneshot;

use crate::dialog_actor::commands::{DialogCommand, live};
use crate::dialog_actor::keepalive;
use crate::dialog_actor::requests::send_tracked;
use crate::dialog_actor::{DialogActorState, replicate};
use crate::proxy::{ControlError, Proxy};
use crate::transaction::generated::Outcome;

/// How long [`Proxy::refer`] waits for the REFER's final response: under the node's
/// forwarding timeout (5 s), so a forwarded call still gets the answer.
pub const REFER_ANSWER_WAIT: Duration = Duration::from_secs(4);

/// The REFER's final response (the first, at most [`REFER_ANSWER_WAIT`]): a 2xx status, or
/// `Refused` (≥ 300), or `NoAnswer`.
pub(crate) async fn wait_refer_answer(
    did: DialogId,
    leg: Leg,
    rx: oneshot::Receiver<Outcome>,
) -> Result<u16, ControlError> {
    let no_answer = |why: &str| ControlError::NoAnswer {
        did,
        leg: leg.as_str(),
        method: "REFER",
        why: why.to_owned(),
    };
    match tokio::time::timeout(REFER_ANSWER_WAIT, rx).await {
        Ok(Ok(Outcome::Final(code))) if (200..300).contains(&code) => Ok(code),
        Ok(Ok(Outcome::Final(code))) => Err(ControlError::Refused {
            did,
            leg: leg.as_str(),
            method: "REFER",
            code,
        }),
        Ok(Ok(Outcome::TimedOut)) => Err(no_answer("transaction timeout")),
        Ok(Ok(Outcome::TransportError) | Err(_)) => Err(no_answer("could not be sent")),
        Err(_) => Err(no_answer("none within 4 s; it may still come")),
    }
}

impl Proxy {
    /// Sends a REFER to `leg` of a confirmed dialog with `Refer-To: <refer_to>` (a URI,
    /// brackets optional) and `extra_headers`; answers the 2xx's status. A non-2xx final
    /// response is [`ControlError::Refused`]; none within [`REFER_ANSWER_WAIT`] (or no route)
    /// is [`ControlError::NoAnswer`].
    pub async fn refer(
        &self,
        did: DialogId,
        leg: Leg,
        refer_to: &str,
        extra_headers: Vec<String>,
    ) -> Result<u16, ControlError> {
        let refer_to = dialogd_sip::refer_to::refer_to(refer_to);
        let rx = self
            .command(did, |reply| DialogCommand::Refer {
                leg,
                refer_to,
                extra_headers,
                reply,
            })
            .await?;
        wait_refer_answer(did, leg, rx).await
    }

    /// Sets the keep-alive of a live dialog (`None`, or no leg enabled: off). On an answered
    /// dialog probing starts (or restarts) now, the first probe one interval later; on an
    /// early one it starts at the answer. Replicated.
    pub async fn set_keepalive(
        &self,
        did: DialogId,
        config: Option<KeepaliveConfig>,
    ) -> Result<(), ControlError> {
        self.command(did, |reply| DialogCommand::SetKeepalive { config, reply })
            .await
    }
}

/// Actor side of [`Proxy::set_keepalive`].
pub(crate) async fn set_keepalive(
    state: &mut DialogActorState,
    config: Option<KeepaliveConfig>,
) -> Result<(), ControlError> {
    live(state)?;
    if let Some(c) = &config {
        c.validate()
            .map_err(|e| ControlError::InvalidArgument(e.to_string()))?;
    }
    state.dialog.set_keepalive(config);
    let on = state.dialog.keepalive();
    tracing::info!(
        caller = on.is_some_and(|c| c.caller),
        callee = on.is_some_and(|c| c.callee),
        interval = ?on.map(|c| c.interval),
        "keep-alive set"
    );
    keepalive::sync(state, crate::clock::now());
    replicate(state).await;
    Ok(())
}

/// Actor side of [`Proxy::refer`]: numbers and sends the REFER; the receiver gets its outcome.
pub(crate) fn refer(
    state: &mut DialogActorState,
    leg: Leg,
    refer_to: &str,
    extra_headers: Vec<String>,
) -> Result<oneshot::Receiver<Outcome>, ControlError> {
    live(state)?;
    let did = state.dialog.did();
    if !state.dialog.state().is_confirmed() || state.dialog.state() == DialogState::Deleted {
        return Err(ControlError::NotConfirmed(did));
    }
    let mut headers = vec![format!("Refer-To: {refer_to}")];
    if let Some(contact) = state.dialog.contact(leg.other()) {
        headers.push(format!("Contact: <{contact}>"));
    }
    headers.extend(extra_headers);
    let req = state
        .dialog
        .request_towards(leg, Method::Refer, headers)
        .ok_or(ControlError::NotConfirmed(did))?;
    tracing::info!(leg = leg.as_str(), %refer_to, cseq = req.cseq, "REFER sent");
    metrics::counter!("dialogd_refers_sent_total").increment(1);
    Ok(send_tracked(&state.ctx, req, None))
}
