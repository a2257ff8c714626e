//! In-dialog requests (a To tag is present): find the dialog (by our `did`, else by Call-ID and
//! tags, as `match_mode` allows), let its actor judge the request (direction, tags, CSeq order
//! — Kamailio's `validate_dialog`), then proxy it along the route set.
//!
//! A forged request — a `did` whose MAC is wrong, or tags that do not belong to the dialog
//! the `did` names — is rejected and never reaches the dialog's peers.

use std::sync::Arc;

use dialogd_sip::{HeaderName, SipMessage};

use crate::context::{MatchMode, ProxyContext};
use crate::dialog_actor::{DialogAnswer, DialogMsg};
use crate::forward::{RequestEdits, forward_request, new_branch};
use crate::proxied::{Plan, PlanSender};
use crate::registry::DialogHandle;
use crate::routing::{OwnRoutes, next_hop_uri, own_routes, resolve};
use crate::transport::Inbound;

/// A request the dialog accepted (or no dialog tracks it).
#[derive(Debug)]
pub struct Accepted {
    pub dialog: Option<DialogHandle>,
    /// CSeq number to write when forwarding, if the dialog maps it.
    pub rewrite_cseq: Option<u32>,
    /// The leg that sent it (when a dialog accepted it).
    pub from: Option<dialogd_dialog::Leg>,
    /// A valid `did` of ours whose dialog this node does not drive (another node owns it,
    /// or this node has not adopted it yet), the request matching the dialog's replicated
    /// record: it is proxied, and a BYE releases the dialog in the cluster.
    pub orphan: Option<dialogd_dialog::DialogId>,
}

/// Finds the dialog of `msg` and asks it. `Err` carries the rejection to send.
pub async fn check(
    ctx: &ProxyContext,
    msg: &SipMessage,
    own: &OwnRoutes,
) -> Result<Accepted, (u16, String)> {
    let mut by_did = None;
    if let Some(value) = &own.did
        && ctx.settings.match_mode != MatchMode::DidNone
    {
        match ctx.did.decode(value) {
            Ok(did) => by_did = Some(did),
            Err(e) => {
                tracing::info!(call_id = msg.call_id(), error = %e, "rejected request with forged did");
                metrics::counter!("dialogd_forged_requests_total", "reason" => "did").increment(1);
                return Err((403, "Forbidden".to_owned()));
            }
        }
    }
    let candidates: Vec<DialogHandle> = match by_did.map(|did| ctx.registry.get(did)) {
        Some(Some(handle)) => vec![handle],
        // A valid did whose dialog is gone: did_fallback still tries Call-ID and tags.
        Some(None) if ctx.settings.match_mode == MatchMode::DidFallback => {
            ctx.registry.by_call_id(msg.call_id())
        }
        Some(None) => Vec::new(),
        None if ctx.settings.match_mode == MatchMode::DidOnly => Vec::new(),
        None => ctx.registry.by_call_id(msg.call_id()),
    };
    for handle in candidates {
        let answer = ractor::call!(
            handle.actor,
            DialogMsg::Request,
            Box::new(msg.clone()),
            by_did.is_some()
        );
        match answer {
            Ok(DialogAnswer::Forward { rewrite_cseq, from }) => {
                return Ok(Accepted {
                    dialog: Some(handle),
                    rewrite_cseq,
                    from: Some(from),
                    orphan: None,
                });
            }
            Ok(DialogAnswer::Answer { code, reason }) => return Err((code, reason)),
            Ok(DialogAnswer::Reject { code, reason }) => {
                metrics::counter!("dialogd_forged_requests_total", "reason" => "dialog")
                    .increment(1);
                return Err((code, reason));
            }
            Ok(DialogAnswer::NotThisDialog) | Err(_) => {}
        }
    }
    let Some(did) = by_did else {
        return Ok(Accepted {
            dialog: None,
            rewrite_cseq: None,
            from: None,
            orphan: None,
        });
    };
    let from = check_record(ctx, msg, did).await?;
    Ok(Accepted {
        dialog: None,
        rewrite_cseq: None,
        from: Some(from),
        orphan: Some(did),
    })
}

/// A valid `did` of a dialog no actor here drives: the request must carry that dialog's
/// Call-ID, tags and a current CSeq as the cluster's record holds them
/// ([`dialogd_dialog::DialogRecord::match_request`]); a dialog the cluster does not know
/// (ended) or a mismatch is 481 and changes nothing. Knowing a did, which every party of a
/// call sees in its Record-Route, is not enough to act on that dialog.
async fn check_record(
    ctx: &ProxyContext,
    msg: &SipMessage,
    did: dialogd_dialog::DialogId,
) -> Result<dialogd_dialog::Leg, (u16, String)> {
    let no_dialog = || (481, "Call/Transaction Does Not Exist".to_owned());
    let Some(record) = ctx.admission.record(did).await else {
        tracing::debug!(%did, call_id = msg.call_id(), "request for a dialog the cluster does not hold");
        return Err(no_dialog());
    };
    let (from_tag, to_tag) = (msg.from_tag(), msg.to_tag());
    let ids = dialogd_dialog::RequestIds {
        call_id: msg.call_id(),
        from_tag: from_tag.as_deref().unwrap_or(""),
        to_tag: to_tag.as_deref().unwrap_or(""),
        cseq: msg.cseq().number,
    };
    record.match_request(ids).map_err(|why| {
        tracing::info!(%did, call_id = msg.call_id(), reason = %why,
            "rejected request: its did names a dialog whose identifiers it does not carry");
        metrics::counter!("dialogd_forged_requests_total", "reason" => "record").increment(1);
        no_dialog()
    })
}

