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
