//! Initial (out-of-dialog) requests: the policy decides (reject, next hop, dialog settings),
//! an INVITE is admitted into its profiles by the profile store in one atomic call, gets a
//! dialog actor and our Record-Route with its `did`, and is proxied. A spiral (the INVITE
//! coming back through us, our Record-Route already in it) is proxied without a second dialog.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dialogd_dialog::{AdmitError, AdmitRequest, DialogId, EndCause, EventKind};
use dialogd_sip::values::NameAddr;
use dialogd_sip::{HeaderName, Method, SipMessage};

use crate::context::ProxyContext;
use crate::dialog_actor;
use crate::dns::DnsError;
use crate::message_path::dispatch::local_reply;
use crate::message_path::forward::{RequestEdits, forward_request, new_branch};
use crate::message_path::in_dialog::is_for_us;
use crate::message_path::routing::{RouteError, Target, next_hop_uri, own_routes, resolve};
use crate::policy::Decision;
use crate::transaction::proxied::{Plan, PlanSender};
use crate::transport::Inbound;

/// Seconds a client should wait before retrying when the profile store cannot decide.
pub const RETRY_AFTER_SECS: u32 = 5;

/// 503 with `Retry-After`: the node cannot take this call now (no quorum, overloaded).
pub fn try_later() -> Plan {
    Plan::Reply {
        code: 503,
        reason: "Service Unavailable".into(),
        extra: vec![format!("Retry-After: {RETRY_AFTER_SECS}")],
    }
}

/// Handles an initial request; its server transaction already exists.
pub async fn handle(ctx: &Arc<ProxyContext>, msg: SipMessage, inbound: Inbound, plan: PlanSender) {
    let (msg, link) = crate::call_control::transfer_link::take(msg);
    let decision = ctx.policy.evaluate(&msg, inbound.source);
    if let Some((code, reason)) = &decision.reject {
        tracing::info!(call_id = msg.call_id(), code, rules = ?decision.matched, "rejected by policy");
        metrics::counter!("dialogd_policy_rejected_total").increment(1);
        plan.send(Plan::Reply {
            code: *code,
            reason: reason.clone(),
            extra: Vec::new(),
        });
        return;
    }
    let own = own_routes(&msg, &ctx.settings.local);
    let Some(uri) = decision
        .next_hop
        .clone()
        .or_else(|| next_hop_uri(&msg, &own))
    else {
        plan.send(local_reply(400, "Bad Request"));
        return;
    };
    if own.elements.len() == msg.list(&HeaderName::Route).len()
        && decision.next_hop.is_none()
        && is_for_us(ctx, &uri)
    {
        // Addressed to this node and routed nowhere else.
        match msg.method() {
            Some(Method::Options) => plan.send(local_reply(200, "OK")),
            _ => plan.send(local_reply(404, "Not Found")),
        }
        return;
    }
    let target = match resolve(&ctx.dns, &uri).await {
        Ok(t) => t,
        Err(e) => {
            tracing::info!(call_id = msg.call_id(), error = %e, "initial request unroutable");
            let (code, reason) = match e {
                RouteError::BadUri(_) => (416, "Unsupported URI Scheme"),
                RouteError::Transport { .. } => (503, "Service Unavailable"),
                // A name that does not exist is the caller's error; one that could not be
                // looked up now (timeout, too many lookups, server failure) is ours.
                RouteError::Resolve(DnsError::NotFound(_) | DnsError::InvalidName(_)) => {
                    (404, "Not Found")
                }
                RouteError::Resolve(_) => (503, "Service Unavailable"),
            };
            plan.send(local_reply(code, reason));
            return;
        }
    };
    if decision.next_hop.is_none() && !relay_allowed(ctx, &uri, target) {
        tracing::info!(call_id = msg.call_id(), uri, source = %inbound.source, "relaying forbidden");
        metrics::counter!("dialogd_relay_refused_total").increment(1);
        plan.send(local_reply(403, "Relaying Forbidden"));
        return;
    }
    let spiral = is_spiral(ctx, &msg);
    if msg.method() != Some(&Method::Invite) || spiral {
        if spiral {
            tracing::debug!(
                call_id = msg.call_id(),
                "spiral: proxied without a second dialog"
            );
        }
        forward(ctx, &msg, &inbound, &own, target, None, plan);
        return;
    }
    invite(ctx, msg, inbound, own, target, decision, link, plan).await;
}

/// True if `uri` (resolved to `target`) is inside `[proxy] relay_allow` ([`crate::message_path::relay`]).
pub fn relay_allowed(ctx: &ProxyContext, uri: &str, target: Target) -> bool {
    let host = dialogd_sip::values::Uri::parse(uri).map(|u| u.host);
    ctx.settings
        .relay
        .allows(host.as_deref().unwrap_or(""), target.addr.ip())
}

