//! Child processes with a bound: run a command to completion within a timeout (its output read
//! on threads so a full pipe cannot stall it), or wait for a spawned child up to a deadline.
//!
//! Owns the waiting only; what to run is the caller's. Must not wait without a bound: a child
//! that outlives its timeout is killed.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// How often a waiting loop looks at a child or a file.
pub(crate) const POLL: Duration = Duration::from_millis(20);

/// The result of [`run_with_timeout`].
#[derive(Debug)]
pub(crate) struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` (stdin null, stdout and stderr captured) and waits at most `timeout`.
pub(crate) fn run_with_timeout(command: &mut Command, timeout: Duration) -> Result<Finished> {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {shown}"))?;
    let stdout = child.stdout.take().map(read_on_thread);
    let stderr = child.stderr.take().map(read_on_thread);
    let status = match wait_with_timeout(&mut child, timeout)? {
        Some(status) => status,
        None => {
            kill(&mut child);
            bail!("{shown} did not finish within {timeout:?}");
        }
    };
    let join = |h: Option<thread::JoinHandle<String>>| {
        h.map(|h| h.join().unwrap_or_default()).unwrap_or_default()
    };
    Ok(Finished {
        status,
        stdout: join(stdout),
        stderr: join(stderr),
    })
}

fn read_on_thread<R: Read + Send + 'static>(mut reader: R) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        // A read error only truncates what the caller sees; the exit status still tells.
        let _ = reader.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Waits for `child` at most `timeout`; `None` if it is still running then (it is not killed).
pub(crate) fn wait_with_timeout(
    child: &mut Child,
    timeout: Duration,
) -> Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child
            .try_wait()
            .context("cannot wait for a child process")?
        {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        thread::sleep(POLL);
    }
}

/// Kills `child` (SIGKILL) and reaps it; a child that already exited is only reaped.
pub(crate) fn kill(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    // Errors mean the child is already gone: nothing left to do.
    let _ = child.kill();
    let _ = child.wait();
}

/// The last `lines` lines of `text`.
pub(crate) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_with_timeout_returns_output_and_status() {
        let done = run_with_timeout(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(done.status.code(), Some(3));
        assert_eq!(done.stdout, "out\n");
        assert_eq!(done.stderr, "err\n");
    }

    #[test]
    fn run_with_timeout_kills_a_command_that_overruns() {
        let started = Instant::now();
        let err = run_with_timeout(Command::new("sleep").arg("30"), Duration::from_millis(200))
            .unwrap_err();
        assert!(err.to_string().contains("did not finish"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let table = [
            ("a\nb\nc", 2, "b\nc"),
            ("a\nb\nc", 5, "a\nb\nc"),
            ("", 3, ""),
            ("a\nb\n", 1, "b"),
        ];
        for (text, n, want) in table {
            assert_eq!(tail(text, n), want, "tail({text:?}, {n})");
        }
    }
}
