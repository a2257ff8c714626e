//! Click-to-dial by the proxy (Kamailio `dlg_bridge`): the proxy calls `from` with
//! an SDP that holds the media (it has none to offer), and once `from` answers it REFERs it
//! to `to` and leaves with BYE when the NOTIFYs report the new call answered (or failed). The
//! call is a dialog like any other — admitted, listed, with events and an actor — whose
//! caller is the proxy: its requests from the callee (NOTIFY, BYE, OPTIONS) are answered
//! here ([`crate::call_control::msg::for_the_proxy`]).
//!
//! ```text
//!  Proxy::bridge ─▶ Dialog (caller = sip:dialogd@<this node>) ─▶ admit, actor (BridgePlan)
//!       │           INVITE (held SDP) ─▶ generated::spawn ─responses─▶ task: DialogMsg::Response
//!       ▼                                                        2xx ─▶ BridgeAnswered (each)
//!  answer (id, Call-ID)     actor: ACK every 2xx; the first: transfer::start(callee, to)
//!                           NOTIFY 2xx ─▶ BYE to `from`, cause transfer; NOTIFY ≥ 300,
//!                           REFER refused ─▶ BYE to `from`, cause api
//! ```
//!
//! The NOTIFYs and the BYE of `from` reach the proxy without our Record-Route (the proxy is
//! the caller, not a hop): they are matched by Call-ID and tags, so a node configured with
//! `match_mode = "did_only"` answers them 481. A node that adopts a bridge dialog (takeover)
//! drives it as an ordinary call: its REFER, if not sent yet, is not sent.

use dialogd_dialog::{
    AdmitRequest, Dialog, DialogSettings, EndCause, EventKind, InitialInvite, Leg, RequestFacts,
};
use dialogd_sip::builder::{InDialogRequest, ViaSpec, build_request};
use dialogd_sip::{Method, SipMessage};
use tokio::sync::mpsc;

use crate::call_control::msg::CallControlMsg;
use crate::call_control::transfer::TransferSpec;
use crate::call_control::types::{BridgeRequest, BridgeStarted, LinkMode, TransferTarget};
use crate::dialog_actor::requests::send_once;
use crate::dialog_actor::{DialogActorState, DialogMsg, spawn_actor};
use crate::message_path::forward::new_branch;
use crate::message_path::routing::resolve;
use crate::proxy::{ControlError, Proxy};
use crate::registry::DialogHandle;
use crate::transaction::generated::{self, GeneratedRequest, Outcome};

/// What a bridge does once its callee (`from`) answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgePlan {
    /// Where `from` is REFERred.
    pub to: String,
    /// The REFER went out.
    pub referred: bool,
}

/// The SDP of the bridge INVITE: one audio stream on the discard port, `sendonly` — the
/// proxy offers no media, the called party hears nothing until it is transferred.
pub fn held_sdp(host: &str) -> Vec<u8> {
    let ip = if host.contains(':') { "IP6" } else { "IP4" };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    format!(
        "v=0\r\no=dialogd 1 1 IN {ip} {host}\r\ns=dialogd bridge\r\nc=IN {ip} {host}\r\nt=0 0\r\n\
         m=audio 9 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n"
    )
    .into_bytes()
}

/// Where a call-control request may send a call (Bridge's `from` or outbound proxy, the
/// destination of a REFER or blind transfer): the relay policy of initial requests
/// ([`crate::message_path::relay`]), so the API cannot place calls where SIP callers may not.
/// `InvalidArgument` names the destination and why.
pub(crate) async fn check_destination(
    ctx: &crate::context::ProxyContext,
    uri: &str,
) -> Result<Option<crate::message_path::routing::Target>, ControlError> {
    // A Refer-To may carry brackets and URI headers (`<sip:b@h?Replaces=...>`).
    let bare = uri.trim().trim_start_matches('<').trim_end_matches('>');
    let bare = bare.split_once('?').map_or(bare, |(u, _)| u);
    // A REFER or transfer destination allowed by name is not resolved here: the endpoint
    // resolves it when it places the call (and its INVITE meets this policy again if it
    // comes through this proxy).
    let host = dialogd_sip::values::Uri::parse(bare).map(|u| u.host);
    if host
        .as_deref()
        .is_some_and(|h| ctx.settings.relay.allows_name(h))
    {
        return Ok(None);
    }
    let target = resolve(&ctx.dns, bare)
        .await
        .map_err(|e| ControlError::InvalidArgument(format!("cannot route to {uri}: {e}")))?;
    if !crate::message_path::initial::relay_allowed(ctx, bare, target) {
        return Err(ControlError::InvalidArgument(format!(
            "{uri} is outside [proxy] relay_allow: the proxy does not send calls there"
        )));
    }
    Ok(Some(target))
}

