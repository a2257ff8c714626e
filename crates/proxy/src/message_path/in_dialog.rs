//! In-dialog requests (a To tag is present): find the dialog (by our `did`, else by Call-ID and
//! tags, as `match_mode` allows), let its actor judge the request (direction, tags, CSeq order
//! — Kamailio's `validate_dialog`), then proxy it along the route set.
//!
//! A forged request — a `did` whose MAC is wrong, or tags that do not belong to the dialog
//! the `did` names — is rejected and never reaches the dialog's peers.
//!
//! A request for a dialog another member drives (a shared Record-Route sends endpoints to any
//! member) is judged by that member's actor, or, when it cannot answer, by an actor of this
//! node after it claims the dialog ([`elsewhere`]).

use std::sync::Arc;

use dialogd_sip::{HeaderName, SipMessage};

use crate::context::{MatchMode, ProxyContext};
use crate::dialog_actor::{DialogAnswer, DialogMsg};
use crate::message_path::forward::{RequestEdits, forward_request, new_branch};
use crate::message_path::routing::{OwnRoutes, next_hop_uri, own_routes, resolve};
use crate::owner_link::OwnerAnswer;
use crate::registry::DialogHandle;
use crate::transaction::proxied::{MediaNote, Plan, PlanSender};
use crate::transport::Inbound;

/// A request the dialog accepted (or no dialog tracks it).
#[derive(Debug)]
pub struct Accepted {
    /// The dialog's actor on this node, when it runs here.
    pub dialog: Option<DialogHandle>,
    /// The member whose actor judged it, when the dialog runs there ([`crate::owner_link`]).
    pub owner: Option<(u64, dialogd_dialog::DialogId)>,
    /// CSeq number to write when forwarding, if the dialog maps it.
    pub rewrite_cseq: Option<u32>,
    /// The leg that sent it (when a dialog accepted it).
    pub from: Option<dialogd_dialog::Leg>,
}

impl Accepted {
    /// Whether a dialog of the cluster accepted the request (here or at its owner).
    pub fn by_dialog(&self) -> bool {
        self.dialog.is_some() || self.owner.is_some()
    }

    fn untracked() -> Accepted {
        Accepted {
            dialog: None,
            owner: None,
            rewrite_cseq: None,
            from: None,
        }
    }
}

/// Finds the dialog of `msg` and asks it. `Err` carries the rejection to send.
pub async fn check(
    ctx: &Arc<ProxyContext>,
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
        if let Some(accepted) = ask_actor(msg, handle, by_did.is_some()).await? {
            return Ok(accepted);
        }
    }
    match by_did {
        Some(did) => elsewhere(ctx, msg, did).await,
        None => Ok(Accepted::untracked()),
    }
}

/// Asks a local actor; `Ok(None)` when the request is not of its dialog.
async fn ask_actor(
    msg: &SipMessage,
    handle: DialogHandle,
    by_did: bool,
) -> Result<Option<Accepted>, (u16, String)> {
    let request = Box::new(msg.clone());
    let answer = handle
        .call(|reply| DialogMsg::Request(request, by_did, reply))
        .await;
    match answer {
        Some(answer) => verdict(answer, Some(handle), None),
        None => Ok(None),
    }
}

/// A dialog's answer as the message path uses it.
fn verdict(
    answer: DialogAnswer,
    dialog: Option<DialogHandle>,
    owner: Option<(u64, dialogd_dialog::DialogId)>,
) -> Result<Option<Accepted>, (u16, String)> {
    match answer {
        DialogAnswer::Forward { rewrite_cseq, from } => Ok(Some(Accepted {
            dialog,
            owner,
            rewrite_cseq,
            from: Some(from),
        })),
        DialogAnswer::Answer { code, reason } => Err((code, reason)),
        DialogAnswer::Reject { code, reason } => {
            metrics::counter!("dialogd_forged_requests_total", "reason" => "dialog").increment(1);
            Err((code, reason))
        }
        DialogAnswer::NotThisDialog => Ok(None),
    }
}

fn no_dialog() -> (u16, String) {
    (481, "Call/Transaction Does Not Exist".to_owned())
}

