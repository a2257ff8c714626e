//! [`FloodGuard`]: the sans-IO flood detector. One call per received request,
//! `check(source, now) -> Verdict`; it never reads a clock, never logs, never counts metrics
//! (the runtime wrapper [`super::SharedFloodGuard`] does).
//!
//! ```text
//!  check(ip, now) ──▶ exempt? ─yes─▶ Pass
//!                      │no
//!                      ▼
//!               blocked until > now? ─yes─▶ Blocked { newly: false }
//!                      │no (or block over: counting restarts)
//!                      ▼
//!           window over? restart it; count += 1
//!                      │
//!             count > max_requests? ─yes─▶ block for block_for; Blocked { newly: true }
//!                      │no
//!                      ▼
//!                     Pass
//! ```
//!
//! Windows are fixed per source: the first request counted opens a window of `window`; the
//! first request after it closes opens the next one. A block is not extended by packets that
//! arrive while it lasts (they are dropped uncounted); a source still flooding when it ends is
//! blocked again after `max_requests` more.
//!
//! # Bounded memory
//!
//! At most `max_sources` entries (the `SourceTable` of `table.rs`). Each check first forgets up
//! to [`SWEEP_PER_CHECK`] entries whose block has ended and as many whose window has closed
//! without a block (an idle source is the same as an unknown one). A new source that finds the
//! table full takes the place of, in order of preference:
//! 1. the counting source with the oldest window (idle if its window closed, else the live
//!    one least recently restarted);
//! 2. only when blocked sources alone fill the table, the block that ends first.
//!
//! So a flood of spoofed sources churns through the counting entries but never releases a
//! blocked source early while any counting entry is left. A source genuinely over the limit
//! can still be pushed out before it reaches it when spoofed sources arrive faster than
//! `max_sources` per `window` (50 000 packets/s with the defaults).

use std::net::IpAddr;
use std::time::Instant;

use super::source::SourceKey;
use super::table::{Queue, SlotId, SourceTable};
use super::{FloodConfig, Verdict};

/// Entries of each list forgotten at most per check: keeps a check O(1) while the table still
/// drains after a burst (each check adds at most one entry).
pub const SWEEP_PER_CHECK: usize = 4;

/// Per-source request counter with blocking; see the module doc.
#[derive(Debug)]
pub struct FloodGuard {
    config: FloodConfig,
    table: SourceTable,
    blocks_started: u64,
    evicted: u64,
}

impl FloodGuard {
    /// A guard with no source known yet.
    pub fn new(config: FloodConfig) -> FloodGuard {
        let table = SourceTable::new(config.max_sources);
        FloodGuard {
            config,
            table,
            blocks_started: 0,
            evicted: 0,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &FloodConfig {
        &self.config
    }

    /// True if `source` is never counted (guard disabled, or inside an `exempt` network).
    pub fn is_exempt(&self, source: IpAddr) -> bool {
        !self.config.enabled || self.config.exempt.iter().any(|c| c.contains(source))
    }

    /// Counts one request from `source` received at `now` and says whether to handle it.
    pub fn check(&mut self, source: IpAddr, now: Instant) -> Verdict {
        if self.is_exempt(source) {
            return Verdict::Pass;
        }
        self.sweep(now);
        let key = SourceKey::of(source);
        let id = match self.table.find(key) {
            Some(id) => id,
            None => self.admit(key, now),
        };
        let entry = *self.table.entry(id);
        match entry.blocked_until {
            Some(until) if now < until => {
                return Verdict::Blocked {
                    newly: false,
                    source: key,
                    count: entry.count,
                    until,
                };
            }
            Some(_) => self.table.restart_window(id, now),
            None if now.saturating_duration_since(entry.window_start) >= self.config.window => {
                self.table.restart_window(id, now);
            }
            None => {}
        }
        let e = self.table.entry_mut(id);
        e.count = e.count.saturating_add(1);
        let count = e.count;
        if count <= self.config.max_requests {
            return Verdict::Pass;
        }
        let until = now.checked_add(self.config.block_for).unwrap_or(now);
        self.table.block(id, until);
        self.blocks_started += 1;
        Verdict::Blocked {
            newly: true,
            source: key,
            count,
            until,
        }
    }

    /// Sources tracked now (at most `max_sources`).
    pub fn sources(&self) -> usize {
        self.table.len()
    }

    /// Sources blocked now. A block that ended is counted until a check forgets it: after
    /// [`Self::sweep`], only blocks still running are.
    pub fn blocked(&self) -> usize {
        self.table.blocked_len()
    }

    /// Blocks started since the guard was made.
    pub fn blocks_started(&self) -> u64 {
        self.blocks_started
    }

    /// Live entries dropped to make room for a new source since the guard was made (a sign
    /// that `max_sources` is too small for the traffic, or of a spoofed-source flood).
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Forgets up to [`SWEEP_PER_CHECK`] ended blocks and as many closed windows. Also run by
    /// every check; a runtime may call it from a timer so that [`Self::blocked`] falls while
    /// no request arrives.
    pub fn sweep(&mut self, now: Instant) {
        for _ in 0..SWEEP_PER_CHECK {
            match self.table.front(Queue::Blocked) {
                Some(id) if self.table.entry(id).blocked_until.is_some_and(|u| u <= now) => {
                    self.table.remove(id);
                }
                _ => break,
            }
        }
        for _ in 0..SWEEP_PER_CHECK {
            match self.table.front(Queue::Counting) {
                Some(id) if self.window_closed(id, now) => self.table.remove(id),
                _ => break,
            }
        }
    }

    fn window_closed(&self, id: SlotId, now: Instant) -> bool {
        now.saturating_duration_since(self.table.entry(id).window_start) >= self.config.window
    }

    /// Makes room if needed (module doc, "Bounded memory") and adds `key`.
    fn admit(&mut self, key: SourceKey, now: Instant) -> SlotId {
        if self.table.is_full() {
            let victim = self
                .table
                .front(Queue::Counting)
                .or_else(|| self.table.front(Queue::Blocked));
            if let Some(id) = victim {
                let live = match self.table.entry(id).blocked_until {
                    Some(until) => until > now,
                    None => !self.window_closed(id, now),
                };
                if live {
                    self.evicted += 1;
                }
                self.table.remove(id);
            }
        }
        self.table.insert(key, now)
    }
}
