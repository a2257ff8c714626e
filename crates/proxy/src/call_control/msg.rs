//! What the dialog actor hears about the call control it runs (hold, transfer, bridge) and
//! which in-dialog requests are for the proxy itself rather than for the other leg.
//!
//! | request from a leg | when | answer here |
//! |---|---|---|
//! | NOTIFY, `Event: refer` | the proxy transfers that leg ([`crate::call_control::transfer`]) | 200, progress read |
//! | BYE | the proxy is the caller (bridge) | 200 (the dialog ended on it) |
//! | NOTIFY, OPTIONS, INFO, UPDATE… | the proxy is the caller | 200 (NOTIFY: progress read) |
//! | re-INVITE | the proxy is the caller | 488 (the proxy has no media to offer) |
//!
//! Anything else is forwarded as usual.

use dialogd_dialog::Leg;
use dialogd_sip::{Method, SipMessage};
use tokio::sync::oneshot;

use crate::call_control::hold::{self, HoldAction};
use crate::call_control::transfer;
use crate::dialog_actor::requests::send_tracked;
use crate::dialog_actor::{DialogActorState, DialogMsg};
use crate::facts;
use crate::transaction::generated::Outcome;

/// Progress of the call control a dialog's actor runs.
pub enum CallControlMsg {
    /// A leg sent this SDP outside the actor's sight (the initial INVITE, the 2xx of a
    /// re-INVITE or UPDATE).
    Sdp(Leg, Vec<u8>),
    /// A hold or unhold re-INVITE to `leg` got this outcome.
    HoldAnswered {
        leg: Leg,
        action: HoldAction,
        outcome: Outcome,
    },
    /// A transfer's REFER got this outcome.
    ReferAnswered(Outcome),
    /// A new call (this Call-ID) was linked to this dialog's transfer.
    Linked { call_id: String },
    /// The callee of a bridge answered with a 2xx (or retransmitted it).
    BridgeAnswered,
}

/// Carries out `msg`.
pub(crate) async fn handle(state: &mut DialogActorState, msg: CallControlMsg) {
    match msg {
        CallControlMsg::Sdp(leg, body) => state.media.note(leg, &body),
        CallControlMsg::HoldAnswered {
            leg,
            action,
            outcome,
        } => hold::answered(state, leg, action, &outcome),
        CallControlMsg::ReferAnswered(outcome) => transfer::refer_answered(state, &outcome),
        CallControlMsg::Linked { call_id } => transfer::linked(state, call_id),
        CallControlMsg::BridgeAnswered => crate::call_control::bridge::answered(state).await,
    }
}

/// Sends `req` (with `ack` for its 2xx) and, when its outcome is known, tells the actor
/// (`msg` of it) and then the receiver returned here (the API call waiting on it).
pub(crate) fn send_and_report(
    state: &DialogActorState,
    req: dialogd_dialog::GeneratedRequest,
    ack: Option<dialogd_dialog::GeneratedRequest>,
    msg: impl FnOnce(Outcome) -> CallControlMsg + Send + 'static,
) -> oneshot::Receiver<Outcome> {
    let done = send_tracked(&state.ctx, req, ack);
    let (tx, rx) = oneshot::channel();
    let me = state.me.clone();
    tokio::spawn(async move {
        let outcome = done.await.unwrap_or(Outcome::TransportError);
        me.cast(DialogMsg::CallControl(msg(outcome.clone())));
        let _ = tx.send(outcome);
    });
    rx
}

/// Who answers an in-dialog request a leg sent (module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answerer {
    /// The other leg: forward it.
    OtherLeg,
    /// A NOTIFY of the proxy's own transfer (or bridge): read its progress, answer 200.
    ReferProgress,
    /// The proxy, with this status and reason.
    Proxy(u16, &'static str),
}

/// The module table. `refer_notify`: a NOTIFY with `Event: refer`; `transferring`: the
/// proxy transfers `from`; `local_caller`: the proxy is the dialog's caller (a bridge).
pub(crate) fn answerer(
    method: &Method,
    refer_notify: bool,
    transferring: bool,
    local_caller: bool,
    from: Leg,
) -> Answerer {
    if refer_notify && (transferring || local_caller) {
        return Answerer::ReferProgress;
    }
    if !local_caller || from != Leg::Callee {
        return Answerer::OtherLeg;
    }
    match method {
        Method::Ack => Answerer::OtherLeg,
        Method::Invite => Answerer::Proxy(488, "Not Acceptable Here"),
        _ => Answerer::Proxy(200, "OK"),
    }
}

/// The answer to give here if `req` (accepted by the dialog, sent by `from`) is for the
/// proxy itself ([`answerer`]); `None`: forward it.
pub(crate) fn for_the_proxy(
    state: &mut DialogActorState,
    req: &SipMessage,
    from: Leg,
) -> Option<(u16, String)> {
    let method = req.method()?;
    let refer_notify =
        *method == Method::Notify && facts::event_package(req).as_deref() == Some("refer");
    let transferring = state.transfer.as_ref().is_some_and(|t| t.leg == from);
    match answerer(
        method,
        refer_notify,
        transferring,
        state.local_caller(),
        from,
    ) {
        Answerer::OtherLeg => None,
        Answerer::ReferProgress => {
            transfer::notified(state, req);
            Some((200, "OK".to_owned()))
        }
        Answerer::Proxy(code, reason) => Some((code, reason.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_for_the_proxy_are_answered_here_and_the_rest_forwarded() {
        use Answerer::*;
        use Leg::{Callee, Caller};
        let m = |name: &str| Method::parse(name).unwrap_or(Method::Options);
        // (method, refer NOTIFY, proxy transfers the sender, proxy is the caller, sender, who answers)
        let table = [
            ("NOTIFY", true, true, false, Caller, ReferProgress),
            ("NOTIFY", true, false, true, Callee, ReferProgress),
            ("NOTIFY", true, false, false, Caller, OtherLeg),
            ("NOTIFY", false, true, false, Caller, OtherLeg),
            ("INFO", false, true, false, Caller, OtherLeg),
            ("BYE", false, false, false, Callee, OtherLeg),
            ("BYE", false, false, true, Callee, Proxy(200, "OK")),
            ("OPTIONS", false, false, true, Callee, Proxy(200, "OK")),
            ("NOTIFY", false, false, true, Callee, Proxy(200, "OK")),
            (
                "INVITE",
                false,
                false,
                true,
                Callee,
                Proxy(488, "Not Acceptable Here"),
            ),
            ("ACK", false, false, true, Callee, OtherLeg),
            // Of a bridge, only the callee's requests are the proxy's to answer.
            ("BYE", false, false, true, Caller, OtherLeg),
            ("INVITE", false, false, true, Caller, OtherLeg),
        ];
        for (method, refer_notify, transferring, local_caller, from, want) in table {
            assert_eq!(
                answerer(&m(method), refer_notify, transferring, local_caller, from),
                want,
                "{method} refer={refer_notify} transferring={transferring} local={local_caller} {from:?}"
            );
        }
    }
}