/// A valid `did` of a dialog no actor here drives. The request must first carry that dialog's
/// Call-ID, tags and a current CSeq as the cluster's record holds them
/// ([`dialogd_dialog::DialogRecord::match_request`]): knowing a did, which every party of a
/// call sees in its Record-Route, is not enough to act on a dialog, and a forged request
/// costs no member anything but this lookup. Then the dialog's actor judges it:
///
/// | the record's owner | what happens |
/// |---|---|
/// | another member that answers | its actor judges ([`crate::owner_link`]); this node proxies |
/// | another member that does not answer or drives no actor | this node claims the dialog ([`dialogd_dialog::Admission::claim`]), adopts it and judges it here |
/// | this node (restarted, not adopted yet) | adopted now, judged here |
///
/// A dialog the cluster does not hold (ended) or a mismatch is 481 and changes nothing.
async fn elsewhere(
    ctx: &Arc<ProxyContext>,
    msg: &SipMessage,
    did: dialogd_dialog::DialogId,
) -> Result<Accepted, (u16, String)> {
    let Some(mut record) = ctx.admission.record(did).await else {
        tracing::debug!(%did, call_id = msg.call_id(), "request for a dialog the cluster does not hold");
        return Err(no_dialog());
    };
    let me = u64::from(ctx.settings.node_id);
    match match_record(&record, msg) {
        Ok(_) => {}
        // The owner writes the callee's tag when the dialog is confirmed; the caller's ACK
        // (or an early BYE) can overtake that write on its way here. The owner's actor knows:
        // ask it (an unconfirmed dialog is never taken over, its INVITE died with its owner).
        Err(why @ dialogd_dialog::RecordMismatch::Unconfirmed) if record.owner != me => {
            let judged = judged_by_owner(ctx, record.owner, did, msg).await;
            return judged.unwrap_or_else(|| Err(forged(did, msg, why)));
        }
        Err(why) => return Err(forged(did, msg, why)),
    }
    // Two rounds at most: a claim that another member won names the winner, asked once.
    for _ in 0..2 {
        if record.owner == me {
            break;
        }
        let owner = record.owner;
        if let Some(judged) = judged_by_owner(ctx, owner, did, msg).await {
            return judged;
        }
        record = match claim(ctx, did, owner, me).await {
            Ok(Some(r)) => r,
            Ok(None) => return Err(no_dialog()),
            Err(e) => {
                tracing::warn!(%did, error = %e, "cannot take over the dialog of an unreachable owner");
                return Err((503, "Service Unavailable".to_owned()));
            }
        };
        if record.owner == me {
            tracing::info!(%did, from = owner, call_id = msg.call_id(),
                "owner did not answer for a request of its dialog: taken over");
            metrics::counter!("dialogd_dialogs_claimed_total").increment(1);
        }
    }
    if record.owner != me {
        return Err((503, "Service Unavailable".to_owned()));
    }
    crate::adoption::adopt(ctx, did, Some(&record)).await;
    let Some(handle) = ctx.registry.get(did) else {
        return Err(no_dialog());
    };
    ask_actor(msg, handle, true).await?.ok_or_else(no_dialog)
}

/// How long a claim may wait for the cluster to commit it. The owner's death may have taken
/// the leader with it: an election runs first. The endpoint's transaction is alive meanwhile
/// (its retransmissions are absorbed; RFC 3261 timer F is 32 s), so a BYE waits for the new
/// leader rather than failing.
const CLAIM_PATIENCE: std::time::Duration = std::time::Duration::from_secs(8);

