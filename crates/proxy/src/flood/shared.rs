//! [`SharedFloodGuard`]: the runtime's handle on the [`FloodGuard`], shared by the UDP receive
//! and TCP read tasks (`Arc<SharedFloodGuard>`). It reads the clock, holds the guard behind a
//! `std::sync::Mutex` (a check is O(1) and never awaits, so a blocking lock is right), and does
//! what the sans-IO core leaves out:
//!
//! - metrics: `dialogd_flood_blocked_total` (requests dropped), `dialogd_flood_blocks_total`
//!   (blocks started), `dialogd_flood_sources_evicted_total` (live sources pushed out of a full
//!   table) and the gauge `dialogd_flood_sources_blocked`;
//! - one `warn!` per block start, with the source, the count and the block duration.
//!
//! Disabled guards and exempt sources are answered before the lock is taken, so a trunk's
//! traffic never waits for it.

use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::{FloodConfig, FloodGuard, Verdict};
use crate::policy::cidr::Cidr;

/// Thread-safe [`FloodGuard`] with metrics and logging.
#[derive(Debug)]
pub struct SharedFloodGuard {
    enabled: bool,
    exempt: Vec<Cidr>,
    guard: Mutex<FloodGuard>,
}

impl SharedFloodGuard {
    /// A guard with `config` (checked by the caller with [`FloodConfig::validate`]).
    pub fn new(config: FloodConfig) -> SharedFloodGuard {
        SharedFloodGuard {
            enabled: config.enabled,
            exempt: config.exempt.clone(),
            guard: Mutex::new(FloodGuard::new(config)),
        }
    }

    /// Counts one request from `source`, now.
    pub fn check(&self, source: IpAddr) -> Verdict {
        if !self.enabled || self.exempt.iter().any(|c| c.contains(source)) {
            return Verdict::Pass;
        }
        self.check_at(source, crate::clock::now())
    }

    /// [`Self::check`] at a given time (tests, or a caller that already read the clock).
    pub fn check_at(&self, source: IpAddr, now: Instant) -> Verdict {
        let (verdict, blocked_before, blocked_after, evicted) = {
            let mut guard = self.lock();
            let blocked_before = guard.blocked();
            let evicted_before = guard.evicted();
            let verdict = guard.check(source, now);
            (
                verdict,
                blocked_before,
                guard.blocked(),
                guard.evicted() - evicted_before,
            )
        };
        if evicted > 0 {
            metrics::counter!("dialogd_flood_sources_evicted_total").increment(evicted);
        }
        if blocked_after != blocked_before {
            metrics::gauge!("dialogd_flood_sources_blocked").set(blocked_after as f64);
        }
        if let Verdict::Blocked {
            newly,
            source,
            count,
            until,
        } = verdict
        {
            metrics::counter!("dialogd_flood_blocked_total").increment(1);
            if newly {
                metrics::counter!("dialogd_flood_blocks_total").increment(1);
                let block_for = until.saturating_duration_since(now);
                tracing::warn!(
                    %source,
                    count,
                    block_for_secs = block_for.as_secs_f64(),
                    "flood: source sent more requests than allowed; its requests are dropped"
                );
            }
        }
        verdict
    }

    /// Forgets ended blocks and idle sources; a runtime timer may call it (every second, say)
    /// so that the blocked-sources gauge falls while no request arrives.
    pub fn sweep(&self) {
        let blocked = {
            let mut guard = self.lock();
            guard.sweep(crate::clock::now());
            guard.blocked()
        };
        metrics::gauge!("dialogd_flood_sources_blocked").set(blocked as f64);
    }

    /// Sources tracked and sources blocked now.
    pub fn stats(&self) -> (usize, usize) {
        let guard = self.lock();
        (guard.sources(), guard.blocked())
    }

    /// A check panics only on a bug; the guard is then used as it is rather than making every
    /// later packet panic on the poisoned lock.
    fn lock(&self) -> MutexGuard<'_, FloodGuard> {
        self.guard.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
