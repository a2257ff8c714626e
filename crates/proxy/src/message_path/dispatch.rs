//! The dispatcher: every received message starts here (RFC 3261 §16.3–§16.7).
//!
//! ```text
//! Inbound ─▶ index ─┬─ bad ─────────────▶ 400 (or drop)
//!                   ├─ response ─────────▶ its client transaction, else stateless by Via
//!                   ├─ known transaction ─▶ its task (retransmission, ACK for non-2xx)
//!                   ├─ CANCEL ───────────▶ 200 + the INVITE's task, or 481
//!                   ├─ ACK (2xx) ────────▶ dialog, then forwarded statelessly
//!                   ├─ in-dialog ────────▶ dialog verdict, then proxied
//!                   └─ initial ──────────▶ policy, admission, new dialog, proxied
//! ```

use std::sync::Arc;

use dialogd_sip::{HeaderName, Method, SipMessage, build_error_response, build_response};

use crate::context::ProxyContext;
use crate::limits::Bound;
use crate::message_path::forward::{RequestEdits, forward_response, stateless_branch};
use crate::message_path::in_dialog;
use crate::message_path::initial;
use crate::message_path::routing::{Target, own_routes, resolve, via_target};
use crate::transaction::proxied::{self, Plan, Started, local_tag};
use crate::transaction::table::TransactionInput;
use crate::transport::Inbound;

/// A new INVITE that waited longer than this between its transport and the dispatcher is
/// answered 503 with Retry-After instead of being admitted: the node is behind (CPU), and
/// taking on more calls would delay the requests of the calls it carries (RFC 3261 §21.5.4;
/// the overload control of RFC 7339 builds on the same 503). In-dialog requests, ACKs and
/// responses are never shed.
pub const OVERLOAD_QUEUE_DELAY: std::time::Duration = std::time::Duration::from_millis(200);

/// Handles one received message. Never panics on its content.
pub async fn dispatch(ctx: &Arc<ProxyContext>, inbound: Inbound) {
    // Flood control before any parsing: a blocked source costs one table lookup per packet
    // and gets no answer (answering a flood would amplify it). Responses are not counted.
    if crate::flood::counts(&inbound.data) && ctx.flood.check(inbound.source.ip()).is_blocked() {
        return;
    }
    let label = inbound.transport.as_str();
    let limits = &ctx.settings.parse;
    let msg = match SipMessage::parse_with(inbound.data.clone(), limits) {
        Ok(m) => m,
        Err(e) => {
            metrics::counter!("dialogd_sip_messages_bad_total", "transport" => label).increment(1);
            tracing::debug!(source = %inbound.source, error = %e, "unparseable message");
            if let Some(resp) = build_error_response(&inbound.data, &e, limits) {
                reply_to(ctx, &inbound, resp).await;
            }
            return;
        }
    };
    if msg.is_request() {
        metrics::counter!("dialogd_sip_parsed_total", "kind" => "request").increment(1);
        request(ctx, msg, inbound).await;
    } else {
        metrics::counter!("dialogd_sip_parsed_total", "kind" => "response").increment(1);
        response(ctx, msg).await;
    }
}

/// Where responses to `inbound` go: back to the source, over its transport (RFC 3581
/// symmetric response routing, which also covers TCP connection reuse).
pub fn upstream_of(inbound: &Inbound) -> Target {
    Target {
        transport: inbound.transport,
        addr: inbound.source,
    }
}

async fn reply_to(ctx: &ProxyContext, inbound: &Inbound, bytes: bytes::Bytes) {
    let _ = ctx
        .transports
        .send(inbound.transport, inbound.source, bytes)
        .await;
}

/// A stateless reply (used where no transaction is worth keeping: CANCEL, errors before a
/// transaction exists, refusals past a bound).
pub async fn reply_stateless(
    ctx: &ProxyContext,
    msg: &SipMessage,
    inbound: &Inbound,
    code: u16,
    reason: &str,
    extra: &[String],
) {
    if msg.method() == Some(&Method::Ack) {
        return; // RFC 3261 §17.2.1: an ACK is never answered
    }
    let tag = local_tag(msg);
    let resp = build_response(msg, code, reason, Some(&tag), extra);
    reply_to(ctx, inbound, resp).await;
}

