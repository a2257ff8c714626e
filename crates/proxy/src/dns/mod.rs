//! Host name resolution for routing (RFC 3263 §4.2 step "A/AAAA"; NAPTR and SRV are not looked
//! up yet), hardened for a proxy whose request-URIs and Routes are written by anyone.
//!
//! `tokio::net::lookup_host` runs getaddrinfo on tokio's blocking pool: no timeout, no cache,
//! up to 512 threads parked on a slow server by names an attacker chooses. [`Resolver`]
//! instead asks DNS itself (hickory-resolver: `/etc/resolv.conf` and `/etc/hosts`) and bounds
//! every dimension:
//!
//! ```text
//!  lookup(host, port)
//!    ├─ IP literal ─────────────────────────────▶ answer, no query
//!    ├─ cached (positive or negative) ──────────▶ answer              result="hit" | "negative"
//!    ├─ same name already being looked up ──────▶ wait for that query
//!    ├─ max_concurrent queries running ─────────▶ Busy, at once       result="busy"
//!    └─ query (at most `timeout`) ─▶ cache it ──▶ answer              result="miss" | "timeout" | "error"
//! ```
//!
//! - Positive answers are cached for their TTL clamped to `[min_ttl, max_ttl]`; negative
//!   ones (NXDOMAIN, no address) for the zone's negative TTL clamped to `[min_ttl,
//!   negative_ttl]`. Timeouts and server failures are not cached.
//! - The cache holds at most `max_entries` names, the oldest giving way ([`cache`]).
//! - A lookup never waits in a queue: past `max_concurrent` queries in flight it fails with
//!   [`DnsError::Busy`], which the caller answers like an overload (503).
//!
//! Metric: `dialogd_dns_lookups_total{result}`, once per [`Resolver::lookup`] of a name:
//! `hit` and `negative` were answered from the cache; `miss` went to DNS (or joined a query
//! in flight) and got an answer, addresses or "does not exist"; `timeout`, `busy`, `error`
//! failed.
//!
//! Main types: [`DnsConfig`], [`Resolver`], [`DnsError`], [`DnsCache`].

pub mod cache;
pub mod resolver;

use std::time::Duration;

pub use cache::{Answer, DnsCache};
pub use resolver::Resolver;

/// Default `max_entries`: names cached at once (a few MB at most).
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;
/// Default `max_concurrent`: queries in flight at once. A proxy routes to a handful of
/// next hops; dozens of distinct uncached names at the same moment is an attack or a broken
/// DNS server, and failing fast then protects both the proxy and the server.
pub const DEFAULT_MAX_CONCURRENT: usize = 32;
/// Default `timeout` of one lookup, retries included: well under the 32 s of Timer B
/// (RFC 3261 §17.1.1.2), so the caller still has time to answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default `min_ttl`: the shortest caching of any answer, so a zero TTL cannot turn every
/// request into a query.
pub const DEFAULT_MIN_TTL: Duration = Duration::from_secs(5);
/// Default `max_ttl`: the longest caching of a positive answer, so a changed record is seen
/// within the hour.
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(3600);
/// Default `negative_ttl`: the longest caching of "does not exist" (RFC 2308 §5 leaves the
/// bound to the resolver; a short one lets a newly added name work soon).
pub const DEFAULT_NEGATIVE_TTL: Duration = Duration::from_secs(30);

/// Largest `max_entries` accepted.
pub const MAX_MAX_ENTRIES: usize = 10_000_000;
/// Largest `max_concurrent` accepted.
pub const MAX_MAX_CONCURRENT: usize = 4096;
/// Longest `timeout` accepted (Timer B, RFC 3261 §17.1.1.2, with the default T1).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(32);

/// Settings of the [`Resolver`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsConfig {
    /// Most names cached.
    pub max_entries: usize,
    /// Most queries in flight; past it lookups fail with [`DnsError::Busy`].
    pub max_concurrent: usize,
    /// Longest a lookup may take.
    pub timeout: Duration,
    /// Shortest caching of an answer.
    pub min_ttl: Duration,
    /// Longest caching of a positive answer.
    pub max_ttl: Duration,
    /// Longest caching of a negative answer (and its caching when the zone gives none).
    pub negative_ttl: Duration,
}

impl Default for DnsConfig {
    fn default() -> DnsConfig {
        DnsConfig {
            max_entries: DEFAULT_MAX_ENTRIES,
            max_concurrent: DEFAULT_MAX_CONCURRENT,
            timeout: DEFAULT_TIMEOUT,
            min_ttl: DEFAULT_MIN_TTL,
            max_ttl: DEFAULT_MAX_TTL,
            negative_ttl: DEFAULT_NEGATIVE_TTL,
        }
    }
}

impl DnsConfig {
    /// Checks the ranges; the error names the key (relative to the DNS section) and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(1..=MAX_MAX_ENTRIES).contains(&self.max_entries) {
            return Err((
                "max_entries",
                format!("{} is outside 1..={MAX_MAX_ENTRIES}", self.max_entries),
            ));
        }
        if !(1..=MAX_MAX_CONCURRENT).contains(&self.max_concurrent) {
            return Err((
                "max_concurrent",
                format!(
                    "{} is outside 1..={MAX_MAX_CONCURRENT}",
                    self.max_concurrent
                ),
            ));
        }
        if self.timeout.is_zero() || self.timeout > MAX_TIMEOUT {
            return Err((
                "timeout",
                format!("{:?} is outside 1ms..={MAX_TIMEOUT:?}", self.timeout),
            ));
        }
        if self.max_ttl < self.min_ttl {
            return Err((
                "max_ttl",
                format!("{:?} is less than min_ttl {:?}", self.max_ttl, self.min_ttl),
            ));
        }
        if self.negative_ttl < self.min_ttl {
            return Err((
                "negative_ttl",
                format!(
                    "{:?} is less than min_ttl {:?}",
                    self.negative_ttl, self.min_ttl
                ),
            ));
        }
        Ok(())
    }
}

/// Why a host could not be resolved. Each carries the host name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// The name does not exist or has no address (a 604-like answer, or 404 for a next hop).
    #[error("host {0:?} has no address")]
    NotFound(String),
    /// No answer within the timeout (503, or 408 like an unanswered hop).
    #[error("lookup of {0:?} timed out")]
    Timeout(String),
    /// Too many lookups in flight; this one was not attempted (503).
    #[error("too many DNS lookups in flight; {0:?} not looked up")]
    Busy(String),
    /// Not a host name (bad characters or length); nothing was looked up.
    #[error("invalid host name {0:?}")]
    InvalidName(String),
    /// The server failed (SERVFAIL, REFUSED) or the query could not be sent.
    #[error("lookup of {host:?} failed: {reason}")]
    Other { host: String, reason: String },
}

#[cfg(test)]
mod resolver_tests;
