//! The tokio transport layer of the proxy (RFC 3261 §18): UDP and TCP on one listen address.
//!
//! Owns the sockets, the receive tasks and the TCP connection table. It hands every received
//! message up as one [`Inbound`] (a whole datagram, or one message cut from a TCP stream by
//! [`dialogd_sip::framing::frame`]) and sends the bytes it is given. It must not parse, route or
//! retransmit: indexing is the proxy's job, retransmission the transactions'.
//!
//! ```text
//!  UdpSocket ──▶ udp::receive_loop ─────────────────────┐
//!  TcpListener ─▶ tcp::accept_loop ─▶ connection::read ─┴─▶ mpsc<Inbound> ──▶ proxy
//!  proxy ──▶ Transports::send(kind, dest, bytes) ──▶ send_to | connection (reused or opened)
//! ```
//!
//! TCP connections are indexed by the peer's address, so a response or a later request to a
//! peer that connected to us goes out on that same connection (§18.2.2, §18.1.1). CRLFCRLF
//! keep-alive pings on a stream are answered with CRLF (RFC 5626 §3.5.1). A stream that cannot
//! be framed is answered 400 when its header section can be read, then closed.
//!
//! Main types: [`Transports`], [`Inbound`], [`TransportKind`], [`TransportConfig`],
//! [`TransportError`].

mod connection;
mod error;
mod tcp;
mod udp;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use error::TransportError;

use tcp::TcpTransport;
use udp::UdpTransport;

/// Default for [`TransportConfig::tcp_connect_timeout`].
pub const DEFAULT_TCP_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default for [`TransportConfig::tcp_idle_timeout`].
pub const DEFAULT_TCP_IDLE_TIMEOUT: Duration = Duration::from_secs(600);
/// Default for [`TransportConfig::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// The transport protocol a message came in on or goes out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    Udp,
    Tcp,
}

impl TransportKind {
    /// The name as written in a Via (`SIP/2.0/UDP`).
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Udp => "UDP",
            TransportKind::Tcp => "TCP",
        }
    }

    /// True for stream transports: no retransmission of requests by the transaction layer
    /// (RFC 3261 §17.1.1.2), and no size limit on what may be sent.
    pub fn is_reliable(self) -> bool {
        matches!(self, TransportKind::Tcp)
    }

    /// Lower-case label used in metrics.
    fn label(self) -> &'static str {
        match self {
            TransportKind::Udp => "udp",
            TransportKind::Tcp => "tcp",
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One received message.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// Exactly one message: a whole datagram, or one frame cut from a TCP stream (leading
    /// keep-alive CRLFs removed). Not parsed.
    pub data: Bytes,
    /// The peer's address (the connection's remote address for TCP).
    pub source: SocketAddr,
    /// The transport it arrived on.
    pub transport: TransportKind,
    /// Our address it belongs to: the listen address (for TCP, the connection's local IP with
    /// the listen port, also for connections we opened).
    pub local: SocketAddr,
    /// When the transport read it: how long it then waited for the dispatcher tells whether
    /// the node keeps up (overload shedding in `dispatch`).
    pub received: tokio::time::Instant,
}

/// Tunables of the transports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    /// How long opening a TCP connection to a new peer may take.
    pub tcp_connect_timeout: Duration,
    /// A TCP connection with nothing read or written for this long is closed.
    pub tcp_idle_timeout: Duration,
    /// Most TCP connections open at once (accepted and opened); more are refused.
    pub max_connections: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            tcp_connect_timeout: DEFAULT_TCP_CONNECT_TIMEOUT,
            tcp_idle_timeout: DEFAULT_TCP_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// The running transports. Cheap to clone; the tasks stop on [`Transports::shutdown`] or when
/// the last clone is dropped.
#[derive(Clone)]
pub struct Transports {
    inner: Arc<Inner>,
}

struct Inner {
    local: SocketAddr,
    udp: Arc<UdpTransport>,
    tcp: Arc<TcpTransport>,
    cancel: CancellationToken,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl fmt::Debug for Transports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transports")
            .field("local", &self.inner.local)
            .field("tcp_connections", &self.inner.tcp.connection_count())
            .finish()
    }
}

impl Transports {
    /// Takes already-bound sockets (the node binds UDP and TCP on the same address) and spawns
    /// the receive tasks. Must be called inside a tokio runtime.
    pub fn start(
        udp: UdpSocket,
        tcp: TcpListener,
        inbound: mpsc::Sender<Inbound>,
        config: TransportConfig,
    ) -> std::io::Result<Transports> {
        let local = udp.local_addr()?;
        let tcp_local = tcp.local_addr()?;
        let cancel = CancellationToken::new();
        let udp = UdpTransport::start(udp, local, inbound.clone(), cancel.child_token());
        let tcp = TcpTransport::start(tcp, tcp_local, inbound, config, cancel.child_token());
        tracing::info!(%local, "sip transports listening on udp and tcp");
        Ok(Transports {
            inner: Arc::new(Inner {
                local,
                udp,
                tcp,
                cancel,
            }),
        })
    }

    /// The listen address (the UDP socket's, which the node binds equal to the TCP one).
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local
    }

    /// Sends one message. UDP: one datagram. TCP: on the open connection to `dest` (one the
    /// peer opened to us or one we opened), else on a new one; writes to one connection never
    /// interleave. Ok means the bytes were handed to the kernel.
    pub async fn send(
        &self,
        transport: TransportKind,
        dest: SocketAddr,
        data: Bytes,
    ) -> Result<(), TransportError> {
        if self.inner.cancel.is_cancelled() {
            return Err(TransportError::Shutdown { peer: dest });
        }
        let result = match transport {
            TransportKind::Udp => self.inner.udp.send(dest, &data).await,
            TransportKind::Tcp => self.inner.tcp.send(dest, &data).await,
        };
        if result.is_ok() {
            metrics::counter!("dialogd_sip_messages_out_total", "transport" => transport.label())
                .increment(1);
        }
        result
    }

    /// Number of TCP connections currently open.
    pub fn tcp_connection_count(&self) -> usize {
        self.inner.tcp.connection_count()
    }

    /// Stops accepting, closes every TCP connection and ends the receive tasks. Later sends
    /// fail with [`TransportError::Shutdown`].
    pub fn shutdown(&self) {
        self.inner.cancel.cancel();
    }
}
