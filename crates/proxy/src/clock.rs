//! The proxy's clock. Every reading of monotonic time in this crate goes through [`now`]
//! (clippy's `disallowed-methods` in `crates/proxy/clippy.toml` refuses
//! `std::time::Instant::now`), so that a test can pause time and step it: [`now`] is tokio's
//! clock, which `#[tokio::test(start_paused = true)]`, `tokio::time::pause` and
//! `tokio::time::advance` control, and tokio's timers (`sleep`, `sleep_until`, `interval`)
//! follow the same clock. Without tokio's `test-util` feature (every non-test build) it is
//! `std::time::Instant::now` and costs nothing more.
//!
//! The sans-IO machines (`dialogd_sip::transaction`, `dialogd_dialog::Dialog`, the registry's
//! timer queue) never read the time: they are given `now` by the code that drives them.
//! Wall-clock time (`SystemTime`, for records and events) is not paused by tokio and is read
//! where it is needed.

use std::time::Instant;

/// The current instant on tokio's clock, as a `std::time::Instant`.
pub fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use dialogd_dialog::DialogId;

    use super::*;
    use crate::registry::TimerQueue;

    /// With tokio's time paused the proxy's clock moves only when the test steps it, and the
    /// dialogs' timer queue, fed from it, falls due exactly then.
    #[tokio::test(start_paused = true)]
    async fn paused_time_moves_only_when_stepped() {
        let t0 = now();
        let did = DialogId::new(1, 1);
        let mut timers = TimerQueue::default();
        timers.set(did, Some(t0 + Duration::from_secs(32)));
        tokio::time::advance(Duration::from_secs(31)).await;
        assert_eq!(now() - t0, Duration::from_secs(31));
        assert!(timers.pop_due(now()).is_empty());
        // An idle runtime skips to the next timer: the sleep ends at the deadline, not later.
        tokio::time::sleep_until((t0 + Duration::from_secs(32)).into()).await;
        assert_eq!(now() - t0, Duration::from_secs(32));
        assert_eq!(timers.pop_due(now()), vec![did]);
    }
}
