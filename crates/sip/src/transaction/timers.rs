//! RFC 3261 §17 timer values (Table 4 of §A), derived from T1, T2 and T4, and the small timer
//! set each machine keeps.

use std::time::{Duration, Instant};

/// T1, T2, T4 (RFC 3261 §17.1.1.1, §17.1.2.2). Everything else derives from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate (default 500 ms).
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE responses (default 4 s).
    pub t2: Duration,
    /// Maximum duration a message remains in the network (default 5 s).
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl TimerConfig {
    /// 64·T1: timers B, F, H, J (unreliable), and RFC 6026's L and M.
    pub fn transaction_timeout(&self) -> Duration {
        self.t1 * 64
    }

    /// Timer D: 32 s or more over unreliable transports, zero over reliable ones.
    pub fn timer_d(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            Duration::from_secs(32).max(self.transaction_timeout())
        }
    }

    /// Timers I and K: T4 over unreliable transports, zero over reliable ones.
    pub fn timer_i_k(&self, reliable: bool) -> Duration {
        if reliable { Duration::ZERO } else { self.t4 }
    }

    /// Timer J: 64·T1 over unreliable transports, zero over reliable ones.
    pub fn timer_j(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            self.transaction_timeout()
        }
    }
}

/// Named timers of one machine with their deadlines.
#[derive(Debug, Clone)]
pub(crate) struct Timers<K: Copy + PartialEq> {
    armed: Vec<(K, Instant)>,
}

impl<K: Copy + PartialEq> Default for Timers<K> {
    fn default() -> Self {
        Timers { armed: Vec::new() }
    }
}

impl<K: Copy + PartialEq> Timers<K> {
    pub(crate) fn set(&mut self, kind: K, at: Instant) {
        self.cancel(kind);
        self.armed.push((kind, at));
    }

    pub(crate) fn cancel(&mut self, kind: K) {
        self.armed.retain(|(k, _)| *k != kind);
    }

    pub(crate) fn clear(&mut self) {
        self.armed.clear();
    }

    pub(crate) fn next(&self) -> Option<Instant> {
        self.armed.iter().map(|(_, at)| *at).min()
    }

    /// Removes and returns the earliest timer due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<K> {
        let (i, _) = self
            .armed
            .iter()
            .enumerate()
            .filter(|(_, (_, at))| *at <= now)
            .min_by_key(|(_, (_, at))| *at)?;
        Some(self.armed.remove(i).0)
    }
}
