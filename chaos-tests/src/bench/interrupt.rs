//! Ctrl-C, SIGTERM and SIGHUP end the benchmark cleanly: [`install`] turns them into a flag that
//! every wait of the benchmark looks at ([`check`], [`sleep`]), so the run returns an error and
//! every handle it holds (nodes, SIPp, Kamailio) stops what it started as it drops. Kamailio
//! runs in its own process group, out of reach of the terminal's SIGINT, so this is what stops
//! it on Ctrl-C.
//!
//! The waits inside the test harness (a node becoming ready, a cluster forming) are bounded but
//! do not look at the flag: an interrupt lands when they end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::signal::unix::{SignalKind, signal};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The message of the error a wait returns once interrupted.
pub const INTERRUPTED_MESSAGE: &str = "interrupted";

/// Catches SIGINT, SIGTERM and SIGHUP from now on (on a thread of its own).
pub fn install() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .context("cannot build the signal runtime")?;
    let mut signals = runtime.block_on(async {
        [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
        ]
        .into_iter()
        .map(signal)
        .collect::<std::io::Result<Vec<_>>>()
    })?;
    thread::Builder::new()
        .name("bench-signals".into())
        .spawn(move || {
            runtime.block_on(async move {
                let [int, term, hup] = signals.as_mut_slice() else {
                    return;
                };
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                    _ = hup.recv() => {}
                }
                INTERRUPTED.store(true, Ordering::SeqCst);
            });
        })
        .context("cannot start the signal thread")?;
    Ok(())
}

/// Whether a signal arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// An error once a signal arrived.
pub fn check() -> Result<()> {
    if interrupted() {
        bail!(INTERRUPTED_MESSAGE);
    }
    Ok(())
}

/// Sleeps `duration`, or less and an error when a signal arrives.
pub fn sleep(duration: Duration) -> Result<()> {
    let until = Instant::now() + duration;
    loop {
        check()?;
        let now = Instant::now();
        if now >= until {
            return Ok(());
        }
        thread::sleep((until - now).min(Duration::from_millis(50)));
    }
}