/// Handles an in-dialog request other than ACK; its server transaction already exists.
pub async fn handle(ctx: &Arc<ProxyContext>, msg: SipMessage, inbound: Inbound, plan: PlanSender) {
    let own = own_routes(&msg, &ctx.settings.local);
    let accepted = match check(ctx, &msg, &own).await {
        Ok(a) => a,
        Err((code, reason)) => {
            plan.send(Plan::Reply {
                code,
                reason,
                extra: Vec::new(),
            });
            return;
        }
    };
    let Some(uri) = next_hop_uri(&msg, &own) else {
        plan.send(crate::dispatch::local_reply(400, "Bad Request"));
        return;
    };
    // Neither a dialog of ours nor our Route: nothing entitles it to be relayed (an open
    // relay for in-dialog requests otherwise; Kamailio's loose_route/is_known_dlg say the same).
    if own.elements.is_empty() && accepted.dialog.is_none() {
        metrics::counter!("dialogd_forged_requests_total", "reason" => "no_dialog").increment(1);
        plan.send(crate::dispatch::local_reply(
            481,
            "Call/Transaction Does Not Exist",
        ));
        return;
    }
    let target = match resolve(&ctx.dns, &uri).await {
        Ok(t) => t,
        Err(e) => {
            tracing::debug!(error = %e, source = %inbound.source, "in-dialog request unroutable");
            plan.send(crate::dispatch::local_reply(404, "Not Found"));
            return;
        }
    };
    let branch = new_branch();
    let edits = RequestEdits {
        own: &own,
        branch: &branch,
        out_transport: target.transport,
        record_route: None,
        source: Some(inbound.source),
    };
    let mut bytes = forward_request(&msg, &ctx.settings.local, &edits);
    if let Some(cseq) = accepted.rewrite_cseq {
        bytes = rewrite_cseq(bytes, cseq);
    }
    if let (Some(did), Some(from)) = (accepted.orphan, accepted.from)
        && msg.method() == Some(&dialogd_sip::Method::Bye)
    {
        release_orphan(ctx, did, from);
    }
    // The answer to a re-INVITE or UPDATE carries the other leg's SDP: its dialog notes it.
    let offers = matches!(
        msg.method(),
        Some(dialogd_sip::Method::Invite | dialogd_sip::Method::Update)
    );
    let media = match (accepted.dialog, accepted.from) {
        (Some(h), Some(from)) if offers => Some((h, from.other())),
        _ => None,
    };
    plan.send(Plan::Forward {
        bytes,
        target,
        dialog: None,
        media,
    });
}

/// A BYE, matching the replicated record, for one of our dialogs that this node does not
/// drive: the endpoint followed the Record-Route of a node that lost the dialog (restarted,
/// or taken over), reached this node while it starts, or sent it here on purpose. This node
/// acts for the owner: the BYE is proxied and the dialog released in the cluster; the owner
/// applies the release, sees the dialog gone and ends its actor (events, triggers, no BYE
/// of its own, no second release), so nothing keeps counting or times out later.
fn release_orphan(
    ctx: &Arc<ProxyContext>,
    did: dialogd_dialog::DialogId,
    from: dialogd_dialog::Leg,
) {
    let cause = match from {
        dialogd_dialog::Leg::Caller => dialogd_dialog::EndCause::ByeCaller,
        dialogd_dialog::Leg::Callee => dialogd_dialog::EndCause::ByeCallee,
    };
    let ctx = ctx.clone();
    tokio::spawn(async move {
        match ctx.admission.release(did, cause).await {
            Ok(()) => {
                tracing::info!(%did, "BYE for a dialog another node drives: released");
                metrics::counter!("dialogd_dialogs_ended_total", "cause" => "bye_elsewhere")
                    .increment(1);
            }
            Err(e) => tracing::debug!(%did, error = %e, "BYE for an unknown dialog"),
        }
    });
}

/// True if `uri` names this node (a request that ends here).
pub fn is_for_us(ctx: &ProxyContext, uri: &str) -> bool {
    dialogd_sip::values::Uri::parse(uri).is_some_and(|u| ctx.settings.local.is_local(&u))
}

/// Rewrites the CSeq number of a message (CSeq mapping after proxy-generated requests, and
/// back on the responses).
pub(crate) fn rewrite_cseq(bytes: bytes::Bytes, number: u32) -> bytes::Bytes {
    let Ok(msg) = SipMessage::parse(bytes.clone()) else {
        return bytes;
    };
    let Some(i) = msg
        .headers()
        .iter()
        .position(|h| h.name == HeaderName::CSeq)
    else {
        return bytes;
    };
    let value = format!("{number} {}", msg.cseq().method);
    dialogd_sip::Splice::new(&msg)
        .replace_value(i, &value)
        .build()
}
