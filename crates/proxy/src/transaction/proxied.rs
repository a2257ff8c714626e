//! A proxied transaction (RFC 3261 §16): one tokio task per request the proxy forwards
//! statefully, owning the server transaction towards the sender and the client transaction
//! towards the next hop, and relaying between them.
//!
//! ```text
//!  upstream ──request──▶ [server txn] ─┐            ┌─▶ [client txn] ──▶ downstream
//!                                      └─ Proxied ──┘
//!  upstream ◀─response── [server txn] ◀── relay ◀── Deliver(response) ◀── downstream
//! ```
//!
//! The task is created as soon as the request is seen (so retransmissions are absorbed and
//! 100 Trying goes out at once) and is later told what to do with a [`Plan`]: forward, or
//! answer locally. It ends when both transactions have terminated.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use dialogd_sip::transaction::{TransactionKey, TransactionOutput};
use dialogd_sip::{Method, SipMessage, build_response};
use tokio::sync::{mpsc, oneshot};

use crate::context::ProxyContext;
use crate::dialog_actor::DialogMsg;
use crate::limits::LoadSlot;
use crate::message_path::forward::forward_response;
use crate::message_path::routing::Target;
use crate::registry::DialogHandle;
use crate::transaction::ends::{ClientTransaction, Leftover, ServerTransaction};
use crate::transaction::finished::Kept;
use crate::transaction::generated::{self, GeneratedRequest};
use crate::transaction::table::TransactionInput;

/// RFC 3261 §16.6 step 11: timer C, greater than 3 minutes.
pub const TIMER_C: std::time::Duration = std::time::Duration::from_secs(181);

/// What to do with a request whose server transaction exists.
#[derive(Debug)]
pub enum Plan {
    /// Forward these bytes to `target`. `dialog` gets every response of an initial INVITE;
    /// `media` the SDP of a 2xx to a re-INVITE or UPDATE, as sent by that leg.
    Forward {
        bytes: Bytes,
        target: Target,
        dialog: Option<DialogHandle>,
        media: Option<MediaNote>,
    },
    /// Answer locally and forward nothing.
    Reply {
        code: u16,
        reason: String,
        extra: Vec<String>,
    },
}

/// Where the SDP of a 2xx to a re-INVITE or UPDATE goes: the dialog keeps each leg's last
/// SDP for hold.
#[derive(Debug)]
pub enum MediaNote {
    /// To the dialog's actor here; the leg that answered.
    Local(DialogHandle, dialogd_dialog::Leg),
    /// To the dialog's owner, another member ([`crate::owner_link::OwnerLink::note_media`]).
    Remote {
        owner: u64,
        did: dialogd_dialog::DialogId,
        leg: dialogd_dialog::Leg,
    },
}

/// The running task's state.
pub struct Proxied {
    ctx: Arc<ProxyContext>,
    request: SipMessage,
    upstream: Target,
    server: ServerTransaction,
    server_key: TransactionKey,
    client: Option<ClientTransaction>,
    client_key: Option<TransactionKey>,
    downstream: Option<Target>,
    forwarded: Option<SipMessage>,
    dialog: Option<DialogHandle>,
    media: Option<MediaNote>,
    final_sent: bool,
    cancel_pending: bool,
    /// RFC 3261 §16.8 timer C: a forwarded INVITE without a final response by then is
    /// CANCELled and answered 408 upstream. Reset by every provisional response.
    timer_c: Option<Instant>,
    tx: mpsc::UnboundedSender<TransactionInput>,
    rx: mpsc::UnboundedReceiver<TransactionInput>,
    plans: oneshot::Receiver<Plan>,
    /// This transaction's unit of [`crate::limits::Load`], given back when the task ends.
    _slot: LoadSlot,
}

/// A handle to give a new transaction its [`Plan`].
#[derive(Debug)]
pub struct PlanSender(oneshot::Sender<Plan>);

impl PlanSender {
    /// Hands the plan over (ignored if the transaction already ended).
    pub fn send(self, plan: Plan) {
        let _ = self.0.send(plan);
    }
}

/// Result of [`start`]: a new task, or the live one this request is a retransmission for.
pub enum Started {
    New(PlanSender),
    Retransmission,
}

