//! Rate pacing for the attack loops, without IO: told the time, it says how many sends are due.
//!
//! ```text
//!   let mut pacer = Pacer::new(2_000.0, now);   2,000 per second from `now`
//!   loop { for _ in 0..pacer.due(Instant::now()) { send } sleep(TICK) }
//! ```
//!
//! A loop that falls behind (a slow send, a descheduled thread) catches up by at most
//! [`MAX_CATCH_UP`] of sends; older debt is forgiven, so an attack never turns into an
//! unbounded burst and its rate stays what was asked over any long window.

use std::time::{Duration, Instant};

/// How far behind a loop may catch up in one burst.
pub const MAX_CATCH_UP: Duration = Duration::from_millis(100);

/// The sleep between two looks at a [`Pacer`] in the attack loops.
pub const TICK: Duration = Duration::from_millis(1);

/// See the module doc.
#[derive(Debug, Clone)]
pub struct Pacer {
    per_second: f64,
    start: Instant,
    /// Sends counted since `start` (including forgiven ones).
    done: u64,
}

impl Pacer {
    /// `per_second` sends per second from `now`; a rate that is not a positive number sends
    /// nothing.
    pub fn new(per_second: f64, now: Instant) -> Pacer {
        let per_second = if per_second.is_finite() && per_second > 0.0 {
            per_second
        } else {
            0.0
        };
        Pacer {
            per_second,
            start: now,
            done: 0,
        }
    }

    /// Sends due at `now` (the caller is expected to make them all).
    pub fn due(&mut self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.start).as_secs_f64();
        let owed = (elapsed * self.per_second) as u64;
        let behind = owed.saturating_sub(self.done);
        let cap = ((MAX_CATCH_UP.as_secs_f64() * self.per_second).ceil() as u64).max(1);
        if behind > cap {
            // Forgive the debt past the cap.
            self.done = owed - cap;
        }
        let due = owed.saturating_sub(self.done);
        self.done = owed;
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn sends_the_rate_over_a_window_looked_at_every_tick() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(2_000.0, t0);
        let total: u64 = (1..=1_000).map(|i| pacer.due(t0 + ms(i))).sum();
        assert_eq!(total, 2_000);
    }

    #[test]
    fn a_slow_rate_sends_nothing_until_its_first_interval() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(2.0, t0);
        assert_eq!(pacer.due(t0 + ms(499)), 0);
        assert_eq!(pacer.due(t0 + ms(500)), 1);
        assert_eq!(pacer.due(t0 + ms(999)), 0);
        assert_eq!(pacer.due(t0 + ms(1_000)), 1);
    }

    #[test]
    fn a_loop_that_fell_behind_catches_up_by_the_cap_only() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(1_000.0, t0);
        // 5 s without a look: 5,000 owed, 100 ms worth (100) sent.
        assert_eq!(pacer.due(t0 + Duration::from_secs(5)), 100);
        assert_eq!(pacer.due(t0 + Duration::from_secs(5) + ms(10)), 10);
    }

    #[test]
    fn time_going_backwards_or_a_bad_rate_sends_nothing() {
        let t0 = Instant::now() + Duration::from_secs(1);
        let mut pacer = Pacer::new(100.0, t0);
        assert_eq!(pacer.due(t0 - ms(500)), 0);
        for rate in [0.0, -5.0, f64::NAN, f64::INFINITY] {
            let mut p = Pacer::new(rate, t0);
            assert_eq!(p.due(t0 + Duration::from_secs(10)), 0, "rate {rate}");
        }
    }
}
