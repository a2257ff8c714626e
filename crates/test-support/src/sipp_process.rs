//! A running SIPp started by [`crate::Sipp::spawn`]: its port, the `<log>` lines it wrote so far,
//! and the ways to end it (wait within its bound, wait a little then kill, kill now), each
//! returning the run's [`SippOutcome`].
//!
//! Must not outlive its handle: dropping it kills SIPp (and keeps the run's files when the test
//! is failing).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tempfile::TempDir;

use crate::process::{kill, wait_with_timeout};
use crate::sipp_outcome::{LOG_FILE, SippOutcome, logged_calls};
use crate::transport::Transport;

/// A running SIPp. Killed when dropped.
#[derive(Debug)]
pub struct SippProcess {
    /// `None` only after `wait`/`stop` took it (they consume the process).
    run: Option<Run>,
    addr: SocketAddr,
    transport: Transport,
    deadline: Instant,
    command_line: String,
}

#[derive(Debug)]
struct Run {
    child: Child,
    dir: TempDir,
}

impl SippProcess {
    pub(crate) fn new(
        child: Child,
        dir: TempDir,
        addr: SocketAddr,
        transport: Transport,
        deadline: Instant,
        command_line: String,
    ) -> SippProcess {
        SippProcess {
            run: Some(Run { child, dir }),
            addr,
            transport,
            deadline,
            command_line,
        }
    }

    /// The SIPp command line (for messages).
    pub fn command_line(&self) -> &str {
        &self.command_line
    }
    /// The local port SIPp listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The local address and port SIPp listens on (`-i`, `-p`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The run's directory.
    pub fn dir(&self) -> Option<&Path> {
        self.run.as_ref().map(|r| r.dir.path())
    }

    /// Whether SIPp is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.exit_code_if_done(), Ok(None))
    }

    /// Lines written so far by the scenario's `<log>` actions (SIPp flushes them as it goes).
    pub fn logs_so_far(&self) -> Vec<String> {
        self.read(LOG_FILE).lines().map(str::to_string).collect()
    }

    /// Call-IDs of the `EVENT <call-id>` log lines written so far (see [`SippOutcome::logged`]).
    pub fn logged_so_far(&self, event: &str) -> BTreeSet<String> {
        logged_calls(&self.logs_so_far(), event)
    }

    /// Waits (at most `timeout`) until `count` calls logged `event` (`answered`, ...).
    pub fn wait_logged(&self, event: &str, count: usize, timeout: Duration) -> Result<()> {
        crate::wait::wait_until(timeout, &format!("{count} calls to log {event}"), || {
            let n = self.logged_so_far(event).len();
            anyhow::ensure!(n == count, "{n} logged {event}");
            Ok(())
        })
    }

    /// Waits for SIPp to exit, at most until its bound (its `-timeout` plus a grace), killing it
    /// then; reads its files.
    pub fn wait(self) -> Result<SippOutcome> {
        self.wait_at_most(Duration::MAX)
    }

    /// Waits for SIPp to exit at most `limit` (and never past its own bound), then kills it; for a
    /// uas whose caller already failed, so the test fails fast.
    pub fn wait_at_most(mut self, limit: Duration) -> Result<SippOutcome> {
        let left = self
            .deadline
            .saturating_duration_since(Instant::now())
            .min(limit);
        let Run { mut child, dir } = self.take_run()?;
        let status = wait_with_timeout(&mut child, left)?;
        let killed = status.is_none();
        if killed {
            kill(&mut child);
        }
        let code = status.and_then(|s| s.code());
        Ok(SippOutcome::read(
            dir,
            code,
            killed,
            self.command_line.clone(),
        ))
    }

    /// The callee's outcome after the caller's: the whole run if the caller succeeded, else at
    /// most a few more seconds (the callee would only wait for calls that will not come).
    pub fn finish_after(self, caller: &SippOutcome) -> Result<SippOutcome> {
        if caller.all_successful() {
            self.wait()
        } else {
            self.wait_at_most(Duration::from_secs(5))
        }
    }

    /// Kills SIPp now (e.g. a uas whose caller already failed) and reads its files.
    pub fn stop(mut self) -> Result<SippOutcome> {
        let Run { mut child, dir } = self.take_run()?;
        let code = match child.try_wait()? {
            Some(status) => status.code(),
            None => {
                kill(&mut child);
                None
            }
        };
        Ok(SippOutcome::read(
            dir,
            code,
            false,
            self.command_line.clone(),
        ))
    }

    fn take_run(&mut self) -> Result<Run> {
        self.run.take().context("SIPp process already waited for")
    }

    pub(crate) fn exit_code_if_done(&mut self) -> Result<Option<i32>> {
        let Some(run) = self.run.as_mut() else {
            return Ok(Some(-1));
        };
        Ok(run
            .child
            .try_wait()
            .context("cannot wait for sipp")?
            .map(|s| s.code().unwrap_or(-1)))
    }

    pub(crate) fn read(&self, name: &str) -> String {
        self.run
            .as_ref()
            .and_then(|r| std::fs::read_to_string(r.dir.path().join(name)).ok())
            .unwrap_or_default()
    }
}

impl Drop for SippProcess {
    fn drop(&mut self) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        kill(&mut run.child);
        if thread::panicking() {
            run.dir.disable_cleanup(true);
            eprintln!(
                "--- SIPp run dropped during a failure, files kept in {} ---\n{}",
                run.dir.path().display(),
                self.command_line
            );
        }
    }
}
