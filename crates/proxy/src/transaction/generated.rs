//! Requests the proxy sends on its own (BYE on timeout or from the API, CANCEL downstream,
//! OPTIONS keep-alives, REFER, later re-INVITE): one tokio task per request owning its client
//! transaction (RFC 3261 §17.1), reporting the outcome to whoever asked as soon as it is
//! known — the first final response, not the end of the transaction (a non-INVITE client
//! transaction lingers in Completed for timer K, 5 s over UDP, absorbing retransmissions;
//! a keep-alive every 2 s cannot wait for that).

use std::sync::Arc;

use bytes::Bytes;
use dialogd_sip::SipMessage;
use dialogd_sip::transaction::{TransactionOutput, client_request_key};
use tokio::sync::{mpsc, oneshot};

use crate::context::ProxyContext;
use crate::message_path::routing::Target;
use crate::transaction::ends::ClientTransaction;
use crate::transaction::table::TransactionInput;

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct GeneratedRequest {
    pub bytes: Bytes,
    pub target: Target,
    /// For an INVITE: the ACK sent (to `target`) for its 2xx and for every retransmission
    /// of it (RFC 3261 §13.2.2.4), when known in advance (an in-dialog re-INVITE).
    pub ack: Option<Bytes>,
    /// Gets every response (an INVITE whose ACK needs the 2xx: a new dialog's).
    pub responses: Option<mpsc::UnboundedSender<SipMessage>>,
}

impl GeneratedRequest {
    /// `bytes` to `target`, nothing else.
    pub fn new(bytes: Bytes, target: Target) -> GeneratedRequest {
        GeneratedRequest {
            bytes,
            target,
            ack: None,
            responses: None,
        }
    }
}

/// How a generated request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The final response's status code.
    Final(u16),
    /// No final response before timer B/F.
    TimedOut,
    /// It could not be sent.
    TransportError,
}

/// Sends `req` through its own client transaction; `done` receives the outcome (the first
/// final response, or how the transaction ended without one).
pub fn spawn(
    ctx: &Arc<ProxyContext>,
    req: GeneratedRequest,
    done: Option<oneshot::Sender<Outcome>>,
) {
    let msg = match SipMessage::parse(req.bytes.clone()) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "generated request does not index");
            if let Some(d) = done {
                let _ = d.send(Outcome::TransportError);
            }
            return;
        }
    };
    let now = crate::clock::now();
    let reliable = req.target.transport.is_reliable();
    let timers = ctx.settings.timers;
    let machine = ClientTransaction::new(now, &msg, reliable, timers);
    let key = client_request_key(&msg);
    let (tx, rx) = mpsc::unbounded_channel();
    ctx.transactions.insert(key.clone(), &tx);
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let mut done = done;
        let outcome = run(&ctx, machine, &req, (tx, rx), &mut done).await;
        ctx.transactions.remove(&key);
        if let Some(d) = done {
            let _ = d.send(outcome);
        }
    });
}

async fn run(
    ctx: &ProxyContext,
    mut machine: ClientTransaction,
    req: &GeneratedRequest,
    (tx, mut rx): (
        mpsc::UnboundedSender<TransactionInput>,
        mpsc::UnboundedReceiver<TransactionInput>,
    ),
    done: &mut Option<oneshot::Sender<Outcome>>,
) -> Outcome {
    let target = req.target;
    let mut outcome = Outcome::TimedOut;
    loop {
        loop {
            let out = machine.poll_output();
            let Some(out) = out else { break };
            match out {
                TransactionOutput::Transmit(bytes) => {
                    // A stream failure after the bytes were queued comes back as an input.
                    let failed = tx.clone();
                    let sent = ctx
                        .transports
                        .send_reporting(target.transport, target.addr, bytes, move |_| {
                            let _ = failed.send(TransactionInput::TransportFailed);
                        })
                        .await;
                    if let Err(e) = sent {
                        if target.transport.is_reliable() {
                            return Outcome::TransportError;
                        }
                        // Over UDP a refused datagram is a lost one: timer E sends it again
                        // and timer F ends the transaction if none gets through (a timeout
                        // BYE once went to one leg only when its first send failed).
                        tracing::debug!(error = %e, "a datagram was not sent; the transaction retransmits");
                        metrics::counter!("dialogd_sip_send_errors_total", "direction" => "generated").increment(1);
                    }
                }
                TransactionOutput::Deliver(resp) => {
                    let status = resp.status().unwrap_or(0);
                    if let Some(ack) = req.ack.as_ref().filter(|_| (200..300).contains(&status)) {
                        let sent = ctx
                            .transports
                            .send(target.transport, target.addr, ack.clone())
                            .await;
                        if let Err(e) = sent {
                            tracing::debug!(error = %e, "ACK for a 2xx not sent; the next retransmission is ACKed again");
                        }
                    }
                    if status >= 200 {
                        outcome = Outcome::Final(status);
                        if let Some(d) = done.take() {
                            let _ = d.send(outcome.clone());
                        }
                    }
                    if let Some(r) = &req.responses {
                        let _ = r.send(resp);
                    }
                }
                TransactionOutput::TimedOut => return Outcome::TimedOut,
                _ => {}
            }
        }
        let (terminated, deadline) = (machine.is_terminated(), machine.poll_timeout());
        if terminated {
            return outcome;
        }
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            input = rx.recv() => match input {
                Some(TransactionInput::Response(resp)) => {
                    let now = crate::clock::now();
                    machine.handle_response(now, &resp)
                }
                Some(TransactionInput::TransportFailed) if target.transport.is_reliable() => {
                    return Outcome::TransportError;
                }
                Some(_) => {}
                None => return outcome,
            },
            () = sleep => {
                let now = crate::clock::now();
                machine.handle_timeout(now)
            }
        }
    }
}
