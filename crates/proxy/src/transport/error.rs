//! Why a send failed. Each variant names the peer; [`TransportError::is_shutdown`] keeps "we
//! are stopping" apart from a failure of the peer or the path, which the transaction layer
//! reports as a transport error (RFC 3261 §17.1.4, §8.1.3.1: treat as 503).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// A message could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("udp send to {peer} failed: {source}")]
    UdpSend { peer: SocketAddr, source: io::Error },
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
            | TransportError::ConnectTimeout { peer, .. }
            | TransportError::Connect { peer, .. }
            | TransportError::Write { peer, .. }
            | TransportError::WriteTimeout { peer, .. }
            | TransportError::Closed { peer }
            | TransportError::TooManyConnections { peer, .. }
            | TransportError::Shutdown { peer } => *peer,
        }
    }

    /// True when the failure is ours (the transports are stopping), not the peer's.
    pub fn is_shutdown(&self) -> bool {
        matches!(self, TransportError::Shutdown { .. })
    }
}
