//! Per-source flood control, as Kamailio's `pike` module gives it: a source that sends more
//! than `max_requests` requests in a `window` is blocked for `block_for`, and what it sends
//! meanwhile is dropped **silently** — answering a flood (even with a 503) would amplify it and
//! confirm the target to a spoofer.
//!
//! The proxy asks for every received message that is not a response ([`counts`]), before
//! parsing it, so a flood costs no parse:
//!
//! ```text
//!  transport ── bytes, source ──▶ counts(bytes)? ──▶ SharedFloodGuard::check(source.ip())
//!                                                         │ Pass     │ Blocked
//!                                                         ▼          ▼
//!                                                      parse …     drop (no answer)
//! ```
//!
//! It owns no socket and no timer. [`FloodGuard`] is the sans-IO core (time passed in; tests
//! step it by hand); [`SharedFloodGuard`] is the runtime's thread-safe handle that reads the
//! clock, counts the metrics and logs each block once.
//!
//! Counting unit: an IPv4 address or an IPv6 /64 ([`source`] says why). Memory is bounded by
//! `max_sources` however many addresses a spoofer uses ([`guard`], "Bounded memory").
//!
//! Main types: [`FloodConfig`], [`FloodGuard`], [`Verdict`], [`SharedFloodGuard`].

pub mod guard;
pub mod shared;
pub mod source;
mod table;

use std::time::{Duration, Instant};

use crate::policy::cidr::Cidr;

pub use guard::FloodGuard;
pub use shared::SharedFloodGuard;
pub use source::SourceKey;

/// Default `enabled`: on, as an edge proxy is reachable by anyone.
pub const DEFAULT_ENABLED: bool = true;
/// Default `window`, the sampling window (pike's `sampling_time_unit`). One second, so a
/// source flooding at several thousand requests/s gets at most one window's worth through
/// before its block.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(1);
/// Default `max_requests` per window per source: 1000 requests/s. A phone sends a handful of
/// requests a minute and a busy PBX far less than this; every request counts (a call is at
/// least INVITE, ACK and BYE), so a trunk carrying more than ~300 calls/s from one address
/// must be listed in `exempt`, as Kamailio operators whitelist their trunks in pike.
pub const DEFAULT_MAX_REQUESTS: u32 = 1000;
/// Default `block_for`: long enough that a flood is mostly dropped, short enough that a
/// misbehaving but legitimate source comes back on its own.
pub const DEFAULT_BLOCK_FOR: Duration = Duration::from_secs(30);
/// Default `max_sources`: about 10 MB of counters, far more distinct sources than one node
/// sees in a window outside a spoofed flood.
pub const DEFAULT_MAX_SOURCES: usize = 100_000;

/// Longest `window` accepted.
pub const MAX_WINDOW: Duration = Duration::from_secs(3600);
/// Longest `block_for` accepted.
pub const MAX_BLOCK_FOR: Duration = Duration::from_secs(86_400);
/// Largest `max_sources` accepted.
pub const MAX_MAX_SOURCES: usize = 10_000_000;

/// Settings of the flood guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloodConfig {
    /// Off: every request passes.
    pub enabled: bool,
    /// Sampling window.
    pub window: Duration,
    /// Requests allowed per window per source; the next one starts a block.
    pub max_requests: u32,
    /// How long a source stays blocked.
    pub block_for: Duration,
    /// Sources never counted (trunks, other cluster nodes, monitoring).
    pub exempt: Vec<Cidr>,
    /// Most sources tracked at once.
    pub max_sources: usize,
}

impl Default for FloodConfig {
    fn default() -> FloodConfig {
        FloodConfig {
            enabled: DEFAULT_ENABLED,
            window: DEFAULT_WINDOW,
            max_requests: DEFAULT_MAX_REQUESTS,
            block_for: DEFAULT_BLOCK_FOR,
            exempt: Vec::new(),
            max_sources: DEFAULT_MAX_SOURCES,
        }
    }
}

impl FloodConfig {
    /// Checks the ranges; the error names the key (relative to the flood section) and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.window.is_zero() || self.window > MAX_WINDOW {
            return Err((
                "window",
                format!("{:?} is outside 1ms..={MAX_WINDOW:?}", self.window),
            ));
        }
        if self.max_requests == 0 {
            return Err(("max_requests", "must be at least 1".into()));
        }
        if self.block_for.is_zero() || self.block_for > MAX_BLOCK_FOR {
            return Err((
                "block_for",
                format!("{:?} is outside 1ms..={MAX_BLOCK_FOR:?}", self.block_for),
            ));
        }
        if !(1..=MAX_MAX_SOURCES).contains(&self.max_sources) {
            return Err((
                "max_sources",
                format!("{} is outside 1..={MAX_MAX_SOURCES}", self.max_sources),
            ));
        }
        Ok(())
    }
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Handle it.
    Pass,
    /// Drop it without an answer.
    Blocked {
        /// True for the request that started the block (exactly once per block): log then.
        newly: bool,
        /// The source as counted (address, or IPv6 /64).
        source: SourceKey,
        /// Requests counted in the window that started the block.
        count: u32,
        /// When the block ends.
        until: Instant,
    },
}

impl Verdict {
    /// True for [`Verdict::Blocked`].
    pub fn is_blocked(&self) -> bool {
        matches!(self, Verdict::Blocked { .. })
    }
}

/// True if a received message counts towards its source's limit: anything but a response.
///
/// A response starts with its Status-Line, `SIP/2.0 ` (RFC 3261 §7.2); the SIP-Version is
/// case-insensitive (§7.1: "The SIP-Version string is case-insensitive, but implementations
/// MUST send upper-case"). Empty lines before the start line are skipped (§7.5). Responses are
/// not counted because their rate follows the requests this proxy sends; one that matches no
/// transaction is dropped cheaply after parsing anyway. Keep-alive CRLFs (RFC 5626 §3.5.1)
/// count: a legitimate client sends one every few tens of seconds.
pub fn counts(data: &[u8]) -> bool {
    const VERSION: &[u8] = b"SIP/2.0 ";
    let mut rest = data;
    while let [b'\r', b'\n', tail @ ..] = rest {
        rest = tail;
    }
    !rest
        .get(..VERSION.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(VERSION))
}

#[cfg(test)]
mod guard_tests;
