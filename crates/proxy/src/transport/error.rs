//! Why a send failed. Each variant names the peer; [`TransportError::is_shutdown`] keeps "we
//! are stopping" apart from a failure of the peer or the path, which the transaction layer
//! reports as a transport error (RFC 3261 §17.1.4, §8.1.3.1: treat as 503).
//!
//! A failure is either returned by the send at once (the datagram did not fit the socket
//! buffer, the queue is full, no connection may be opened) or, for a TCP message already
//! queued, reported later to the sender's callback (connect failed or timed out, write failed
//! or timed out, connection closed first). [`TransportError::reason`] is the metric label.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// A message could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("udp send to {peer} failed: {source}")]
    UdpSend { peer: SocketAddr, source: io::Error },
    /// The socket's send buffer is full: the datagram is lost, as it could have been on the
    /// wire, and the transaction's retransmission covers it.
    #[error("udp send buffer full, datagram to {peer} dropped")]
    UdpBufferFull { peer: SocketAddr },
    #[error("tcp connect to {peer} timed out after {after:?}")]
    ConnectTimeout { peer: SocketAddr, after: Duration },
    #[error("tcp connect to {peer} failed: {source}")]
    Connect { peer: SocketAddr, source: io::Error },
    #[error("tcp write to {peer} failed: {source}")]
    Write { peer: SocketAddr, source: io::Error },
    #[error("tcp write to {peer} timed out after {after:?}")]
    WriteTimeout { peer: SocketAddr, after: Duration },
    #[error("tcp connection to {peer} was closed")]
    Closed { peer: SocketAddr },
    /// Queuing the message would pass `tcp_conn_queue_bytes`; the connection is closed.
    #[error("tcp write queue to {peer} full ({limit} bytes), connection closed")]
    QueueFull { peer: SocketAddr, limit: usize },
    /// [`super::Transports::send_existing`] found no connection to the peer.
    #[error("no tcp connection to {peer}")]
    NoConnection { peer: SocketAddr },
    #[error("tcp connection limit of {limit} reached, cannot open one to {peer}")]
    TooManyConnections { peer: SocketAddr, limit: usize },
    #[error("transports are shut down, cannot send to {peer}")]
    Shutdown { peer: SocketAddr },
}

impl TransportError {
    /// The peer the message was meant for.
    pub fn peer(&self) -> SocketAddr {
        match self {
            TransportError::UdpSend { peer, .. }
            | TransportError::UdpBufferFull { peer }
            | TransportError::ConnectTimeout { peer, .. }
            | TransportError::Connect { peer, .. }
            | TransportError::Write { peer, .. }
            | TransportError::WriteTimeout { peer, .. }
            | TransportError::Closed { peer }
            | TransportError::QueueFull { peer, .. }
            | TransportError::NoConnection { peer }
            | TransportError::TooManyConnections { peer, .. }
            | TransportError::Shutdown { peer } => *peer,
        }
    }

    /// True when the failure is ours (the transports are stopping), not the peer's.
    pub fn is_shutdown(&self) -> bool {
        matches!(self, TransportError::Shutdown { .. })
    }

    /// Short label of the failure, for the `reason` label of metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            TransportError::UdpSend { .. } => "udp_error",
            TransportError::UdpBufferFull { .. } => "buffer_full",
            TransportError::ConnectTimeout { .. } => "connect_timeout",
            TransportError::Connect { .. } => "connect_failed",
            TransportError::Write { .. } => "write_failed",
            TransportError::WriteTimeout { .. } => "send_timeout",
            TransportError::Closed { .. } => "closed",
            TransportError::QueueFull { .. } => "queue_full",
            TransportError::NoConnection { .. } => "no_connection",
            TransportError::TooManyConnections { .. } => "limit",
            TransportError::Shutdown { .. } => "shutdown",
        }
    }

    /// The same failure again, for each of several messages it failed (an `io::Error` is
    /// rebuilt from its kind and text).
    pub(super) fn duplicate(&self) -> TransportError {
        let io = |e: &io::Error| io::Error::new(e.kind(), e.to_string());
        match self {
            TransportError::UdpSend { peer, source } => TransportError::UdpSend {
                peer: *peer,
                source: io(source),
            },
            TransportError::Connect { peer, source } => TransportError::Connect {
                peer: *peer,
                source: io(source),
            },
            TransportError::Write { peer, source } => TransportError::Write {
                peer: *peer,
                source: io(source),
            },
            TransportError::UdpBufferFull { peer } => TransportError::UdpBufferFull { peer: *peer },
            TransportError::ConnectTimeout { peer, after } => TransportError::ConnectTimeout {
                peer: *peer,
                after: *after,
            },
            TransportError::WriteTimeout { peer, after } => TransportError::WriteTimeout {
                peer: *peer,
                after: *after,
            },
            TransportError::Closed { peer } => TransportError::Closed { peer: *peer },
            TransportError::QueueFull { peer, limit } => TransportError::QueueFull {
                peer: *peer,
                limit: *limit,
            },
            TransportError::NoConnection { peer } => TransportError::NoConnection { peer: *peer },
            TransportError::TooManyConnections { peer, limit } => {
                TransportError::TooManyConnections {
                    peer: *peer,
                    limit: *limit,
                }
            }
            TransportError::Shutdown { peer } => TransportError::Shutdown { peer: *peer },
        }
    }
}
