//! [`TimeoutClock`]: a dialog's timeout bookkeeping (OpenSIPS/Kamailio `default_timeout`,
//! `$DLG_timeout`, `timeout_noreset`). Holds a duration and, once the dialog is answered, a
//! deadline; it never reads a clock — `now` is passed in.
//!
//! | event | deadline |
//! |---|---|
//! | created (states 1, 2) | none: early dialogs end through their INVITE transaction |
//! | 2xx ([`start`](TimeoutClock::start)) | `now + timeout` |
//! | sequential request but ACK/CANCEL ([`refresh`](TimeoutClock::refresh)) | `now + timeout`, unless `noreset` |
//! | new timeout ([`set_timeout`](TimeoutClock::set_timeout)) | `now + new` if running |
//! | ended ([`stop`](TimeoutClock::stop)) | none |
//!
//! A deadline too far away to represent (an absurd timeout) is "never".

use std::time::{Duration, Instant};

/// A dialog's timeout and deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeoutClock {
    timeout: Duration,
    noreset: bool,
    running: bool,
    /// Not serialized: an `Instant` has no portable encoding ([`crate::PackedDialog`] keeps
    /// it beside its bytes).
    #[serde(skip)]
    deadline: Option<Instant>,
}

impl TimeoutClock {
    /// A clock that is not running yet.
    pub fn new(timeout: Duration, noreset: bool) -> TimeoutClock {
        TimeoutClock {
            timeout,
            noreset,
            running: false,
            deadline: None,
        }
    }

    /// A running clock resumed on another node with the `deadline` its record gives
    /// (`None`: never, as for an unrepresentable deadline).
    pub(crate) fn resumed(timeout: Duration, noreset: bool, deadline: Option<Instant>) -> Self {
        TimeoutClock {
            timeout,
            noreset,
            running: true,
            deadline,
        }
    }

    /// Puts back the deadline the packed form keeps beside its bytes
    /// ([`crate::PackedDialog`]).
    pub(crate) fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    /// Starts the clock (the dialog was answered).
    pub fn start(&mut self, now: Instant) {
        self.running = true;
        self.deadline = now.checked_add(self.timeout);
    }

    /// A sequential request passed: restarts the clock unless `noreset`. True if it moved.
    pub fn refresh(&mut self, now: Instant) -> bool {
        if !self.running || self.noreset {
            return false;
        }
        self.deadline = now.checked_add(self.timeout);
        true
    }

    /// Changes the timeout; a running clock restarts from `now` with it.
    pub fn set_timeout(&mut self, now: Instant, timeout: Duration) {
        self.timeout = timeout;
        if self.running {
            self.deadline = now.checked_add(timeout);
        }
    }

    /// Stops the clock for good.
    pub fn stop(&mut self) {
        self.running = false;
        self.deadline = None;
    }

    /// True once the deadline has passed.
    pub fn is_due(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|d| d <= now)
    }

    /// When the timeout fires, if the clock runs.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Time left until the deadline.
    pub fn left(&self, now: Instant) -> Option<Duration> {
        self.deadline.map(|d| d.saturating_duration_since(now))
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn noreset(&self) -> bool {
        self.noreset
    }

    pub fn is_running(&self) -> bool {
        self.running
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    enum Ev {
        Start,
        Refresh,
        Set(u64),
        Stop,
    }

    /// Runs events at the given second offsets; returns the deadline offsets after each.
    fn run(noreset: bool, events: &[(u64, Ev)]) -> Vec<Option<u64>> {
        let t0 = Instant::now();
        let mut c = TimeoutClock::new(10 * S, noreset);
        events
            .iter()
            .map(|(at, ev)| {
                let now = t0 + Duration::from_secs(*at);
                match ev {
                    Ev::Start => c.start(now),
                    Ev::Refresh => {
                        c.refresh(now);
                    }
                    Ev::Set(secs) => c.set_timeout(now, Duration::from_secs(*secs)),
                    Ev::Stop => c.stop(),
                }
                c.deadline().map(|d| (d - t0).as_secs())
            })
            .collect()
    }

    #[test]
    fn deadlines_follow_the_table() {
        use Ev::*;
        type Row<'a> = (bool, &'a [(u64, Ev)], &'a [Option<u64>]);
        let table: &[Row] = &[
            // Not started: refreshes and new timeouts set no deadline.
            (false, &[(1, Refresh), (2, Set(5))], &[None, None]),
            // Started at 3 with the timeout set before: 3 + 5.
            (false, &[(1, Set(5)), (3, Start)], &[None, Some(8)]),
            (
                false,
                &[(0, Start), (4, Refresh), (6, Set(2)), (7, Stop)],
                &[Some(10), Some(14), Some(8), None],
            ),
            // noreset: refreshes keep the deadline, an explicit new timeout moves it.
            (
                true,
                &[(0, Start), (4, Refresh), (6, Set(20))],
                &[Some(10), Some(10), Some(26)],
            ),
        ];
        for (i, (noreset, events, want)) in table.iter().enumerate() {
            assert_eq!(run(*noreset, events), *want, "row {i}");
        }
    }

    #[test]
    fn due_and_left() {
        let t0 = Instant::now();
        let mut c = TimeoutClock::new(2 * S, false);
        assert!(!c.is_due(t0 + 100 * S));
        c.start(t0);
        assert!(!c.is_due(t0 + S));
        assert_eq!(c.left(t0 + S), Some(S));
        assert!(c.is_due(t0 + 2 * S));
        assert_eq!(c.left(t0 + 3 * S), Some(Duration::ZERO));
        c.stop();
        assert!(!c.is_due(t0 + 3 * S));
        assert!(!c.is_running());
    }

    #[test]
    fn an_unrepresentable_deadline_never_fires() {
        let t0 = Instant::now();
        let mut c = TimeoutClock::new(Duration::MAX, false);
        c.start(t0);
        assert_eq!(c.deadline(), None);
        assert!(c.is_running());
        assert!(c.refresh(t0 + S));
        assert_eq!(c.deadline(), None);
    }
}
