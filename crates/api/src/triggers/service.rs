//! The tonic implementation of `dialogd.v1.Triggers` over an `Arc<TriggerHub>`: `Control`
//! reads the opening `Subscribe` (checked in `convert.rs`), registers the controller
//! in the hub, answers `Subscribed`, and spawns one session task per controller that forwards
//! its triggers and hands its decisions to the hub.
//!
//! ```text
//!  TriggerHub ──mpsc(CONTROLLER_BUFFER)──▶ session task ──mpsc(STREAM_BUFFER)──▶ controller
//!      ▲                                      │
//!      └────────── deliver_decision ◀─────────┘◀──────── TimeoutDecision ─────── controller
//! ```
//!
//! A bad `Subscribe` fails the call with `INVALID_ARGUMENT`; a bad decision (no action,
//! `extend_secs` 0 or too large, `expire: false`) or a second `Subscribe` ends the stream with
//! `INVALID_ARGUMENT`. The stream ends with OK when the server shuts down. Whatever ends the
//! session unregisters the controller, so its pending timeouts resolve at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::dialogs::backend::BackendError;
use crate::pb;
use crate::pb::controller_message::Msg;
use crate::pb::triggers_server::{Triggers, TriggersServer};
use crate::triggers::convert::{decision_from_proto, subscribe_names};
use crate::triggers::hub::{ControllerRegistration, HubTrigger, TriggerHub};

/// Messages buffered between a session task and its gRPC response stream.
pub const STREAM_BUFFER: usize = 64;

/// How long a new stream may take to send its `Subscribe`.
pub const SUBSCRIBE_WAIT: Duration = Duration::from_secs(10);

/// How long a session waits to queue the status that ends a stream on a protocol error.
const ERROR_SEND_WAIT: Duration = Duration::from_secs(1);

/// The `Triggers` service.
#[derive(Clone)]
pub struct TriggersService {
    hub: Arc<TriggerHub>,
    /// Turns true (or closes) when the server shuts down.
    shutdown: watch::Receiver<bool>,
}

impl TriggersService {
    /// A service registering controllers in `hub` until `shutdown` turns true or its sender is
    /// dropped.
    pub fn new(hub: Arc<TriggerHub>, shutdown: watch::Receiver<bool>) -> TriggersService {
        TriggersService { hub, shutdown }
    }

    /// The service wrapped for `tonic::transport::Server::add_service`.
    pub fn into_server(self) -> TriggersServer<TriggersService> {
        TriggersServer::new(self)
    }
}

impl std::fmt::Debug for TriggersService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TriggersService")
            .field("node_id", &self.hub.node_id())
            .finish_non_exhaustive()
    }
}

#[tonic::async_trait]
impl Triggers for TriggersService {
    type ControlStream = ReceiverStream<Result<pb::TriggerMessage, Status>>;

    async fn control(
        &self,
        request: Request<Streaming<pb::ControllerMessage>>,
    ) -> Result<Response<Self::ControlStream>, Status> {
        let mut inbound = request.into_inner();
        let mut shutdown = self.shutdown.clone();
        let first = tokio::select! {
            () = stopped(&mut shutdown) => {
                return Err(Status::unavailable("the server is shutting down"));
            }
            first = tokio::time::timeout(SUBSCRIBE_WAIT, inbound.message()) => match first {
                Err(_) => {
                    return Err(BackendError::InvalidArgument(format!(
                        "no subscribe within {} s of opening the stream",
                        SUBSCRIBE_WAIT.as_secs()
                    ))
                    .into());
                }
                Ok(first) => first?,
            },
        };
        let names = subscribe_names(first)?;
        let (registration, triggers) = self.hub.register(names.clone());
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let subscribed = pb::TriggerMessage {
            msg: Some(pb::trigger_message::Msg::Subscribed(pb::Subscribed {
                names,
                node_id: self.hub.node_id(),
            })),
        };
        // The channel is new and empty: this cannot fail for want of room.
        if tx.try_send(Ok(subscribed)).is_err() {
            return Err(Status::internal("trigger stream buffer unavailable"));
        }
        let session = Session {
            registration,
            triggers,
            inbound,
            tx,
            shutdown,
        };
        tokio::spawn(session.run());
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}

/// True once the server shuts down (or the shutdown sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    // `wait_for` fails only when the sender is dropped: that is a shutdown too.
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// One connected controller.
struct Session {
    registration: ControllerRegistration,
    triggers: mpsc::Receiver<HubTrigger>,
    inbound: Streaming<pb::ControllerMessage>,
    tx: mpsc::Sender<Result<pb::TriggerMessage, Status>>,
    shutdown: watch::Receiver<bool>,
}

impl Session {
    /// Runs until the controller goes away, breaks the protocol or the server shuts down;
    /// dropping `self` then unregisters the controller.
    async fn run(mut self) {
        let controller = self.registration.id();
        loop {
            tokio::select! {
                biased;
                () = stopped(&mut self.shutdown) => break,
                () = self.tx.closed() => break,
                message = self.inbound.next() => match message {
                    Some(Ok(message)) => {
                        if let Err(status) = self.handle(message) {
                            tracing::info!(controller, error = %status.message(), "triggers: controller broke the protocol");
                            // Bounded: a controller that reads nothing gets a plain end.
                            let _ = tokio::time::timeout(ERROR_SEND_WAIT, self.tx.send(Err(status))).await;
                            break;
                        }
                    }
                    Some(Err(status)) => {
                        tracing::debug!(controller, %status, "triggers: controller stream failed");
                        break;
                    }
                    None => break,
                },
                trigger = self.triggers.recv() => {
                    let Some(trigger) = trigger else { break };
                    let message = pb::TriggerMessage {
                        msg: Some(pb::trigger_message::Msg::Trigger(pb::Trigger::from(&trigger))),
                    };
                    let sent = tokio::select! {
                        biased;
                        () = stopped(&mut self.shutdown) => break,
                        sent = self.tx.send(Ok(message)) => sent,
                    };
                    if sent.is_err() {
                        break; // The controller went away.
                    }
                }
            }
        }
        tracing::debug!(controller, "triggers: session done");
    }

    /// Handles one message after the `Subscribe`.
    fn handle(&self, message: pb::ControllerMessage) -> Result<(), Status> {
        match message.msg {
            Some(Msg::Decision(decision)) => {
                let (trigger_id, decision) = decision_from_proto(&decision)?;
                self.registration.deliver_decision(trigger_id, decision);
                Ok(())
            }
            Some(Msg::Subscribe(_)) => Err(BackendError::InvalidArgument(
                "subscribe is sent once, as the first message".into(),
            )
            .into()),
            None => Err(BackendError::InvalidArgument(
                "empty controller message; send a decision".into(),
            )
            .into()),
        }
    }
}
