//! The TCP connection table: connections by peer address, and the admission rules that bound
//! it. Plain data, no I/O, so the rules are tested as tables.
//!
//! Connections are indexed by the peer's address, whether the peer opened them or we did, so
//! a response goes back on the connection its request came in on (RFC 3261 §18.2.2) and a
//! request to a peer reuses an open (or still connecting) connection before opening a new one
//! (§18.1.1). Admission:
//!
//! | connection | refused when                                          | `reason` label |
//! |------------|-------------------------------------------------------|----------------|
//! | opened     | `max_connections` are in the table                    | `limit`        |
//! | accepted   | `max_connections` are in the table                    | `limit`        |
//! | accepted   | only `tcp_outbound_reserve` slots are left            | `reserve`      |
//! | accepted   | `tcp_max_connections_per_ip` accepted from its IP     | `per_ip`       |
//!
//! The reserve keeps next hops reachable when inbound connections fill the table; the per-IP
//! cap keeps one host from taking it. An accepted connection replaces an older one from the
//! same address (the old one is stale: the peer reused its port). It must not open, read or
//! write sockets: [`super::tcp`] does.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use super::TransportConfig;
use super::connection::{CloseReason, Connection, Origin};

/// Why a connection was not let into the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    Limit,
    Reserve,
    PerIp,
}

impl Refusal {
    /// The `reason` label of `dialogd_tcp_connections_refused_total`.
    pub(super) fn label(self) -> &'static str {
        match self {
            Refusal::Limit => "limit",
            Refusal::Reserve => "reserve",
            Refusal::PerIp => "per_ip",
        }
    }
}

/// The connections of the TCP transport.
pub(super) struct ConnectionTable {
    max: usize,
    reserve: usize,
    per_ip: usize,
    by_peer: HashMap<SocketAddr, Arc<Connection>>,
    /// Accepted connections in the table, by source IP.
    accepted_from: HashMap<IpAddr, usize>,
}

impl ConnectionTable {
    pub(super) fn new(config: &TransportConfig) -> ConnectionTable {
        ConnectionTable {
            max: config.max_connections,
            reserve: config.tcp_outbound_reserve,
            per_ip: config.tcp_max_connections_per_ip,
            by_peer: HashMap::new(),
            accepted_from: HashMap::new(),
        }
    }

    /// Connections in the table (open or connecting).
    pub(super) fn len(&self) -> usize {
        self.by_peer.len()
    }

    /// The live connection to `peer`, if any.
    pub(super) fn get(&self, peer: SocketAddr) -> Option<&Arc<Connection>> {
        self.by_peer.get(&peer).filter(|c| !c.is_closed())
    }

    /// Adds a connection; refused by the limits above. An accepted connection replaces (and
    /// closes) an older one to the same address; an opened one is only added when the caller
    /// found no live connection to its peer.
    pub(super) fn insert(&mut self, conn: Arc<Connection>) -> Result<(), Refusal> {
        let replaced = self.by_peer.get(&conn.peer).map(|c| c.id);
        let len = self.len() - usize::from(replaced.is_some());
        if len >= self.max {
            return Err(Refusal::Limit);
        }
        if conn.origin == Origin::Accepted {
            if len >= self.max.saturating_sub(self.reserve) {
                return Err(Refusal::Reserve);
            }
            let ip = conn.peer.ip();
            let from_ip = self.accepted_from.get(&ip).copied().unwrap_or(0);
            let replaced_from_ip = self
                .by_peer
                .get(&conn.peer)
                .is_some_and(|c| c.origin == Origin::Accepted);
            if from_ip.saturating_sub(usize::from(replaced_from_ip)) >= self.per_ip {
                return Err(Refusal::PerIp);
            }
        }
        if let Some(old) = self.by_peer.remove(&conn.peer) {
            old.close(CloseReason::Replaced);
            self.forget(&old);
        }
        if conn.origin == Origin::Accepted {
            *self.accepted_from.entry(conn.peer.ip()).or_insert(0) += 1;
        }
        self.by_peer.insert(conn.peer, conn);
        Ok(())
    }

    /// Takes `conn` out of the table, if it is still the one there for its peer.
    pub(super) fn remove(&mut self, conn: &Connection) {
        if self
            .by_peer
            .get(&conn.peer)
            .is_some_and(|c| c.id == conn.id)
        {
            self.by_peer.remove(&conn.peer);
            self.forget(conn);
        }
    }

    fn forget(&mut self, conn: &Connection) {
        if conn.origin != Origin::Accepted {
            return;
        }
        let ip = conn.peer.ip();
        if let Some(n) = self.accepted_from.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                self.accepted_from.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
