//! The attackers of a phase, with the benchmark's figures, each from its own loopback address
//! (the clean SIPp traffic and dialogd are on 127.0.0.1):
//!
//! | attack | from | figure |
//! |---|---|---|
//! | garbage | 127.0.0.2 | [`GARBAGE_RATE`] datagrams/s |
//! | invite-flood | 127.0.0.3 | [`FLOOD_RATE`] INVITEs/s, fresh Call-IDs, to [`DEFAULT_FLOOD_URI`] unless told |
//! | slow-tcp | 127.0.0.4, or 127.0.0.10–29 spread | [`SLOW_CONNECTIONS`] connections, a byte every [`SLOW_INTERVAL`] |
//! | forged | 127.0.0.5 | [`FORGED_RATE`] responses/s naming `TCP` [`super::BLACKHOLE`]`:5060` |
//!
//! Must not outlive the phase: every handle stops its threads when dropped.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, Result};
use dialogd_test_support::attack::{
    ForgedResponses, ForgedResponsesHandle, Garbage, GarbageHandle, InviteFlood, InviteFloodHandle,
    SlowTcp, SlowTcpHandle,
};

use super::{Attack, BLACKHOLE, Options};

pub const GARBAGE_RATE: f64 = 5_000.0;
pub const FLOOD_RATE: f64 = 2_000.0;
/// Nothing listens there: every flooded INVITE's branch waits for timer B (RFC 3261 §17.1.1.2).
pub const DEFAULT_FLOOD_URI: &str = "sip:flood@127.0.0.98:5060";
pub const SLOW_CONNECTIONS: usize = 5_000;
pub const SLOW_INTERVAL: Duration = Duration::from_secs(5);
/// Connects per second while the slow connections open (all open within 2 s).
const SLOW_CONNECT_RATE: f64 = 2_500.0;
/// Source addresses of the spread slow TCP attack.
const SLOW_SPREAD: std::ops::RangeInclusive<u8> = 10..=29;
pub const FORGED_RATE: f64 = 1.0;

fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// The running attacks of a phase.
#[derive(Debug, Default)]
pub struct Attackers {
    garbage: Option<GarbageHandle>,
    flood: Option<InviteFloodHandle>,
    slow: Option<SlowTcpHandle>,
    forged: Option<ForgedResponsesHandle>,
}

impl Attackers {
    /// Starts `attacks` against the node at `node`.
    pub fn start(attacks: &[Attack], node: SocketAddr, options: &Options) -> Result<Attackers> {
        let mut out = Attackers::default();
        for attack in attacks {
            match attack {
                Attack::Garbage => {
                    out.garbage = Some(
                        Garbage::new(node)
                            .source(loopback(2))
                            .rate(GARBAGE_RATE)
                            .start()
                            .context("garbage attack")?,
                    );
                }
                Attack::InviteFlood => {
                    out.flood = Some(
                        InviteFlood::new(node, &options.flood_uri)
                            .source(SocketAddr::new(loopback(3), 0))
                            .rate(FLOOD_RATE)
                            .start()
                            .context("INVITE flood")?,
                    );
                }
                Attack::SlowTcp => {
                    let sources = if options.spread_slow_tcp {
                        SLOW_SPREAD.map(loopback).collect()
                    } else {
                        vec![loopback(4)]
                    };
                    out.slow = Some(
                        SlowTcp::new(node, SLOW_CONNECTIONS)
                            .sources(sources)
                            .interval(SLOW_INTERVAL)
                            .connect_rate(SLOW_CONNECT_RATE)
                            .start()
                            .context("slow TCP attack")?,
                    );
                }
                Attack::Forged => {
                    out.forged = Some(
                        ForgedResponses::new(node, &format!("TCP {BLACKHOLE}:5060"))
                            .source(loopback(5))
                            .rate(FORGED_RATE)
                            .start()
                            .context("forged responses")?,
                    );
                }
            }
        }
        Ok(out)
    }

    /// Slow TCP connections open now, if that attack runs.
    pub fn slow_open_now(&self) -> Option<u64> {
        self.slow.as_ref().map(SlowTcpHandle::open_now)
    }

    /// Stops every attack; one line per attack saying what it did.
    pub fn stop(self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(g) = self.garbage {
            let c = g.stop();
            lines.push(format!(
                "garbage: {} datagrams ({} random, {} truncated, {} corrupted), {} send errors",
                c.sent, c.random_bytes, c.truncated, c.corrupted, c.send_errors
            ));
        }
        if let Some(f) = self.flood {
            let c = f.stop();
            let answers: Vec<String> = c
                .responses
                .iter()
                .map(|(status, n)| format!("{status}×{n}"))
                .collect();
            lines.push(format!(
                "invite-flood: {} INVITEs, {} send errors; answers {}",
                c.sent,
                c.send_errors,
                if answers.is_empty() {
                    "none".to_string()
                } else {
                    answers.join(" ")
                }
            ));
        }
        if let Some(s) = self.slow {
            let c = s.stop();
            lines.push(format!(
                "slow-tcp: {} connected of {} tried, {} closed by dialogd, {} still open at the \
                 end, {} bytes dripped, {} blocked writes",
                c.connected,
                c.attempted,
                c.closed_by_target,
                c.open_at_stop,
                c.bytes_sent,
                c.writes_blocked
            ));
        }
        if let Some(f) = self.forged {
            let c = f.stop();
            lines.push(format!(
                "forged: {} responses, {} send errors",
                c.sent, c.send_errors
            ));
        }
        lines
    }
}