/// [`dialogd_dialog::Admission::claim`], tried again while the cluster cannot commit (no
/// leader yet), for up to [`CLAIM_PATIENCE`].
async fn claim(
    ctx: &ProxyContext,
    did: dialogd_dialog::DialogId,
    owner: u64,
    me: u64,
) -> Result<Option<dialogd_dialog::DialogRecord>, dialogd_dialog::AdmitError> {
    let deadline = tokio::time::Instant::now() + CLAIM_PATIENCE;
    loop {
        match ctx.admission.claim(did, owner, me).await {
            Err(dialogd_dialog::AdmitError::Unavailable(why))
                if tokio::time::Instant::now() < deadline =>
            {
                tracing::debug!(%did, why, "claim not committed yet; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

/// The record pre-check of [`elsewhere`].
fn match_record(
    record: &dialogd_dialog::DialogRecord,
    msg: &SipMessage,
) -> Result<dialogd_dialog::Leg, dialogd_dialog::RecordMismatch> {
    let (from_tag, to_tag) = (msg.from_tag(), msg.to_tag());
    record.match_request(dialogd_dialog::RequestIds {
        call_id: msg.call_id(),
        from_tag: from_tag.as_deref().unwrap_or(""),
        to_tag: to_tag.as_deref().unwrap_or(""),
        cseq: msg.cseq().number,
    })
}

/// A request whose did names a dialog whose identifiers it does not carry: 481, counted.
fn forged(
    did: dialogd_dialog::DialogId,
    msg: &SipMessage,
    why: dialogd_dialog::RecordMismatch,
) -> (u16, String) {
    tracing::info!(%did, call_id = msg.call_id(), reason = %why,
        "rejected request: its did names a dialog whose identifiers it does not carry");
    metrics::counter!("dialogd_forged_requests_total", "reason" => "record").increment(1);
    no_dialog()
}

/// The owner actor's verdict on `msg`, as the message path uses it; `None` when the owner
/// did not judge it (it cannot be asked, or drives no actor for the dialog).
async fn judged_by_owner(
    ctx: &ProxyContext,
    owner: u64,
    did: dialogd_dialog::DialogId,
    msg: &SipMessage,
) -> Option<Result<Accepted, (u16, String)>> {
    let link = ctx.owner_link.get()?;
    let started = crate::clock::now();
    let r = link.judge(owner, did, msg.bytes().clone()).await;
    metrics::histogram!("dialogd_owner_judge_seconds").record(started.elapsed().as_secs_f64());
    match r {
        Ok(OwnerAnswer::Judged(answer)) => {
            Some(verdict(answer, None, Some((owner, did))).and_then(|a| a.ok_or_else(no_dialog)))
        }
        Ok(OwnerAnswer::NotDriving) => None,
        Err(e) => {
            tracing::info!(%did, error = %e, "owner of the dialog cannot be asked");
            None
        }
    }
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
        plan.send(crate::message_path::dispatch::local_reply(
            400,
            "Bad Request",
        ));
        return;
    };
    // Neither a dialog of ours nor our Route: nothing entitles it to be relayed (an open
    // relay for in-dialog requests otherwise; Kamailio's loose_route/is_known_dlg say the same).
    if own.elements.is_empty() && !accepted.by_dialog() {
        metrics::counter!("dialogd_forged_requests_total", "reason" => "no_dialog").increment(1);
        plan.send(crate::message_path::dispatch::local_reply(
            481,
            "Call/Transaction Does Not Exist",
        ));
        return;
    }
    let target = match resolve(&ctx.dns, &uri).await {
        Ok(t) => t,
        Err(e) => {
            tracing::debug!(error = %e, source = %inbound.source, "in-dialog request unroutable");
            plan.send(crate::message_path::dispatch::local_reply(404, "Not Found"));
            return;
        }
    };
    let branch = new_branch();
    let edits = RequestEdits::in_dialog(&own, &branch, target.transport, inbound.source);
    let bytes = forward_in_dialog(ctx, &msg, &edits, accepted.rewrite_cseq);
    // The answer to a re-INVITE or UPDATE carries the other leg's SDP: its dialog notes it.
    let offers = matches!(
        msg.method(),
        Some(dialogd_sip::Method::Invite | dialogd_sip::Method::Update)
    );
    let media = match (accepted.dialog, accepted.owner, accepted.from) {
        (Some(h), _, Some(from)) if offers => Some(MediaNote::Local(h, from.other())),
        (None, Some((owner, did)), Some(from)) if offers => Some(MediaNote::Remote {
            owner,
            did,
            leg: from.other(),
        }),
        _ => None,
    };
    plan.send(Plan::Forward {
        bytes,
        target,
        dialog: None,
        media,
    });
}

/// True if `uri` names this node (a request that ends here).
pub fn is_for_us(ctx: &ProxyContext, uri: &str) -> bool {
    dialogd_sip::values::Uri::parse(uri).is_some_and(|u| ctx.settings.local.is_local(&u))
}

/// `msg` forwarded inside its dialog with `edits` ([`RequestEdits::in_dialog`]), its CSeq
/// number rewritten to `cseq` when the dialog maps this leg's numbers.
pub(crate) fn forward_in_dialog(
    ctx: &ProxyContext,
    msg: &SipMessage,
    edits: &RequestEdits<'_>,
    cseq: Option<u32>,
) -> bytes::Bytes {
    let bytes = forward_request(msg, &ctx.settings.local, edits);
    match cseq {
        Some(number) => rewrite_cseq(bytes, number),
        None => bytes,
    }
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
