//! The client side of `dialogd.v1.Triggers`, for controllers such as `examples/prepaid`:
//! [`TriggerController::connect`] opens a `Control` stream, subscribes and waits for the
//! node's `Subscribed`; [`TriggerController::next`] yields [`IncomingTrigger`]s and
//! [`TriggerController::decide`] answers `on_timeout` ones. Must not hold logic beyond
//! conversion.

use std::time::Duration;

use dialogd_dialog::TimeoutDecision;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

use crate::error::{Error, Result};
use crate::pb;
use crate::pb::trigger_message::Msg;
use crate::pb::triggers_client::TriggersClient;
use crate::triggers::convert::{decision_to_proto, subscribe_to_proto};

pub use crate::triggers::convert::IncomingTrigger;

/// Decisions buffered between [`TriggerController::decide`] and the stream.
const OUTBOUND_BUFFER: usize = 64;

/// How long [`TriggerController::connect`] waits for the TCP connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An open, subscribed `Control` stream.
#[derive(Debug)]
pub struct TriggerController {
    decisions: TriggerDecider,
    inbound: tonic::Streaming<pb::TriggerMessage>,
    names: Vec<String>,
    node_id: u64,
}

/// Sends decisions on a controller's stream; cheap to clone, usable while another task
/// waits in [`TriggerController::next`].
#[derive(Debug, Clone)]
pub struct TriggerDecider {
    outbound: mpsc::Sender<pb::ControllerMessage>,
}

impl TriggerController {
    /// Connects to `addr` (`http://127.0.0.1:50051`; `http://` is added when no scheme is
    /// given), subscribes to `names` and waits for the node to confirm. With a `token`, the
    /// stream carries `authorization: Bearer <token>`.
    pub async fn connect(
        addr: &str,
        token: Option<&str>,
        names: &[&str],
    ) -> Result<TriggerController> {
        let uri = if addr.contains("://") {
            addr.to_owned()
        } else {
            format!("http://{addr}")
        };
        let endpoint = Endpoint::from_shared(uri.clone()).map_err(|e| Error::BadAddress {
            addr: addr.to_owned(),
            reason: e.to_string(),
        })?;
        let channel = endpoint
            .connect_timeout(CONNECT_TIMEOUT)
            .connect()
            .await
            .map_err(|source| Error::Connect { addr: uri, source })?;
        TriggerController::from_channel(channel, token, names).await
    }

    /// Like [`TriggerController::connect`], over an existing channel.
    pub async fn from_channel(
        channel: Channel,
        token: Option<&str>,
        names: &[&str],
    ) -> Result<TriggerController> {
        let (outbound, rx) = mpsc::channel(OUTBOUND_BUFFER);
        outbound
            .try_send(subscribe_to_proto(names))
            .map_err(|_| tonic::Status::internal("trigger stream buffer unavailable"))?;
        let mut request = tonic::Request::new(ReceiverStream::new(rx));
        if let Some(token) = token {
            let value = MetadataValue::try_from(format!("Bearer {token}")).map_err(|_| {
                tonic::Status::invalid_argument(
                    "the token holds characters not allowed in a header",
                )
            })?;
            request.metadata_mut().insert("authorization", value);
        }
        let mut inbound = TriggersClient::new(channel)
            .control(request)
            .await?
            .into_inner();
        let subscribed = match inbound.message().await? {
            Some(pb::TriggerMessage {
                msg: Some(Msg::Subscribed(s)),
            }) => s,
            Some(other) => {
                return Err(Error::BadReply {
                    field: "first trigger message",
                    value: format!("{other:?}"),
                });
            }
            None => {
                return Err(Error::BadReply {
                    field: "first trigger message",
                    value: "end of stream".into(),
                });
            }
        };
        Ok(TriggerController {
            decisions: TriggerDecider { outbound },
            inbound,
            names: subscribed.names,
            node_id: subscribed.node_id,
        })
    }

    /// The names the node confirmed.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The node the controller is connected to.
    pub fn node_id(&self) -> u64 {
        self.node_id
    }

    /// The next trigger; `None` when the node ended the stream (it shut down).
    pub async fn next(&mut self) -> Option<Result<IncomingTrigger>> {
        match self.inbound.message().await {
            Ok(Some(pb::TriggerMessage {
                msg: Some(Msg::Trigger(trigger)),
            })) => Some(IncomingTrigger::try_from(trigger)),
            Ok(Some(other)) => Some(Err(Error::BadReply {
                field: "trigger message",
                value: format!("{other:?}"),
            })),
            Ok(None) => None,
            Err(status) => Some(Err(status.into())),
        }
    }

    /// Answers the `on_timeout` trigger `trigger_id`.
    pub async fn decide(&self, trigger_id: u64, decision: TimeoutDecision) -> Result<()> {
        self.decisions.decide(trigger_id, decision).await
    }

    /// A sender of decisions on this stream, for another task.
    pub fn decider(&self) -> TriggerDecider {
        self.decisions.clone()
    }
}

impl TriggerDecider {
    /// Answers the `on_timeout` trigger `trigger_id`. Fails once the stream has ended.
    pub async fn decide(&self, trigger_id: u64, decision: TimeoutDecision) -> Result<()> {
        self.outbound
            .send(decision_to_proto(trigger_id, decision))
            .await
            .map_err(|_| tonic::Status::unavailable("the trigger stream has ended").into())
    }
}
