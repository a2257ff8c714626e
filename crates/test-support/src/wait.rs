//! Polling for a condition with a bound, for facts that settle shortly after an action (the last
//! BYEs of a run reaching dialogd's counters, a profile size dropping to 0).
//!
//! Must not wait past its timeout nor hide why it gave up: the last "not yet" reason is in the
//! error.

use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};

/// Time between two probes.
const INTERVAL: Duration = Duration::from_millis(100);

/// Calls `probe` until it returns `Ok`, at most for `timeout`. An `Err` from the probe means "not
/// yet" and its message ends up in the timeout error, after `what`.
pub fn wait_until<T>(
    timeout: Duration,
    what: &str,
    mut probe: impl FnMut() -> Result<T>,
) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        let last = match probe() {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        if Instant::now() >= deadline {
            return Err(anyhow!(
                "timed out after {timeout:?} waiting for {what}: {last:#}"
            ));
        }
        thread::sleep(INTERVAL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::bail;

    #[test]
    fn returns_the_first_success() {
        let mut calls = 0;
        let got = wait_until(Duration::from_secs(10), "third call", || {
            calls += 1;
            if calls < 3 {
                bail!("call {calls}");
            }
            Ok(calls)
        })
        .unwrap();
        assert_eq!(got, 3);
    }

    #[test]
    fn gives_up_with_the_last_reason() {
        let err = wait_until(Duration::from_millis(250), "never", || -> Result<()> {
            bail!("still no")
        })
        .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("never") && text.contains("still no"),
            "{text}"
        );
    }
}
