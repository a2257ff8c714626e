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

/// The timers of RFC 3261 Table 4 (and RFC 6026's L and M) by name. Retransmission timers
/// (A, E, G) give their first interval; the machines double it (A without cap, E and G capped
/// at T2 with [`TimerConfig::capped_double`]; E is T2 flat once the non-INVITE client is in
/// Proceeding). The transport-dependent ones take `reliable`.
impl TimerConfig {
    /// Timer A, first INVITE retransmit interval (unreliable only): T1, then doubling.
    pub fn timer_a(&self) -> Duration {
        self.t1
    }

    /// Timer B, INVITE transaction timeout: 64·T1.
    pub fn timer_b(&self) -> Duration {
        self.transaction_timeout()
    }

    /// Timer C, proxy INVITE transaction timeout (§16.6 step 11): more than 3 minutes. Run by
    /// the proxy's TU, not by these machines.
    pub fn timer_c(&self) -> Duration {
        Duration::from_secs(180)
    }

    /// Timer E, first non-INVITE retransmit interval (unreliable only): T1, doubling to T2.
    pub fn timer_e(&self) -> Duration {
        self.t1
    }

    /// Timer F, non-INVITE transaction timeout: 64·T1.
    pub fn timer_f(&self) -> Duration {
        self.transaction_timeout()
    }

    /// Timer G, first INVITE final-response retransmit interval (unreliable only): T1,
    /// doubling to T2.
    pub fn timer_g(&self) -> Duration {
        self.t1
    }

    /// Timer H, wait time for the ACK of a non-2xx final response: 64·T1.
    pub fn timer_h(&self) -> Duration {
        self.transaction_timeout()
    }

    /// Timer I, wait time for ACK retransmissions: T4 unreliable, zero reliable.
    pub fn timer_i(&self, reliable: bool) -> Duration {
        self.timer_i_k(reliable)
    }

    /// Timer K, wait time for response retransmissions: T4 unreliable, zero reliable.
    pub fn timer_k(&self, reliable: bool) -> Duration {
        self.timer_i_k(reliable)
    }

    /// Timer L (RFC 6026 §7.1), how long an INVITE server transaction stays Accepted after a
    /// 2xx: 64·T1.
    pub fn timer_l(&self) -> Duration {
        self.transaction_timeout()
    }

    /// Timer M (RFC 6026 §7.2), how long an INVITE client transaction stays Accepted after a
    /// 2xx: 64·T1.
    pub fn timer_m(&self) -> Duration {
        self.transaction_timeout()
    }

    /// The next retransmission interval after `current`, capped at T2 (timers E and G).
    pub fn capped_double(&self, current: Duration) -> Duration {
        (current * 2).min(self.t2)
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_derive_from_t1_t2_t4() {
        let ms = Duration::from_millis;
        let d = TimerConfig::default();
        let fast = TimerConfig {
            t1: ms(100),
            t2: ms(1000),
            t4: ms(2000),
        };
        // (config, reliable, [A, B, D, E, F, G, H, I, J, K, L, M])
        let cases = [
            (
                d,
                false,
                [
                    500, 32_000, 32_000, 500, 32_000, 500, 32_000, 5_000, 32_000, 5_000, 32_000,
                    32_000,
                ],
            ),
            (
                d,
                true,
                [
                    500, 32_000, 0, 500, 32_000, 500, 32_000, 0, 0, 0, 32_000, 32_000,
                ],
            ),
            // D stays at least 32 s when 64·T1 is shorter.
            (
                fast,
                false,
                [
                    100, 6_400, 32_000, 100, 6_400, 100, 6_400, 2_000, 6_400, 2_000, 6_400, 6_400,
                ],
            ),
            (
                fast,
                true,
                [100, 6_400, 0, 100, 6_400, 100, 6_400, 0, 0, 0, 6_400, 6_400],
            ),
        ];
        for (c, reliable, want) in cases {
            let got = [
                c.timer_a(),
                c.timer_b(),
                c.timer_d(reliable),
                c.timer_e(),
                c.timer_f(),
                c.timer_g(),
                c.timer_h(),
                c.timer_i(reliable),
                c.timer_j(reliable),
                c.timer_k(reliable),
                c.timer_l(),
                c.timer_m(),
            ];
            assert_eq!(got, want.map(ms), "{c:?} reliable={reliable}");
        }
        assert_eq!(d.timer_c(), Duration::from_secs(180));
        let steps: Vec<u128> =
            std::iter::successors(Some(d.timer_e()), |e| Some(d.capped_double(*e)))
                .take(6)
                .map(|e| e.as_millis())
                .collect();
        assert_eq!(steps, [500, 1000, 2000, 4000, 4000, 4000]);
        assert_eq!(
            d,
            TimerConfig {
                t1: ms(500),
                t2: ms(4000),
                t4: ms(5000)
            }
        );
    }

    #[test]
    fn timers_pop_earliest_first_and_rearm_replaces() {
        #[derive(Debug, Clone, Copy, PartialEq)]
        enum K {
            X,
            Y,
        }
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut t = Timers::default();
        t.set(K::X, at(300));
        t.set(K::Y, at(100));
        t.set(K::X, at(200)); // replaces the first X
        assert_eq!(t.next(), Some(at(100)));
        assert_eq!(t.pop_due(at(50)), None);
        assert_eq!(t.pop_due(at(250)), Some(K::Y));
        assert_eq!(t.pop_due(at(250)), Some(K::X));
        assert_eq!(t.pop_due(at(1000)), None);
        t.set(K::Y, at(10));
        t.cancel(K::Y);
        assert_eq!(t.next(), None);
    }
}