/// Creates the server transaction for `request` (100 Trying for INVITE at once), registers it
/// and spawns its task. A retransmission is handed to the existing task instead.
pub fn start(
    ctx: &Arc<ProxyContext>,
    request: SipMessage,
    upstream: Target,
    slot: LoadSlot,
) -> Started {
    let server_key = dialogd_sip::transaction::server_key(&request);
    let (tx, rx) = mpsc::unbounded_channel();
    if let Some(existing) = ctx.transactions.insert_or_get(server_key.clone(), &tx) {
        let _ = existing.send(TransactionInput::Request(Box::new(request)));
        return Started::Retransmission;
    }
    let now = crate::clock::now();
    let reliable = upstream.transport.is_reliable();
    let timers = ctx.settings.timers;
    let mut server = ServerTransaction::new(now, &request, reliable, timers);
    if request.method() == Some(&Method::Invite) {
        // RFC 3261 §16.2: a stateful proxy answers 100 at once for INVITE.
        let trying = build_response(&request, 100, "Trying", None, &[]);
        server.send_response(now, 100, trying);
    }
    let (plan_tx, plans) = oneshot::channel();
    let task = Proxied {
        ctx: ctx.clone(),
        request,
        upstream,
        server,
        server_key,
        client: None,
        client_key: None,
        downstream: None,
        forwarded: None,
        dialog: None,
        media: None,
        final_sent: false,
        cancel_pending: false,
        timer_c: None,
        tx,
        rx,
        plans,
        _slot: slot,
    };
    tokio::spawn(task.run());
    Started::New(PlanSender(plan_tx))
}

