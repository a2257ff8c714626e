//! The tunables of the transports, each with its default as a named constant and what it
//! protects against. The proxy sits where anyone can send it packets, so every piece of
//! per-peer state (a connection, its queue, a message in progress) has a bound here.
//!
//! Defaults follow Kamailio's core TCP settings where one exists (`tcp_connect_timeout`,
//! `tcp_send_timeout`, `tcp_msg_read_timeout`, `tcp_connection_lifetime`, `tcp_max_connections`).
//! Values are checked where they are configured: the node's `[tcp]` section names the key and
//! the file's line of a bad one.

use std::time::Duration;

/// Default for [`TransportConfig::tcp_connect_timeout`].
pub const DEFAULT_TCP_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default for [`TransportConfig::tcp_idle_timeout`].
pub const DEFAULT_TCP_IDLE_TIMEOUT: Duration = Duration::from_secs(600);
/// Default for [`TransportConfig::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Default for [`TransportConfig::tcp_outbound_reserve`].
pub const DEFAULT_TCP_OUTBOUND_RESERVE: usize = 256;
/// Default for [`TransportConfig::tcp_max_connections_per_ip`].
pub const DEFAULT_TCP_MAX_CONNECTIONS_PER_IP: usize = 64;
/// Default for [`TransportConfig::tcp_send_timeout`] (Kamailio's `tcp_send_timeout`).
pub const DEFAULT_TCP_SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Default for [`TransportConfig::tcp_conn_queue_bytes`]: eight largest messages (Kamailio's
/// `tcp_conn_wq_max` is 32 KiB, half of one largest message).
pub const DEFAULT_TCP_CONN_QUEUE_BYTES: usize = 256 * 1024;
/// Default for [`TransportConfig::tcp_message_timeout`] (Kamailio's `tcp_msg_read_timeout`).
pub const DEFAULT_TCP_MESSAGE_TIMEOUT: Duration = Duration::from_secs(20);

/// Tunables of the transports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    /// How long opening a TCP connection to a new peer may take. Bounds how long messages
    /// queued for a peer that does not answer SYNs (a blackhole) are held before they fail.
    pub tcp_connect_timeout: Duration,
    /// A TCP connection with no complete message or keep-alive ping read and no successful
    /// write for this long is closed. Bytes of an unfinished message do not count, so a peer
    /// cannot keep a connection by trickling bytes.
    pub tcp_idle_timeout: Duration,
    /// Most TCP connections open at once (accepted, opened and still connecting); more are
    /// refused. Bounds sockets and memory.
    pub max_connections: usize,
    /// Slots of `max_connections` that accepted connections may not take, so that when
    /// inbound connections fill the table the proxy can still open connections to next hops.
    pub tcp_outbound_reserve: usize,
    /// Most accepted connections from one source IP; more are closed at accept. Keeps one host
    /// from taking the whole table.
    pub tcp_max_connections_per_ip: usize,
    /// Longest one queued message may take to be handed to the kernel once its turn comes. A
    /// peer that stops reading is closed after it, instead of holding its queue forever.
    pub tcp_send_timeout: Duration,
    /// Most bytes waiting to be written on one connection. A send that would pass it fails at
    /// once and the connection is closed: a peer that leaves this much unread is dead or
    /// hostile, and memory per connection stays bounded.
    pub tcp_conn_queue_bytes: usize,
    /// Once the first byte of a message has arrived, the whole message must arrive within
    /// this; an accepted connection must also deliver its first message (or a CRLFCRLF ping)
    /// within it. Else the connection is closed (slowloris, idle connect floods).
    pub tcp_message_timeout: Duration,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            tcp_connect_timeout: DEFAULT_TCP_CONNECT_TIMEOUT,
            tcp_idle_timeout: DEFAULT_TCP_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            tcp_outbound_reserve: DEFAULT_TCP_OUTBOUND_RESERVE,
            tcp_max_connections_per_ip: DEFAULT_TCP_MAX_CONNECTIONS_PER_IP,
            tcp_send_timeout: DEFAULT_TCP_SEND_TIMEOUT,
            tcp_conn_queue_bytes: DEFAULT_TCP_CONN_QUEUE_BYTES,
            tcp_message_timeout: DEFAULT_TCP_MESSAGE_TIMEOUT,
        }
    }
}
