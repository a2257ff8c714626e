//! One SIP-over-TCP connection (RFC 3261 §18.3) as the table and senders see it: who the peer
//! is, its [`WriteQueue`], whether it is closing and why, and when it was last useful.
//!
//! A connection exists from the moment it is needed: one we open is in the table while it is
//! still connecting, so concurrent sends to the same peer share it and queue behind the
//! connect. [`Connection::send`] never waits; a send that fills the queue closes the
//! connection. The first reason given to [`Connection::close`] is kept and becomes the `reason`
//! label of `dialogd_tcp_connections_closed_total`.
//!
//! "Last useful" (the idle clock) moves on a complete message or keep-alive ping read and on a
//! successful write, never on a stray byte, so trickling bytes does not keep a connection open.
//! This file must not do I/O: [`super::reader`] and [`super::writer`] run the socket halves and
//! [`super::tcp`] keeps the table.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use dialogd_sip::ParseError;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::TransportError;
use super::write_queue::{OnFailure, Pushed, Queued, Refused, WriteQueue};

/// Who opened the connection; limits differ (accepted ones count per IP and leave the
/// outbound reserve free).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    Accepted,
    Opened,
}

/// A TCP connection, shared by the table, its tasks and senders.
pub(super) struct Connection {
    pub(super) id: u64,
    pub(super) peer: SocketAddr,
    pub(super) origin: Origin,
    pub(super) queue: WriteQueue<OwnedWriteHalf>,
    closed: CancellationToken,
    reason: OnceLock<CloseReason>,
    epoch: Instant,
    /// Milliseconds after `epoch` of the last complete read or successful write.
    last_activity_ms: AtomicU64,
}

impl Connection {
    pub(super) fn new(
        id: u64,
        peer: SocketAddr,
        origin: Origin,
        queue_bytes: usize,
        closed: CancellationToken,
    ) -> Connection {
        Connection {
            id,
            peer,
            origin,
            queue: WriteQueue::new(queue_bytes),
            closed,
            reason: OnceLock::new(),
            epoch: Instant::now(),
            last_activity_ms: AtomicU64::new(0),
        }
    }

    /// Hands one message to the connection without waiting: written to the kernel if the
    /// socket takes it now, else queued. A message that would pass the queue's byte limit
    /// fails with [`TransportError::QueueFull`] and closes the connection.
    pub(super) fn send(
        &self,
        data: Bytes,
        on_failure: Option<OnFailure>,
    ) -> Result<(), TransportError> {
        let peer = self.peer;
        if self.is_closed() {
            return Err(TransportError::Closed { peer });
        }
        match self.queue.push(Queued::new(data, on_failure)) {
            Ok(Pushed::Written) => {
                self.touch();
                Ok(())
            }
            Ok(Pushed::Queued) => Ok(()),
            Err(Refused::Closed) => Err(TransportError::Closed { peer }),
            Err(Refused::Full) => {
                let limit = self.queue.limit();
                tracing::info!(%peer, limit, "tcp write queue full, connection closed");
                self.close(CloseReason::QueueFull);
                Err(TransportError::QueueFull { peer, limit })
            }
        }
    }

    /// Queues the last message of the connection (a 400 before closing): the writer stops
    /// after it. False if it could not be queued.
    pub(super) fn send_last(&self, data: Bytes) -> bool {
        !self.is_closed() && self.queue.push(Queued::last(data)).is_ok()
    }

    /// True once the connection is closing: no more reads or writes.
    pub(super) fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// Resolves when the connection starts closing.
    pub(super) async fn closing(&self) {
        self.closed.cancelled().await;
    }

    /// Starts closing: the reader and writer stop, messages still queued fail. The first
    /// reason given is the one kept.
    pub(super) fn close(&self, reason: CloseReason) {
        let _ = self.reason.set(reason);
        self.closed.cancel();
    }

    /// Why the connection closed; `None` while open or when closed by shutdown.
    pub(super) fn close_reason(&self) -> Option<&CloseReason> {
        self.reason.get()
    }

    /// Records useful traffic: restarts the idle clock.
    pub(super) fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_activity_ms.store(ms, Ordering::Relaxed);
    }

    /// When useful traffic was last seen (creation counts).
    pub(super) fn last_activity(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last_activity_ms.load(Ordering::Relaxed))
    }
}

/// Why a connection ended.
#[derive(Debug)]
pub(super) enum CloseReason {
    /// The peer closed its side.
    Eof,
    /// No complete message, ping or successful write for the idle timeout.
    Idle(Duration),
    /// A message in progress (or the first one) did not arrive whole in time.
    MessageTimeout(Duration),
    Read(io::Error),
    /// The stream could not be framed; a 400 was queued if it could be built.
    Framing {
        error: ParseError,
        answered: bool,
    },
    /// A message could not be handed to the kernel within the send timeout.
    SendTimeout(Duration),
    Write(io::Error),
    /// A send would have passed the write queue's byte limit.
    QueueFull,
    /// Opening it failed (connect error or timeout).
    Connect(TransportError),
    /// Replaced in the table by a newer connection from the same address.
    Replaced,
    /// Closed by us after the reader ended for another reason.
    Closed,
    /// The proxy dropped its inbound receiver.
    InboundClosed,
}

impl CloseReason {
    /// The `reason` label of `dialogd_tcp_connections_closed_total`.
    pub(super) fn label(&self) -> &'static str {
        match self {
            CloseReason::Eof => "eof",
            CloseReason::Idle(_) => "idle",
            CloseReason::MessageTimeout(_) => "message_timeout",
            CloseReason::Read(_) => "read_error",
            CloseReason::Framing { .. } => "framing",
            CloseReason::SendTimeout(_) => "send_timeout",
            CloseReason::Write(_) => "write_error",
            CloseReason::QueueFull => "queue_full",
            CloseReason::Connect(e) => e.reason(),
            CloseReason::Replaced => "replaced",
            CloseReason::Closed => "closed",
            CloseReason::InboundClosed => "inbound_closed",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Eof => f.write_str("closed by peer"),
            CloseReason::Idle(after) => write!(f, "idle for {after:?}"),
            CloseReason::MessageTimeout(after) => {
                write!(f, "no complete message within {after:?}")
            }
            CloseReason::Read(e) => write!(f, "read failed: {e}"),
            CloseReason::Framing {
                error,
                answered: true,
            } => write!(f, "{error} (answered 400)"),
            CloseReason::Framing {
                error,
                answered: false,
            } => write!(f, "{error}"),
            CloseReason::SendTimeout(after) => write!(f, "write blocked for {after:?}"),
            CloseReason::Write(e) => write!(f, "write failed: {e}"),
            CloseReason::QueueFull => f.write_str("write queue full"),
            CloseReason::Connect(e) => write!(f, "{e}"),
            CloseReason::Replaced => f.write_str("replaced by a newer connection"),
            CloseReason::Closed => f.write_str("closed locally"),
            CloseReason::InboundClosed => f.write_str("inbound queue closed"),
        }
    }
}