impl Proxied {
    async fn run(mut self) {
        metrics::gauge!("dialogd_transactions", "kind" => "proxied").increment(1.0);
        let mut planned = false;
        loop {
            self.drain().await;
            // Final response out, only retransmissions left to absorb: kept as data, the task
            // (request, machines, channel) ends now instead of after timer J/L.
            if planned && self.hand_off() {
                break;
            }
            let client_done = self
                .client
                .as_ref()
                .is_none_or(ClientTransaction::is_terminated);
            if self.server.is_terminated() && client_done {
                break;
            }
            let deadline = [
                self.server.poll_timeout(),
                self.client
                    .as_ref()
                    .and_then(ClientTransaction::poll_timeout),
                self.timer_c,
            ]
            .into_iter()
            .flatten()
            .min();
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                plan = &mut self.plans, if !planned => match plan {
                    Ok(plan) => { planned = true; self.apply(plan).await; }
                    // The dispatcher dropped the request without a plan: answer 500.
                    Err(_) => { planned = true; self.reply(500, "Server Internal Error", &[]); }
                },
                input = self.rx.recv() => match input {
                    Some(input) => self.input(input).await,
                    None => break,
                },
                () = sleep => {
                    let now = crate::clock::now();
                    if self.timer_c.is_some_and(|c| c <= now) {
                        self.timer_c = None;
                        self.timer_c_fired().await;
                    }
                    self.server.handle_timeout(now);
                    if let Some(c) = self.client.as_mut() {
                        c.handle_timeout(now);
                    }
                }
            }
        }
        self.ctx.transactions.remove(&self.server_key);
        if let Some(k) = &self.client_key {
            self.ctx.transactions.remove(k);
        }
        metrics::gauge!("dialogd_transactions", "kind" => "proxied").decrement(1.0);
    }

    /// Hands what is left of both transactions to [`crate::transaction::finished`] if that is only
    /// absorbing retransmissions; false while either side still has work of its own.
    fn hand_off(&self) -> bool {
        let Some(server) = self.server.leftover() else {
            return false;
        };
        let client = match &self.client {
            Some(c) => match c.leftover() {
                Some(left) => left,
                None => return false,
            },
            None => Leftover::Nothing,
        };
        let now = crate::clock::now();
        let finished = &self.ctx.finished;
        if let Leftover::Absorb { until, response } = server {
            let kept = match (&self.server, response) {
                (ServerTransaction::Invite(_), _) => Kept::InviteAnswered,
                (ServerTransaction::NonInvite(_), Some(response)) => Kept::Resend {
                    to: self.upstream,
                    response,
                },
                (ServerTransaction::NonInvite(_), None) => Kept::Absorb,
            };
            finished.keep(now, self.server_key.clone(), until, kept);
        }
        if let (Leftover::Absorb { until, .. }, Some(key)) = (client, &self.client_key) {
            finished.keep(now, key.clone(), until, Kept::Absorb);
        }
        true
    }

    async fn apply(&mut self, plan: Plan) {
        match plan {
            Plan::Reply {
                code,
                reason,
                extra,
            } => self.reply(code, &reason, &extra),
            Plan::Forward {
                bytes,
                target,
                dialog,
                media,
            } => {
                self.media = media;
                let forwarded = match SipMessage::parse(bytes) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(error = %e, "forwarded request does not re-index");
                        self.reply(500, "Server Internal Error", &[]);
                        return;
                    }
                };
                let now = crate::clock::now();
                let reliable = target.transport.is_reliable();
                let timers = self.ctx.settings.timers;
                let client = ClientTransaction::new(now, &forwarded, reliable, timers);
                let key = dialogd_sip::transaction::client_request_key(&forwarded);
                self.ctx.transactions.insert(key.clone(), &self.tx);
                self.client_key = Some(key);
                self.client = Some(client);
                self.downstream = Some(target);
                self.forwarded = Some(forwarded);
                self.dialog = dialog;
                if matches!(self.client, Some(ClientTransaction::Invite(_))) {
                    self.timer_c = Some(now + TIMER_C);
                }
                if self.cancel_pending {
                    self.send_cancel();
                }
            }
        }
    }

    async fn input(&mut self, input: TransactionInput) {
        let now = crate::clock::now();
        match input {
            TransactionInput::Request(msg) => self.server.handle_request(now, &msg),
            TransactionInput::Response(msg) => match self.client.as_mut() {
                // A 2xx retransmitted after the INVITE client transaction ended (RFC 6026):
                // relay it, the server side is in Accepted and passes it upstream.
                Some(c) if c.is_terminated() => {
                    let is_2xx = msg.status().is_some_and(|s| (200..300).contains(&s));
                    if is_2xx {
                        self.relay(*msg).await;
                    }
                }
                Some(c) => c.handle_response(now, &msg),
                None => {}
            },
            TransactionInput::TransportFailed => {
                let reliable = self.downstream.is_some_and(|d| d.transport.is_reliable());
                let live = self.client.as_ref().is_some_and(|c| !c.is_terminated());
                if reliable && live {
                    // RFC 3261 §17.1.4: the client transaction ends, as a 503 from downstream.
                    tracing::debug!(
                        call_id = self.request.call_id(),
                        "request downstream not delivered"
                    );
                    self.client = None;
                    self.downstream_failed(503, "Service Unavailable").await;
                }
            }
            TransactionInput::Cancel => {
                if self.final_sent {
                    return;
                }
                if self.forwarded.is_some() {
                    self.send_cancel();
                } else {
                    // Not forwarded yet: remember, and end it locally when the plan arrives.
                    self.cancel_pending = true;
                }
            }
        }
    }

    fn send_cancel(&mut self) {
        let (Some(forwarded), Some(target)) = (&self.forwarded, self.downstream) else {
            return;
        };
        let cancel = dialogd_sip::builder::cancel_for(forwarded);
        generated::spawn(&self.ctx, GeneratedRequest::new(cancel, target), None);
    }

    fn reply(&mut self, code: u16, reason: &str, extra: &[String]) {
        let to_tag = local_tag(&self.request);
        let bytes = build_response(&self.request, code, reason, Some(&to_tag), extra);
        self.server.send_response(crate::clock::now(), code, bytes);
        if code >= 200 {
            self.final_sent = true;
        }
    }

    /// Drains both machines' outputs until neither has more.
    async fn drain(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(out) = self.server.poll_output() {
                progressed = true;
                if let TransactionOutput::Transmit(bytes) = out {
                    let up = self.upstream;
                    if let Err(e) = self.ctx.transports.send(up.transport, up.addr, bytes).await {
                        tracing::debug!(error = %e, "sending response upstream failed");
                    }
                }
            }
            let outputs: Vec<TransactionOutput> = match self.client.as_mut() {
                Some(c) => std::iter::from_fn(|| c.poll_output()).collect(),
                None => Vec::new(),
            };
            for out in outputs {
                progressed = true;
                match out {
                    TransactionOutput::Transmit(bytes) => {
                        let Some(down) = self.downstream else {
                            continue;
                        };
                        // A stream failure after the bytes were queued (connect timeout,
                        // a peer that stopped reading) comes back as an input of this task.
                        let failed = self.tx.clone();
                        if let Err(e) = self
                            .ctx
                            .transports
                            .send_reporting(down.transport, down.addr, bytes, move |_| {
                                let _ = failed.send(TransactionInput::TransportFailed);
                            })
                            .await
                        {
                            if down.transport.is_reliable() {
                                // RFC 3261 §17.1.4: a transport failure ends the client
                                // transaction and counts as a 503 from downstream.
                                tracing::debug!(error = %e, "sending request downstream failed");
                                self.client = None;
                                self.downstream_failed(503, "Service Unavailable").await;
                            } else {
                                // A datagram the kernel refused (a local firewall, a full
                                // buffer) is a lost datagram: timer A/E sends it again, and
                                // timer B/F ends the transaction if none gets through. Failing
                                // at once answered 503 upstream while the retransmission still
                                // reached the callee (a call up on one side only).
                                tracing::debug!(error = %e, "a datagram downstream was not sent; the transaction retransmits");
                                metrics::counter!("dialogd_sip_send_errors_total", "direction" => "downstream").increment(1);
                            }
                        }
                    }
                    TransactionOutput::Deliver(resp) => self.relay(resp).await,
                    TransactionOutput::TimedOut => {
                        self.downstream_failed(408, "Request Timeout").await
                    }
                    _ => {}
                }
            }
            if !progressed {
                break;
            }
        }
    }

    fn note_media(&self, note: &MediaNote, sdp: &[u8]) {
        match note {
            MediaNote::Local(d, leg) => d.note_sdp(*leg, sdp),
            MediaNote::Remote { owner, did, leg } => {
                let Some(link) = self.ctx.owner_link.get().cloned() else {
                    return;
                };
                let (owner, did, leg) = (*owner, *did, *leg);
                let sdp = Bytes::copy_from_slice(sdp);
                tokio::spawn(async move { link.note_media(owner, did, leg, sdp).await });
            }
        }
    }

    /// Relays a response from downstream (RFC 3261 §16.7).
    async fn relay(&mut self, resp: SipMessage) {
        let Some(status) = resp.status() else { return };
        if let Some(note) = &self.media
            && (200..300).contains(&status)
            && let Some(sdp) = crate::facts::sdp_body(&resp)
        {
            self.note_media(note, sdp);
        }
        if let Some(d) = &self.dialog {
            let source = self
                .downstream
                .map(|t| format!("{}:{}", t.transport.as_str().to_ascii_lowercase(), t.addr));
            let resp = Box::new(resp.clone());
            d.call(|reply| DialogMsg::Response(resp, source, reply))
                .await;
        }
        if status == 100 || self.final_sent && !(200..300).contains(&status) {
            return;
        }
        if status >= 200 {
            self.final_sent = true;
            self.timer_c = None;
            // Nothing will be CANCELled any more: free the forwarded copy.
            self.forwarded = None;
        } else if self.timer_c.is_some() {
            self.timer_c = Some(crate::clock::now() + TIMER_C);
        }
        let mut bytes = forward_response(&resp);
        // The dialog may have shifted the request's CSeq (CseqMap): the response goes back
        // with the number its sender used.
        if resp.cseq().number != self.request.cseq().number {
            bytes = crate::message_path::in_dialog::rewrite_cseq(bytes, self.request.cseq().number);
        }
        self.server
            .send_response(crate::clock::now(), status, bytes);
    }

    /// Timer C fired: give up on the branch (CANCEL it) and answer 408 upstream.
    async fn timer_c_fired(&mut self) {
        if self.final_sent {
            return;
        }
        tracing::info!(
            call_id = self.request.call_id(),
            "timer C: no final response, cancelling the branch"
        );
        self.send_cancel();
        self.downstream_failed(408, "Request Timeout").await;
    }

    /// The next hop did not answer or could not be reached: answer upstream ourselves.
    async fn downstream_failed(&mut self, code: u16, reason: &str) {
        if let Some(d) = &self.dialog {
            d.call(|reply| DialogMsg::Failed(code, reply)).await;
        }
        if !self.final_sent {
            self.reply(code, reason, &[]);
        }
    }
}

/// The To tag of responses the proxy generates for a request: stable for retransmissions.
pub fn local_tag(request: &SipMessage) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    request.call_id().hash(&mut h);
    request.top_via().branch().hash(&mut h);
    format!("dd{:012x}", h.finish() & 0xFFFF_FFFF_FFFF)
}