/// A spiral: our Record-Route is already in the INVITE with a `did` whose MAC is valid and
/// which names a live dialog of the same Call-ID. Anything else (a forged or stale Record-Route)
/// is a new INVITE and goes through admission like any other.
fn is_spiral(ctx: &ProxyContext, msg: &SipMessage) -> bool {
    msg.list(&HeaderName::RecordRoute).iter().any(|e| {
        let Some(uri) = NameAddr::parse(&msg.element(e)).and_then(|n| n.uri()) else {
            return false;
        };
        if !ctx.settings.local.is_local(&uri) {
            return false;
        }
        let Some(did) = uri.param("did").and_then(|v| ctx.did.decode(v).ok()) else {
            return false;
        };
        ctx.registry
            .by_call_id(msg.call_id())
            .iter()
            .any(|h| h.did == did)
    })
}

#[allow(clippy::too_many_arguments)]
async fn invite(
    ctx: &Arc<ProxyContext>,
    msg: SipMessage,
    inbound: Inbound,
    own: crate::message_path::routing::OwnRoutes,
    target: Target,
    decision: Decision,
    link: Option<String>,
    plan: PlanSender,
) {
    let max_dialogs = ctx.settings.limits.max_dialogs;
    if ctx.registry.len() >= max_dialogs {
        crate::limits::Bound::Dialogs.count();
        tracing::debug!(
            call_id = msg.call_id(),
            max_dialogs,
            "INVITE refused: max_dialogs reached"
        );
        plan.send(try_later());
        return;
    }
    let did = ctx.registry.next_id();
    let now_ms = unix_ms();
    let settings = dialog_actor::settings_from(ctx, &decision);
    let mut dialog = dialog_actor::new_dialog(ctx, did, &msg, &inbound, settings, now_ms);
    let old = link
        .and_then(|token| crate::call_control::transfer_link::resolve(ctx, &mut dialog, &token));
    let record = dialog.record(u64::from(ctx.settings.node_id), crate::clock::now(), now_ms);
    let admit = AdmitRequest {
        did,
        profiles: decision.profiles.clone(),
        record: Some(Box::new(record)),
    };
    match ctx.admission.admit(admit).await {
        Ok(()) => {}
        Err(AdmitError::LimitReached { key, limit }) => {
            tracing::info!(call_id = msg.call_id(), profile = %key, limit, "rejected: profile limit reached");
            metrics::counter!("dialogd_admission_rejected_total", "profile" => key.name.clone())
                .increment(1);
            let (code, reason) = ctx.settings.limit_reject.clone();
            plan.send(Plan::Reply {
                code,
                reason,
                extra: Vec::new(),
            });
            return;
        }
        Err(e) => {
            if matches!(e, AdmitError::Overloaded(_)) {
                // Shedding is counted by the store; one line per shed call would flood the log.
                tracing::debug!(call_id = msg.call_id(), error = %e, "admission shed");
            } else {
                tracing::warn!(call_id = msg.call_id(), error = %e, "admission unavailable");
            }
            plan.send(try_later());
            return;
        }
    }
    // Before the actor starts, so `created` precedes anything the actor emits. (An actor that
    // fails to start is a bug; its watchers then see no `deleted`.)
    ctx.events.emit(&dialog, EventKind::Created, None);
    let handle = match dialog_actor::spawn(ctx, dialog).await {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(%did, error = %e, "dialog actor failed to start");
            let _ = ctx.admission.release(did, EndCause::Failed(500)).await;
            plan.send(local_reply(500, "Server Internal Error"));
            return;
        }
    };
    tracing::info!(%did, call_id = msg.call_id(), profiles = decision.profiles.len(), "dialog created");
    if let Some(sdp) = crate::facts::sdp_body(&msg) {
        handle.note_sdp(dialogd_dialog::Leg::Caller, sdp);
    }
    if let Some(old) = old {
        crate::call_control::transfer_link::tell_old(ctx, old, msg.call_id());
    }
    for p in &decision.profiles {
        metrics::gauge!("dialogd_profile_size", "profile" => p.key.name.clone()).increment(1.0);
    }
    forward(ctx, &msg, &inbound, &own, target, Some((did, handle)), plan);
}

fn forward(
    ctx: &ProxyContext,
    msg: &SipMessage,
    inbound: &Inbound,
    own: &crate::message_path::routing::OwnRoutes,
    target: Target,
    dialog: Option<(DialogId, crate::registry::DialogHandle)>,
    plan: PlanSender,
) {
    let branch = new_branch();
    let did_value = dialog.as_ref().map(|(did, _)| ctx.did.encode(*did));
    let edits = RequestEdits {
        own,
        branch: &branch,
        out_transport: target.transport,
        record_route: did_value.as_deref().map(|d| (d, inbound.transport)),
        source: Some(inbound.source),
    };
    let bytes = forward_request(msg, &ctx.settings.local, &edits);
    plan.send(Plan::Forward {
        bytes,
        target,
        dialog: dialog.map(|(_, h)| h),
        media: None,
    });
}

/// Wall-clock milliseconds since the Unix epoch (for dialog start/answer times).
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as u64
}