async fn response(ctx: &Arc<ProxyContext>, msg: SipMessage) {
    let key = dialogd_sip::transaction::client_key(&msg);
    if let Some(tx) = ctx.transactions.get(&key) {
        let _ = tx.send(TransactionInput::Response(Box::new(msg)));
        return;
    }
    // A retransmitted final response of a finished client transaction: absorbed (RFC 3261
    // §17.1.2.2, Completed).
    if ctx.finished.absorb(crate::clock::now(), &key).is_some() {
        return;
    }
    // No transaction (e.g. a 2xx retransmitted after ours ended): forward statelessly
    // (RFC 3261 §16.7 step 1) if the top Via is ours.
    let top = msg.top_via();
    if !(top.host.eq_ignore_ascii_case(&ctx.settings.local.host)
        && top.port.unwrap_or(5060) == ctx.settings.local.port)
    {
        tracing::debug!(via = %top.host, "response not for us, dropped");
        return;
    }
    let vias = msg.list(&HeaderName::Via);
    let Some(next) = vias
        .get(1)
        .and_then(|e| dialogd_sip::values::Via::parse(&msg.element(e)))
    else {
        return;
    };
    let Some(target) = via_target(&next) else {
        return;
    };
    // Only over a connection already open (or any UDP): a stray response must not make the
    // node open TCP connections to hosts of the sender's choice (RFC 3261 §18.2.2 sends a
    // response back over the connection of its request).
    let _ = ctx
        .transports
        .send_existing(target.transport, target.addr, forward_response(&msg))
        .await;
}

async fn request(ctx: &Arc<ProxyContext>, msg: SipMessage, inbound: Inbound) {
    let key = dialogd_sip::transaction::server_key(&msg);
    if let Some(tx) = ctx.transactions.get(&key) {
        let _ = tx.send(TransactionInput::Request(Box::new(msg)));
        return;
    }
    let Some(method) = msg.method().cloned() else {
        return;
    };
    // A retransmission of a request whose transaction is finished (its final response out):
    // absorbed, or answered with that response again. ACKs are not looked up: the ACK of a
    // non-2xx final response reaches the live task (an INVITE server that sent a non-2xx keeps
    // its task until that ACK), and the ACK of a 2xx is its own transaction-less hop.
    if method != Method::Ack
        && let Some(absorbed) = ctx.finished.absorb(crate::clock::now(), &key)
    {
        if let crate::transaction::finished::Absorbed::Resend(to, bytes) = absorbed {
            let _ = ctx.transports.send(to.transport, to.addr, bytes).await;
        }
        return;
    }
    match method {
        Method::Ack => {
            // The dialog's actor may be waiting on the cluster (a record being replicated):
            // never hold up the dispatcher (and every other call's responses) for it.
            let ctx = ctx.clone();
            tokio::spawn(async move { ack(&ctx, msg, inbound).await });
            return;
        }
        Method::Cancel => {
            let invite = dialogd_sip::transaction::cancelled_invite_key(&msg);
            match ctx.transactions.get(&invite) {
                Some(tx) => {
                    reply_stateless(ctx, &msg, &inbound, 200, "OK", &[]).await;
                    let _ = tx.send(TransactionInput::Cancel);
                }
                // Answered already (RFC 3261 §16.10: the CANCEL gets 200 and changes nothing).
                None if ctx.finished.invite_answered(crate::clock::now(), &invite) => {
                    reply_stateless(ctx, &msg, &inbound, 200, "OK", &[]).await;
                }
                None => {
                    reply_stateless(
                        ctx,
                        &msg,
                        &inbound,
                        481,
                        "Call/Transaction Does Not Exist",
                        &[],
                    )
                    .await
                }
            }
            return;
        }
        _ => {}
    }
    let upstream = upstream_of(&inbound);
    let in_dialog = msg.to_tag().is_some();
    let limits = &ctx.settings.limits;
    // Past a bound nothing is kept for the request: a stateless 503 (RFC 3261 §21.5.4).
    let Some(slot) = ctx.load.transaction(limits, in_dialog) else {
        refuse(ctx, &msg, &inbound, Bound::Transactions).await;
        return;
    };
    let pending = if in_dialog {
        None
    } else {
        match ctx.load.pending_admission(limits) {
            Some(p) => Some(p),
            None => {
                refuse(ctx, &msg, &inbound, Bound::PendingAdmissions).await;
                return;
            }
        }
    };
    let plan = match proxied::start(ctx, msg.clone(), upstream, slot) {
        Started::New(plan) => plan,
        Started::Retransmission => return,
    };
    if msg.max_forwards() == Some(0) {
        // Answered through the server transaction, so the ACK of the 483 is absorbed there.
        plan.send(local_reply(483, "Too Many Hops"));
        return;
    }
    if !in_dialog && msg.method() == Some(&Method::Invite) {
        let waited = inbound.received.elapsed();
        if waited > OVERLOAD_QUEUE_DELAY {
            // Overloaded: a new call that waited this long would find everything behind it
            // slower still. A prompt 503 sheds it; the calls already admitted go on (their
            // requests are never shed here).
            metrics::counter!("dialogd_overload_shed_total").increment(1);
            tracing::debug!(call_id = msg.call_id(), ?waited, "overloaded: INVITE shed");
            plan.send(initial::try_later());
            return;
        }
    }
    // Admission and the dialog actors may wait on the cluster: don't hold up the next message.
    let ctx = ctx.clone();
    if in_dialog {
        tokio::spawn(async move { in_dialog::handle(&ctx, msg, inbound, plan).await });
    } else {
        tokio::spawn(async move {
            initial::handle(&ctx, msg, inbound, plan).await;
            drop(pending); // held until the request is routed and admitted (or refused)
        });
    }
}

