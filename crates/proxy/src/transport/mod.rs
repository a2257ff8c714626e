//! The tokio transport layer of the proxy (RFC 3261 §18): UDP and TCP on one listen address.
//!
//! Owns the sockets, the receive tasks and the TCP connection table. It hands every received
//! message up as one [`Inbound`] (a whole datagram, or one message cut from a TCP stream by a
//! [`dialogd_sip::framing::Framer`]) and sends the bytes it is given. It must not parse, route or
//! retransmit: indexing is the proxy's job, retransmission the transactions'.
//!
//! Sending never waits on a peer, because one dispatcher task sends for every call: a send
//! returns once the bytes are handed to the kernel (UDP, and TCP when the socket takes them at
//! once) or queued on the connection (TCP). A TCP message that fails later (connect failed or
//! timed out, write failed or timed out, connection closed first) is reported to the callback
//! of [`Transports::send_reporting`], so a client transaction can treat it as a 503 (RFC 3261
//! §8.1.3.1, §17.1.4) without waiting. Every per-peer resource is bounded by
//! [`TransportConfig`]: connections in total, per source IP and a reserve for outbound ones;
//! bytes queued per connection; time to connect, to write a message, to receive a message, and
//! idle time.
//!
//! ```text
//!  UdpSocket ──▶ udp::receive_loop ─────────────────────────────┐
//!  TcpListener ─▶ tcp::accept_loop ─▶ table ─▶ reader::read_loop ─┴─▶ mpsc<Inbound> ──▶ proxy
//!
//!  proxy ──▶ Transports::send / send_reporting / send_existing(kind, dest, bytes)
//!             ├─ UDP: try_send_to ──────────────────────────▶ kernel   (full: dropped, Err)
//!             └─ TCP: table[dest] (open, or connecting: a spawned task connects)
//!                  └─▶ Connection::send ─▶ kernel (try_write) | write queue ─▶ writer task
//!                                          (queue over its bytes: Err, connection closed)
//! ```
//!
//! TCP connections are indexed by the peer's address, so a response or a later request to a
//! peer that connected to us goes out on that same connection (§18.2.2, §18.1.1);
//! [`Transports::send_existing`] sends only on such a connection, never opening one. CRLFCRLF
//! keep-alive pings on a stream are answered with CRLF (RFC 5626 §3.5.1). A stream that cannot
//! be framed is answered 400 when its header section can be read, then closed.
//!
//! Metrics: `dialogd_tcp_connections` (gauge), `dialogd_tcp_connections_refused_total{reason,
//! direction}`, `dialogd_tcp_connections_closed_total{reason}`,
//! `dialogd_transport_send_dropped_total{transport, reason}`, `dialogd_sip_messages_in_total` and
//! `dialogd_sip_messages_out_total{transport}`, `dialogd_transport_dropped_total` (inbound).
//!
//! Main types: [`Transports`], [`Inbound`], [`TransportKind`], [`TransportConfig`],
//! [`TransportError`].

mod config;
mod connection;
mod error;
mod reader;
mod table;
mod tcp;
mod udp;
mod write_queue;
mod writer;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use config::{
    DEFAULT_MAX_CONNECTIONS, DEFAULT_TCP_CONN_QUEUE_BYTES, DEFAULT_TCP_CONNECT_TIMEOUT,
    DEFAULT_TCP_IDLE_TIMEOUT, DEFAULT_TCP_MAX_CONNECTIONS_PER_IP, DEFAULT_TCP_MESSAGE_TIMEOUT,
    DEFAULT_TCP_OUTBOUND_RESERVE, DEFAULT_TCP_SEND_TIMEOUT, TransportConfig,
};
pub use error::TransportError;

use tcp::TcpTransport;
use udp::UdpTransport;
use write_queue::OnFailure;

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

    /// Sends one message without waiting on the peer. UDP: one datagram. TCP: on the
    /// connection to `dest` (one the peer opened to us, one we opened, or one still
    /// connecting), else on a new one whose connect runs in the background; messages to one
    /// connection are written whole and in order.
    ///
    /// Ok: sent (UDP) or queued on the connection (TCP). A TCP failure after that is only
    /// counted; use [`Transports::send_reporting`] to hear of it.
    pub async fn send(
        &self,
        transport: TransportKind,
        dest: SocketAddr,
        data: Bytes,
    ) -> Result<(), TransportError> {
        self.dispatch(transport, dest, data, None, true)
    }

    /// Like [`Transports::send`], and a failure of this message after Ok was returned (TCP:
    /// connect failed or timed out, write failed or timed out, connection closed before it was
    /// written) calls `on_failure` exactly once, from a transport task; it must not block. An
    /// immediate failure is returned instead and `on_failure` is dropped uncalled, as it is
    /// for UDP, where Ok is final.
    pub async fn send_reporting(
        &self,
        transport: TransportKind,
        dest: SocketAddr,
        data: Bytes,
        on_failure: impl FnOnce(TransportError) + Send + 'static,
    ) -> Result<(), TransportError> {
        self.dispatch(transport, dest, data, Some(Box::new(on_failure)), true)
    }

    /// Like [`Transports::send`], but TCP only on a connection to `dest` already open (or
    /// connecting), never opening one ([`TransportError::NoConnection`] otherwise). For
    /// responses forwarded statelessly: a response goes back on the connection its request
    /// came in on (RFC 3261 §18.2.2), and a forged one must not make the node connect to a
    /// host of the sender's choice.
    pub async fn send_existing(
        &self,
        transport: TransportKind,
        dest: SocketAddr,
        data: Bytes,
    ) -> Result<(), TransportError> {
        self.dispatch(transport, dest, data, None, false)
    }

    fn dispatch(
        &self,
        transport: TransportKind,
        dest: SocketAddr,
        data: Bytes,
        on_failure: Option<OnFailure>,
        open: bool,
    ) -> Result<(), TransportError> {
        let result = if self.inner.cancel.is_cancelled() {
            Err(TransportError::Shutdown { peer: dest })
        } else {
            match transport {
                TransportKind::Udp => self.inner.udp.send(dest, &data),
                TransportKind::Tcp => self.inner.tcp.send(dest, data, on_failure, open),
            }
        };
        match &result {
            Ok(()) => {
                metrics::counter!("dialogd_sip_messages_out_total", "transport" => transport.label())
                    .increment(1);
            }
            Err(e) => {
                metrics::counter!(
                    "dialogd_transport_send_dropped_total",
                    "transport" => transport.label(),
                    "reason" => e.reason(),
                )
                .increment(1);
            }
        }
        result
    }

    /// Number of TCP connections in the table (open or still connecting).
    pub fn tcp_connection_count(&self) -> usize {
        self.inner.tcp.connection_count()
    }

    /// Stops accepting, closes every TCP connection and ends the receive tasks. Later sends
    /// fail with [`TransportError::Shutdown`].
    pub fn shutdown(&self) {
        self.inner.cancel.cancel();
    }
}

#[cfg(test)]
#[path = "tcp_tests.rs"]
mod tcp_tests;
