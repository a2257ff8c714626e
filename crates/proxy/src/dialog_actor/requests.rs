//! In-dialog requests a dialog's actor sends and waits on (keep-alive OPTIONS, REFER): the
//! dialog numbers them ([`dialogd_dialog::Dialog::request_towards`], CSeq mapped), and
//! [`send_tracked`] routes, builds and sends each in a task of its own, so the actor never
//! waits on DNS or on the far end; the outcome comes back on a oneshot as soon as the first
//! final response arrives ([`crate::transaction::generated`]).

use std::sync::Arc;

use tokio::sync::oneshot;

use crate::context::ProxyContext;
use crate::facts;
use crate::message_path::routing::{Target, resolve};
use crate::transaction::generated::{self, GeneratedRequest, Outcome};

/// Sends `req` (from the dialog) in the background; the receiver gets its outcome. A request
/// that cannot be routed is a [`Outcome::TransportError`]. `ack` (a re-INVITE's,
/// [`dialogd_dialog::Dialog::ack_towards`]) answers its 2xx.
pub fn send_tracked(
    ctx: &Arc<ProxyContext>,
    req: dialogd_dialog::GeneratedRequest,
    ack: Option<dialogd_dialog::GeneratedRequest>,
) -> oneshot::Receiver<Outcome> {
    let (tx, rx) = oneshot::channel();
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let Some(target) = route(&ctx, &req).await else {
            let _ = tx.send(Outcome::TransportError);
            return;
        };
        let bytes = facts::build_generated(&ctx, &req, target.transport);
        let mut generated = GeneratedRequest::new(bytes, target);
        generated.ack = ack.map(|a| facts::build_generated(&ctx, &a, target.transport));
        generated::spawn(&ctx, generated, Some(tx));
    });
    rx
}

/// Sends `req` (an ACK for a 2xx: no transaction, RFC 3261 §17.1.1.3) once, now; a failure
/// is logged (the 2xx's retransmission is ACKed again). Awaited, so a request the caller sends
/// next (a bridge's REFER) cannot overtake it.
pub async fn send_once(ctx: &ProxyContext, req: &dialogd_dialog::GeneratedRequest) {
    let Some(target) = route(ctx, req).await else {
        return;
    };
    let bytes = facts::build_generated(ctx, req, target.transport);
    if let Err(e) = ctx
        .transports
        .send(target.transport, target.addr, bytes)
        .await
    {
        tracing::debug!(error = %e, method = %req.method, "generated request not sent");
    }
}

/// Where a request the dialog generated goes: its first Route, else its request-URI
/// (RFC 3261 §8.1.2, loose routing); `None` (logged) if that does not resolve.
pub async fn route(ctx: &ProxyContext, req: &dialogd_dialog::GeneratedRequest) -> Option<Target> {
    let target_uri = req.route_set.first().map_or_else(
        || req.request_uri.clone(),
        |r| dialogd_sip::values::NameAddr::parse(r).map_or_else(|| r.clone(), |n| n.uri),
    );
    match resolve(&ctx.dns, &target_uri).await {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!(error = %e, leg = ?req.leg, method = %req.method, "cannot route generated request");
            None
        }
    }
}
