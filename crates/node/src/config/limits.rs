//! The sections that bound what a node takes on from the network: `[limits]` (transactions,
//! dialogs, pending admissions, message size and header counts), `[tcp]` (connections,
//! timeouts, write queues), `[flood]` (per-source request rate), `[dns]` (the resolver) and
//! `[proxy]` (where it relays: no open relay). Every default is the one `deploy/dialogd.example.toml` shows, and
//! each says what it protects against in docs/reliability.md ("Hostile traffic").

use std::time::Duration;

use dialogd_proxy::dns::DnsConfig;
use dialogd_proxy::flood::FloodConfig;
use dialogd_proxy::limits::{self, Limits};
use dialogd_proxy::message_path::relay::{DEFAULT_RELAY_ALLOW, RelayPolicy};
use dialogd_proxy::policy::cidr::Cidr;
use dialogd_proxy::transport::TransportConfig;
use dialogd_sip::ParseLimits;
use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::config::Config;

/// `[limits]`: past a bound, new requests get 503 + Retry-After (or, for a message that
/// cannot be read, 400/513) and nothing is kept for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Live transactions started by received requests (in-dialog requests get 1/8 more).
    pub max_transactions: usize,
    /// Live dialogs of this node, early and confirmed.
    pub max_dialogs: usize,
    /// Initial requests waiting for routing and their admission commit.
    pub max_pending_admissions: usize,
    /// Largest message read, in bytes (at most 65535, the largest UDP datagram); larger ones
    /// are answered 513.
    pub max_message_size: usize,
    /// Most header fields in a message; more: 513, and the rest is not read.
    pub max_headers: usize,
    /// Longest header line in bytes, folded continuations included; longer: 513.
    pub max_header_line: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_transactions: limits::DEFAULT_MAX_TRANSACTIONS,
            max_dialogs: limits::DEFAULT_MAX_DIALOGS,
            max_pending_admissions: limits::DEFAULT_MAX_PENDING_ADMISSIONS,
            max_message_size: dialogd_sip::limits::MAX_MESSAGE_SIZE,
            max_headers: dialogd_sip::limits::MAX_HEADERS,
            max_header_line: dialogd_sip::limits::MAX_HEADER_LINE,
        }
    }
}

impl LimitsConfig {
    /// The proxy's bounds.
    pub fn limits(&self) -> Limits {
        Limits {
            max_transactions: self.max_transactions,
            max_dialogs: self.max_dialogs,
            max_pending_admissions: self.max_pending_admissions,
        }
    }

    /// The indexer's bounds.
    pub fn parse(&self) -> ParseLimits {
        ParseLimits {
            max_headers: self.max_headers,
            max_header_line: self.max_header_line,
            max_message: self.max_message_size,
        }
    }
}

/// `[tcp]`: SIP over TCP (Kamailio's tcp_max_connections, tcp_connection_lifetime,
/// tcp_msg_read_timeout, tcp_send_timeout, tcp_conn_wq_max).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TcpConfig {
    /// Most connections open at once, accepted and opened.
    pub max_connections: usize,
    /// Most accepted connections from one source address.
    pub max_connections_per_ip: usize,
    /// Slots of `max_connections` that accepted connections cannot take, so next hops stay
    /// reachable when inbound connections fill the table.
    pub outbound_reserve: usize,
    /// How long opening a connection to a next hop may take.
    pub connect_timeout_ms: u64,
    /// How long one write to a peer that stops reading may block before the connection is
    /// closed.
    pub send_timeout_ms: u64,
    /// A message must arrive whole within this of its first byte (and a new connection's first
    /// message within this of the accept).
    pub message_timeout_ms: u64,
    /// A connection with no whole message read and nothing written for this long is closed.
    pub idle_timeout_secs: u64,
    /// Bytes queued for one connection; past it the connection is closed.
    pub queue_bytes: usize,
}