impl Proxy {
    /// Checks a REFER or blind-transfer destination against the relay policy (see
    /// [`check_destination`]); the API asks before it looks for the dialog.
    pub async fn check_destination(&self, uri: &str) -> Result<(), ControlError> {
        check_destination(&self.ctx, uri).await.map(|_| ())
    }

    /// Calls `req.from` (through `req.outbound_proxy` if given), REFERs it to `req.to` once
    /// it answers, then hangs up its own leg; the dialog is tracked like any other. Answers
    /// once the INVITE is sent. `InvalidArgument` for a `from` or proxy URI that does not
    /// route; `Unavailable` if the profile store cannot admit the dialog.
    pub async fn bridge(&self, req: BridgeRequest) -> Result<BridgeStarted, ControlError> {
        let ctx = &self.ctx;
        let hop = req.outbound_proxy.as_deref().unwrap_or(&req.from);
        // `to` is where `from` is REFERred: a REFER destination like any other.
        check_destination(ctx, &req.to).await?;
        let target = match check_destination(ctx, hop).await? {
            Some(t) => t,
            None => resolve(&ctx.dns, hop).await.map_err(|e| {
                ControlError::InvalidArgument(format!("cannot route to {hop}: {e}"))
            })?,
        };
        let local = ctx.settings.local.host_port();
        let own_uri = format!("sip:dialogd@{local}");
        let from_tag = format!("dd{:016x}", rand::random::<u64>());
        let call_id = format!(
            "{:016x}-bridge@{}",
            rand::random::<u64>(),
            ctx.settings.local.host
        );
        let invite = InitialInvite {
            call_id: call_id.clone(),
            from: format!("<{own_uri}>;tag={from_tag}"),
            from_tag,
            from_uri: own_uri.clone(),
            to: format!("<{}>", req.from),
            to_uri: req.from.clone(),
            request_uri: req.from.clone(),
            cseq: 1,
            contact: Some(own_uri.clone()),
            record_route: Vec::new(),
            source: None,
        };
        let did = ctx.registry.next_id();
        let now_ms = crate::message_path::initial::unix_ms();
        let settings = DialogSettings {
            bye_on_timeout: ctx.settings.bye_on_timeout,
            bye_extra_headers: ctx.settings.bye_extra_headers.clone(),
            ..DialogSettings::default()
        };
        let dialog = Dialog::new(
            did,
            crate::clock::now(),
            now_ms,
            invite.clone(),
            settings,
            ctx.settings.default_timeout,
        );
        let record = dialog.record(u64::from(ctx.settings.node_id), crate::clock::now(), now_ms);
        ctx.admission
            .admit(AdmitRequest {
                did,
                profiles: Vec::new(),
                record: Some(Box::new(record)),
            })
            .await
            .map_err(|e| ControlError::Unavailable(e.to_string()))?;
        ctx.events.emit(&dialog, EventKind::Created, None);
        let plan = BridgePlan {
            to: req.to.clone(),
            referred: false,
        };
        let handle = match spawn_actor(ctx, dialog, Some(plan)).await {
            Ok(h) => h,
            Err(e) => {
                let _ = ctx.admission.release(did, EndCause::Failed(500)).await;
                return Err(ControlError::Unavailable(format!("dialog actor: {e}")));
            }
        };
        let route_set: Vec<String> = req
            .outbound_proxy
            .iter()
            .map(|p| format!("<{};lr>", p.trim_start_matches('<').trim_end_matches('>')))
            .collect();
        let branch = new_branch();
        let contact = format!("<{own_uri}>");
        let body = held_sdp(&ctx.settings.local.host);
        let bytes = build_request(&InDialogRequest {
            method: Method::Invite,
            request_uri: &req.from,
            route_set: &route_set,
            from: &invite.from,
            to: &invite.to,
            call_id: &call_id,
            cseq: 1,
            via: ViaSpec {
                transport: target.transport.as_str(),
                sent_by: &local,
                branch: &branch,
            },
            contact: Some(&contact),
            max_forwards: ctx.settings.max_forwards,
            extra_headers: &req.extra_headers,
            body: Some(("application/sdp", &body)),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let (done_tx, done) = tokio::sync::oneshot::channel();
        let mut generated = GeneratedRequest::new(bytes, target);
        generated.responses = Some(tx);
        generated::spawn(ctx, generated, Some(done_tx));
        tokio::spawn(follow(handle.clone(), rx, done));
        tracing::info!(%did, %call_id, from = %req.from, to = %req.to, "bridge: INVITE sent");
        metrics::counter!("dialogd_bridges_total").increment(1);
        Ok(BridgeStarted { did, call_id })
    }
}

/// Feeds the INVITE's responses to the dialog (as a proxied INVITE's are) and tells it of
/// each 2xx (to ACK); a transaction that ends without a final response fails the dialog.
async fn follow(
    dialog: DialogHandle,
    mut responses: mpsc::UnboundedReceiver<SipMessage>,
    done: tokio::sync::oneshot::Receiver<Outcome>,
) {
    let mut final_seen = false;
    while let Some(resp) = responses.recv().await {
        let status = resp.status().unwrap_or(0);
        final_seen |= status >= 200;
        let resp = Box::new(resp);
        dialog
            .call(|reply| DialogMsg::Response(resp, None, reply))
            .await;
        if (200..300).contains(&status) {
            dialog.cast(DialogMsg::CallControl(CallControlMsg::BridgeAnswered));
        }
    }
    if !final_seen {
        let code = match done.await {
            Ok(Outcome::TransportError) => 503,
            _ => 408,
        };
        dialog.call(|reply| DialogMsg::Failed(code, reply)).await;
    }
}

/// The bridge's callee answered (a 2xx, or its retransmission): ACK it, and the first time
/// REFER it to the bridge's destination.
pub(crate) async fn answered(state: &mut DialogActorState) {
    if let Some(ack) = state.dialog.ack_towards(Leg::Callee, 1) {
        send_once(&state.ctx, &ack).await;
        // The proxy is the caller: its own ACK confirms the dialog (state 3 → 4).
        let facts = RequestFacts {
            method: Method::Ack,
            call_id: state.dialog.call_id().to_owned(),
            from_tag: Some(state.dialog.caller_tag().to_owned()),
            to_tag: state.dialog.callee_tag().map(str::to_owned),
            cseq: 1,
            contact: None,
            matched_by_did: false,
        };
        state.dialog.handle_request(crate::clock::now(), &facts);
    }
    let Some(plan) = state.bridge.as_mut().filter(|p| !p.referred) else {
        return;
    };
    plan.referred = true;
    let spec = TransferSpec {
        leg: Leg::Callee,
        target: TransferTarget::Blind {
            destination: plan.to.clone(),
        },
        mode: LinkMode::Param,
        extra_headers: Vec::new(),
    };
    if let Err(e) = crate::call_control::transfer::start(state, spec) {
        tracing::warn!(error = %e, "bridge: REFER not sent; hanging up");
        state
            .dialog
            .end(crate::clock::now(), EndCause::Api, &[Leg::Callee], &[]);
    }
}

#[cfg(test)]
mod tests {
    use dialogd_sip::sdp::{self, Direction};

    use super::*;

    #[test]
    fn the_bridge_offers_one_sendonly_audio_stream_on_the_discard_port() {
        for (host, net) in [
            ("192.0.2.7", "IN IP4 192.0.2.7"),
            ("[2001:db8::7]", "IN IP6 2001:db8::7"),
        ] {
            let body = held_sdp(host);
            let text = String::from_utf8(body.clone()).unwrap_or_default();
            assert!(text.contains(&format!("c={net}\r\n")), "{text}");
            assert!(text.contains(&format!("o=dialogd 1 1 {net}\r\n")), "{text}");
            assert!(text.contains("m=audio 9 RTP/AVP 0 8 101\r\n"), "{text}");
            assert_eq!(sdp::directions(&body).ok(), Some(vec![Direction::SendOnly]));
        }
    }
}
