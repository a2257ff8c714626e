//! The thread behind an attack handle: a named std thread that runs until a shared stop flag is
//! set, returns its counts, and is stopped and joined when its handle drops.
//!
//! Must not be left running: [`Worker::finish`] and `Drop` both set the flag and join.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use anyhow::{Context, Result};

use super::pacer::{Pacer, TICK};

/// A running attack thread returning `T`.
#[derive(Debug)]
pub(crate) struct Worker<T> {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<T>>,
}

impl<T: Send + Default + 'static> Worker<T> {
    /// Spawns `name` running `body(stop)`; `body` returns once `stop` is set.
    pub(crate) fn spawn(
        name: &str,
        body: impl FnOnce(&AtomicBool) -> T + Send + 'static,
    ) -> Result<Worker<T>> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = thread::Builder::new()
            .name(name.to_string())
            .spawn(move || body(&flag))
            .with_context(|| format!("cannot start the {name} thread"))?;
        Ok(Worker {
            stop,
            handle: Some(handle),
        })
    }

    /// Stops the thread and returns its counts (the default ones if it panicked).
    pub(crate) fn finish(mut self) -> T {
        self.join()
    }

    fn join(&mut self) -> T {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

impl<T> Drop for Worker<T> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// Calls `send` `per_second` times a second until `stop` is set.
pub(crate) fn run_paced(stop: &AtomicBool, per_second: f64, mut send: impl FnMut()) {
    let mut pacer = Pacer::new(per_second, Instant::now());
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..pacer.due(Instant::now()) {
            send();
        }
        thread::sleep(TICK);
    }
}