impl Default for TcpConfig {
    fn default() -> Self {
        let d = TransportConfig::default();
        TcpConfig {
            max_connections: d.max_connections,
            max_connections_per_ip: d.tcp_max_connections_per_ip,
            outbound_reserve: d.tcp_outbound_reserve,
            connect_timeout_ms: millis(d.tcp_connect_timeout),
            send_timeout_ms: millis(d.tcp_send_timeout),
            message_timeout_ms: millis(d.tcp_message_timeout),
            idle_timeout_secs: d.tcp_idle_timeout.as_secs(),
            queue_bytes: d.tcp_conn_queue_bytes,
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl TcpConfig {
    /// The transports' settings.
    pub fn transport(&self) -> TransportConfig {
        TransportConfig {
            max_connections: self.max_connections,
            tcp_max_connections_per_ip: self.max_connections_per_ip,
            tcp_outbound_reserve: self.outbound_reserve,
            tcp_connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            tcp_send_timeout: Duration::from_millis(self.send_timeout_ms),
            tcp_message_timeout: Duration::from_millis(self.message_timeout_ms),
            tcp_idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            tcp_conn_queue_bytes: self.queue_bytes,
        }
    }
}

/// Checks one value against `min`.
fn at_least(key: &str, value: u64, min: u64, unit: &str) -> Result<(), ConfigError> {
    if value < min {
        return Err(ConfigError::invalid(
            key,
            format!("{value} is less than {min}{unit}"),
        ));
    }
    Ok(())
}

impl Config {
    pub(crate) fn check_limits(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        for (key, v) in [
            ("limits.max_transactions", l.max_transactions),
            ("limits.max_dialogs", l.max_dialogs),
            ("limits.max_pending_admissions", l.max_pending_admissions),
        ] {
            at_least(key, v as u64, 1, "")?;
        }
        let max = dialogd_sip::limits::MAX_MESSAGE_SIZE;
        if !(1024..=max).contains(&l.max_message_size) {
            return Err(ConfigError::invalid(
                "limits.max_message_size",
                format!("{} is out of range 1024..={max}", l.max_message_size),
            ));
        }
        // A request's mandatory headers alone are six (RFC 3261 §8.1.1).
        at_least("limits.max_headers", l.max_headers as u64, 16, "")?;
        at_least(
            "limits.max_header_line",
            l.max_header_line as u64,
            256,
            " bytes",
        )?;
        let t = &self.tcp;
        at_least("tcp.max_connections", t.max_connections as u64, 1, "")?;
        at_least(
            "tcp.max_connections_per_ip",
            t.max_connections_per_ip as u64,
            1,
            "",
        )?;
        if t.outbound_reserve >= t.max_connections {
            return Err(ConfigError::invalid(
                "tcp.outbound_reserve",
                format!(
                    "{} leaves no connection for peers: it must be less than tcp.max_connections ({})",
                    t.outbound_reserve, t.max_connections
                ),
            ));
        }
        at_least("tcp.connect_timeout_ms", t.connect_timeout_ms, 1, " ms")?;
        at_least("tcp.send_timeout_ms", t.send_timeout_ms, 1, " ms")?;
        at_least("tcp.message_timeout_ms", t.message_timeout_ms, 1, " ms")?;
        at_least("tcp.idle_timeout_secs", t.idle_timeout_secs, 1, " s")?;
        // One whole message must fit in a connection's queue.
        at_least(
            "tcp.queue_bytes",
            t.queue_bytes as u64,
            dialogd_sip::message::MAX_MESSAGE_SIZE as u64,
            " bytes (one largest message)",
        )?;
        self.flood.flood()?;
        self.dns.dns()?;
        self.proxy.relay()?;
        Ok(())
    }
}

/// `[flood]`: per-source flood control of received requests (Kamailio's pike): a source
/// address sending more than `max_requests` requests within `window_ms` is blocked for
/// `block_secs`; its packets are dropped unanswered. Responses are not counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FloodSection {
    /// Off: every request passes.
    pub enabled: bool,
    /// Sampling window in milliseconds.
    pub window_ms: u64,
    /// Requests allowed per window from one address (IPv6: one /64).
    pub max_requests: u32,
    /// How long a source stays blocked, in seconds.
    pub block_secs: u64,
    /// Sources never counted: trunks and PBXs that send more, the other cluster nodes,
    /// monitoring (addresses or CIDRs, e.g. "192.0.2.0/24").
    pub exempt: Vec<String>,
    /// Most sources tracked at once (the table's memory bound under spoofed floods).
    pub max_sources: usize,
}

impl Default for FloodSection {
    fn default() -> Self {
        let d = FloodConfig::default();
        FloodSection {
            enabled: d.enabled,
            window_ms: millis(d.window),
            max_requests: d.max_requests,
            block_secs: d.block_for.as_secs(),
            exempt: Vec::new(),
            max_sources: d.max_sources,
        }
    }
}

impl FloodSection {
    /// The flood guard's settings; an error names the key.
    pub fn flood(&self) -> Result<FloodConfig, ConfigError> {
        let exempt = self
            .exempt
            .iter()
            .enumerate()
            .map(|(i, c)| {
                Cidr::parse(c)
                    .map_err(|e| ConfigError::invalid(format!("flood.exempt[{i}]"), e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let config = FloodConfig {
            enabled: self.enabled,
            window: Duration::from_millis(self.window_ms),
            max_requests: self.max_requests,
            block_for: Duration::from_secs(self.block_secs),
            exempt,
            max_sources: self.max_sources,
        };
        config.validate().map_err(|(key, reason)| {
            let key = match key {
                "window" => "window_ms",
                "block_for" => "block_secs",
                other => other,
            };
            ConfigError::invalid(format!("flood.{key}"), reason)
        })?;
        Ok(config)
    }
}

/// `[dns]`: the resolver of next-hop names (cached, bounded in time and concurrency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsSection {
    /// Most names cached.
    pub max_entries: usize,
    /// Most lookups in flight; past it a lookup fails at once (503).
    pub max_concurrent: usize,
    /// Longest one lookup may take, in milliseconds.
    pub timeout_ms: u64,
    /// Shortest caching of any answer, in seconds.
    pub min_ttl_secs: u64,
    /// Longest caching of an address, in seconds.
    pub max_ttl_secs: u64,
    /// Longest caching of "no such name", in seconds.
    pub negative_ttl_secs: u64,
}

impl Default for DnsSection {
    fn default() -> Self {
        let d = DnsConfig::default();
        DnsSection {
            max_entries: d.max_entries,
            max_concurrent: d.max_concurrent,
            timeout_ms: millis(d.timeout),
            min_ttl_secs: d.min_ttl.as_secs(),
            max_ttl_secs: d.max_ttl.as_secs(),
            negative_ttl_secs: d.negative_ttl.as_secs(),
        }
    }
}

impl DnsSection {
    /// The resolver's settings; an error names the key.
    pub fn dns(&self) -> Result<DnsConfig, ConfigError> {
        let config = DnsConfig {
            max_entries: self.max_entries,
            max_concurrent: self.max_concurrent,
            timeout: Duration::from_millis(self.timeout_ms),
            min_ttl: Duration::from_secs(self.min_ttl_secs),
            max_ttl: Duration::from_secs(self.max_ttl_secs),
            negative_ttl: Duration::from_secs(self.negative_ttl_secs),
        };
        config.validate().map_err(|(key, reason)| {
            let key = match key {
                "timeout" => "timeout_ms".to_owned(),
                "max_entries" | "max_concurrent" => key.to_owned(),
                other => format!("{other}_secs"),
            };
            ConfigError::invalid(format!("dns.{key}"), reason)
        })?;
        Ok(config)
    }
}

/// `[proxy]`: where the proxy relays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxySection {
    /// Destinations an initial request (or a call-control target) may be relayed to without a
    /// rule's `next_hop`: IP addresses, CIDRs (matched against the resolved address) or host
    /// names (matched against the URI's host). Anything else: 403 "Relaying Forbidden".
    pub relay_allow: Vec<String>,
}

impl Default for ProxySection {
    fn default() -> Self {
        ProxySection {
            relay_allow: DEFAULT_RELAY_ALLOW
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }
}

impl ProxySection {
    /// The relay policy; an error names the entry.
    pub fn relay(&self) -> Result<RelayPolicy, ConfigError> {
        RelayPolicy::parse(&self.relay_allow).map_err(|e| {
            let i = self
                .relay_allow
                .iter()
                .position(|s| s.trim() == e.entry)
                .unwrap_or(0);
            ConfigError::invalid(format!("proxy.relay_allow[{i}]"), e.to_string())
        })
    }
}