/// Answers a request refused by a bound with a stateless 503 and Retry-After, and counts it.
async fn refuse(ctx: &ProxyContext, msg: &SipMessage, inbound: &Inbound, bound: Bound) {
    bound.count();
    tracing::debug!(
        call_id = msg.call_id(),
        limit = bound.as_str(),
        "request refused: bound reached"
    );
    let retry = [format!("Retry-After: {}", initial::RETRY_AFTER_SECS)];
    reply_stateless(ctx, msg, inbound, 503, "Service Unavailable", &retry).await;
}

/// ACK for a 2xx: its own transaction-less hop (RFC 3261 §13.2.2.4, §16.11). The dialog
/// learns of it (3 → 4), then it is forwarded statelessly.
async fn ack(ctx: &Arc<ProxyContext>, msg: SipMessage, inbound: Inbound) {
    if msg.max_forwards() == Some(0) {
        return; // RFC 3261 §16.3: not forwarded, and an ACK is never answered
    }
    let own = own_routes(&msg, &ctx.settings.local);
    let rewrite_cseq = match in_dialog::check(ctx, &msg, &own).await {
        // Neither a dialog of ours nor our Route: not relayed (ACKs are never answered).
        Ok(a) if !a.by_dialog() && own.elements.is_empty() => return,
        // The ACK of a request whose CSeq the dialog mapped carries the same number
        // (crate::message_path::in_dialog::rewrite_cseq, CseqMap).
        Ok(a) => a.rewrite_cseq,
        Err(_) => return, // ACKs are never answered
    };
    let Some(uri) = crate::message_path::routing::next_hop_uri(&msg, &own) else {
        return;
    };
    let Ok(target) = resolve(&ctx.dns, &uri).await else {
        tracing::debug!(uri, "ACK with unroutable target dropped");
        return;
    };
    let branch = stateless_branch(
        msg.top_via().branch().unwrap_or(""),
        u64::from(ctx.settings.node_id),
    );
    let edits = RequestEdits::in_dialog(&own, &branch, target.transport, inbound.source);
    let bytes = in_dialog::forward_in_dialog(ctx, &msg, &edits, rewrite_cseq);
    let _ = ctx
        .transports
        .send(target.transport, target.addr, bytes)
        .await;
}

/// A plan that answers locally.
pub fn local_reply(code: u16, reason: &str) -> Plan {
    Plan::Reply {
        code,
        reason: reason.to_owned(),
        extra: Vec::new(),
    }
}
