//! [`StoreHealth`]: what the rest of the node learns about the Raft store without touching the
//! disk — the first write that failed, and how long the write in progress has been running.
//!
//! A failed write is final for this process: redb marks its file failed on an I/O error (a
//! full disk, EIO) and answers every later operation `PreviousIo` until the file is opened
//! again, and under `Fsync::Never` openraft has already counted entries that never reached the
//! file. So the first failure is kept ([`StoreHealth::failure`]); the node's health check
//! reports it and the node exits for its supervisor to restart it on a reopened store.
//!
//! The write in progress ([`StoreHealth::writing_for`]) tells a slow disk apart from a missing
//! quorum when a commit times out: on a cluster of one, an fsync that stalls for seconds is the
//! only reason a write can wait that long.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// The store's failure and its write in progress. Clones share one state.
#[derive(Debug, Clone, Default)]
pub struct StoreHealth {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The first failed write: what was written and the error.
    failure: OnceLock<String>,
    /// When the write transaction in progress started.
    writing_since: Mutex<Option<Instant>>,
}

/// Marks a write in progress until dropped.
#[derive(Debug)]
pub(crate) struct Writing<'a> {
    health: &'a StoreHealth,
}

impl StoreHealth {
    /// Records that writing `what` failed with `error`; only the first failure is kept (and
    /// logged), later ones are its consequences.
    pub(crate) fn fail(&self, what: &str, error: &dyn std::fmt::Display) {
        let reason = format!("{what} failed: {error}");
        if self.inner.failure.set(reason).is_ok() {
            tracing::error!(what, error = %error, "raft store failed; the node must restart");
        }
    }

    /// The first failed write of this process, if any: the store cannot be used any more.
    pub fn failure(&self) -> Option<String> {
        self.inner.failure.get().cloned()
    }

    /// Marks a write transaction in progress from now until the guard drops.
    pub(crate) fn writing(&self) -> Writing<'_> {
        *self.since() = Some(Instant::now());
        Writing { health: self }
    }

    /// How long the write transaction in progress has been running; `None` when none is.
    pub fn writing_for(&self) -> Option<Duration> {
        self.since().map(|t| t.elapsed())
    }

    fn since(&self) -> MutexGuard<'_, Option<Instant>> {
        self.inner
            .writing_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        *self.health.since() = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_failure_only() {
        let health = StoreHealth::default();
        assert_eq!(health.failure(), None);
        let clone = health.clone();
        clone.fail("raft log write", &"No space left on device (os error 28)");
        health.fail("raft log write", &"Previous I/O error occurred");
        assert_eq!(
            health.failure().as_deref(),
            Some("raft log write failed: No space left on device (os error 28)")
        );
    }

    #[test]
    fn a_write_in_progress_is_timed_until_it_ends() {
        let health = StoreHealth::default();
        assert_eq!(health.writing_for(), None);
        {
            let _w = health.writing();
            assert!(health.writing_for().is_some());
        }
        assert_eq!(health.writing_for(), None);
    }
}
