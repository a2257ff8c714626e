//! A SIPp driver: one `sipp` process running a scenario of `crates/test-support/scenarios/` as
//! uac (calls sent to a remote address, normally dialogd's) or uas (answers calls), over UDP or
//! TCP, on 127.0.0.1 and a port found free for it, non-interactive (`-nostdin`, stdin null),
//! with every trace written into its own temporary directory.
//!
//! ```text
//!   Sipp::uas("uas.xml").calls(10).spawn()?            -> SippProcess (bound, listening)
//!   Sipp::uac("uac.xml", node.sip_addr()).uas_port(p)
//!       .calls(10).rate(10.0).run()?                    -> SippOutcome (exit code, counts, traces)
//! ```
//!
//! Must not run unbounded: SIPp gets `-timeout` (with `-timeout_error`), the driver kills it a
//! little after that, and a dropped [`SippProcess`] kills its child.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tempfile::TempDir;

use crate::free_port::free_udp_tcp_port;
use crate::process::{POLL, kill, tail, wait_with_timeout};
use crate::sipp_outcome::{
    ERROR_FILE, LOG_FILE, MESSAGE_FILE, SCREEN_FILE, SHORT_MESSAGE_FILE, STAT_FILE, STDERR_FILE,
    STDOUT_FILE, SippOutcome, logged_calls,
};
use crate::transport::Transport;

/// Default bound on a run (SIPp's `-timeout`).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Extra time given to SIPp past its own `-timeout` before the driver kills it.
const KILL_GRACE: Duration = Duration::from_secs(10);
/// How long a SIPp process may take to bind its port.
const BIND_TIMEOUT: Duration = Duration::from_secs(10);
/// SIPp's exit code when it cannot bind its socket.
const EXIT_BIND_ERROR: i32 = 254;
/// Attempts with a fresh port when the port was taken between the check and SIPp's bind.
const BIND_ATTEMPTS: usize = 5;

/// Path of a scenario file of `crates/test-support/scenarios/`.
pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// A SIPp run to start. See the module doc.
#[derive(Debug, Clone)]
pub struct Sipp {
    scenario: PathBuf,
    remote: Option<SocketAddr>,
    transport: Transport,
    port: Option<u16>,
    calls: Option<u64>,
    rate: Option<f64>,
    limit: Option<u64>,
    pause: Option<Duration>,
    keys: BTreeMap<String, String>,
    timeout: Duration,
    trace_messages: bool,
    extra: Vec<String>,
}

impl Sipp {
    /// A uac sending its calls to `remote`. `scenario` is a file name of the scenarios folder or
    /// a path.
    pub fn uac(scenario: &str, remote: SocketAddr) -> Sipp {
        Sipp::new(scenario, Some(remote))
    }

    /// A uas answering calls on its own port ([`SippProcess::addr`]).
    pub fn uas(scenario: &str) -> Sipp {
        Sipp::new(scenario, None)
    }

    fn new(name: &str, remote: Option<SocketAddr>) -> Sipp {
        let path = if name.contains('/') {
            PathBuf::from(name)
        } else {
            scenario(name)
        };
        let keys = [("uas_host", "127.0.0.1"), ("caller", "sipp")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Sipp {
            scenario: path,
            remote,
            transport: Transport::Udp,
            port: None,
            calls: None,
            rate: None,
            limit: None,
            pause: None,
            keys,
            timeout: DEFAULT_TIMEOUT,
            trace_messages: false,
            extra: Vec::new(),
        }
    }

    /// `-t u1` (default) or `-t t1`.
    pub fn transport(mut self, transport: Transport) -> Sipp {
        self.transport = transport;
        self
    }

    /// Local port (`-p`); default: one found free, retried if SIPp cannot bind it.
    pub fn port(mut self, port: u16) -> Sipp {
        self.port = Some(port);
        self
    }

    /// `-m`: calls to place (uac) or to answer (uas) before exiting.
    pub fn calls(mut self, calls: u64) -> Sipp {
        self.calls = Some(calls);
        self
    }

    /// `-r`: calls per second.
    pub fn rate(mut self, per_second: f64) -> Sipp {
        self.rate = Some(per_second);
        self
    }

    /// `-l`: most calls at once.
    pub fn limit(mut self, concurrent: u64) -> Sipp {
        self.limit = Some(concurrent);
        self
    }

    /// `-d`: the length of the scenario's `<pause/>`.
    pub fn pause(mut self, pause: Duration) -> Sipp {
        self.pause = Some(pause);
        self
    }

    /// `-key NAME VALUE`, a `[NAME]` of the scenario.
    pub fn key(mut self, name: &str, value: &str) -> Sipp {
        self.keys.insert(name.to_string(), value.to_string());
        self
    }

    /// The callee's port, `[uas_port]` of the uac scenarios' request-URI.
    pub fn uas_port(self, port: u16) -> Sipp {
        self.key("uas_port", &port.to_string())
    }

    /// The From user of the uac scenarios (`[caller]`, default `sipp`).
    pub fn caller(self, user: &str) -> Sipp {
        self.key("caller", user)
    }

    /// Bound on the run: SIPp's `-timeout`; the driver kills it a little after.
    pub fn timeout(mut self, timeout: Duration) -> Sipp {
        self.timeout = timeout;
        self
    }

    /// Also write every message in full (`-trace_msg`, `messages.log` in the run's directory).
    pub fn trace_messages(mut self, on: bool) -> Sipp {
        self.trace_messages = on;
        self
    }

    /// Any other SIPp argument.
    pub fn arg(mut self, arg: &str) -> Sipp {
        self.extra.push(arg.to_string());
        self
    }

    /// Starts SIPp and returns once it has bound its port (or already finished).
    pub fn spawn(self) -> Result<SippProcess> {
        if !self.scenario.is_file() {
            bail!("no SIPp scenario {}", self.scenario.display());
        }
        let mut last_error = None;
        for _ in 0..BIND_ATTEMPTS {
            let port = match self.port {
                Some(port) => port,
                None => free_udp_tcp_port()?,
            };
            match self.spawn_on(port)? {
                Started::Running(process) => return Ok(process),
                Started::BindFailed(e) if self.port.is_none() => last_error = Some(e),
                Started::BindFailed(e) => bail!("{e}"),
            }
        }
        bail!(
            "SIPp could not bind a port in {BIND_ATTEMPTS} attempts: {}",
            last_error.unwrap_or_default()
        )
    }

    /// [`Sipp::spawn`], then [`SippProcess::wait`].
    pub fn run(self) -> Result<SippOutcome> {
        self.spawn()?.wait()
    }

    fn args(&self, port: u16) -> Vec<String> {
        let mut args: Vec<String> = Vec::new();
        if let Some(remote) = self.remote {
            args.push(remote.to_string());
        }
        let mut push = |a: &str, b: String| {
            args.push(a.to_string());
            args.push(b);
        };
        push("-sf", self.scenario.to_string_lossy().into_owned());
        push("-i", "127.0.0.1".into());
        push("-mi", "127.0.0.1".into());
        push("-p", port.to_string());
        push("-t", self.transport.sipp_flag().into());
        if let Some(calls) = self.calls {
            push("-m", calls.to_string());
        }
        if let Some(rate) = self.rate {
            push("-r", format!("{rate}"));
        }
        if let Some(limit) = self.limit {
            push("-l", limit.to_string());
        }
        if let Some(pause) = self.pause {
            push("-d", pause.as_millis().to_string());
        }
        push("-timeout", format!("{}s", self.timeout.as_secs().max(1)));
        push("-stf", STAT_FILE.into());
        push("-fd", "1".into());
        push("-screen_file", SCREEN_FILE.into());
        push("-error_file", ERROR_FILE.into());
        push("-shortmessage_file", SHORT_MESSAGE_FILE.into());
        push("-log_file", LOG_FILE.into());
        if self.trace_messages {
            push("-message_file", MESSAGE_FILE.into());
            args.push("-trace_msg".into());
        }
        for flag in [
            "-nostdin",
            "-timeout_error",
            "-trace_stat",
            "-trace_screen",
            "-trace_err",
            "-trace_shortmsg",
            "-trace_logs",
        ] {
            args.push(flag.into());
        }
        for (name, value) in &self.keys {
            args.extend(["-key".to_string(), name.clone(), value.clone()]);
        }
        args.extend(self.extra.iter().cloned());
        args
    }

    fn spawn_on(&self, port: u16) -> Result<Started> {
        let name = self
            .scenario
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = tempfile::Builder::new()
            .prefix(&format!("sipp-{name}-"))
            .tempdir()
            .context("cannot create a SIPp run directory")?;
        let args = self.args(port);
        let command_line = format!("sipp {}", args.join(" "));
        let child = Command::new("sipp")
            .args(&args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(File::create(dir.path().join(STDOUT_FILE))?)
            .stderr(File::create(dir.path().join(STDERR_FILE))?)
            .spawn()
            .context("cannot start sipp (Debian package sip-tester)")?;
        let mut process = SippProcess {
            run: Some(Run { child, dir }),
            port,
            transport: self.transport,
            deadline: Instant::now() + self.timeout + KILL_GRACE,
            command_line,
        };
        let bind_deadline = Instant::now() + BIND_TIMEOUT;
        loop {
            if let Some(code) = process.exit_code_if_done()? {
                if code == EXIT_BIND_ERROR {
                    return Ok(Started::BindFailed(format!(
                        "{} on port {port}: {}",
                        process.command_line,
                        tail(&process.read(STDERR_FILE), 3)
                    )));
                }
                return Ok(Started::Running(process));
            }
            if is_bound(port, self.transport) {
                return Ok(Started::Running(process));
            }
            if Instant::now() >= bind_deadline {
                bail!(
                    "{} did not bind port {port} within {BIND_TIMEOUT:?}",
                    process.command_line
                );
            }
            thread::sleep(POLL);
        }
    }
}

enum Started {
    Running(SippProcess),
    BindFailed(String),
}

/// Whether something holds `port` on 127.0.0.1 for `transport` (a listener, for TCP).
fn is_bound(port: u16, transport: Transport) -> bool {
    match transport {
        Transport::Udp => UdpSocket::bind(("127.0.0.1", port)).is_err(),
        Transport::Tcp => TcpListener::bind(("127.0.0.1", port)).is_err(),
    }
}

/// A running SIPp. Killed when dropped.
#[derive(Debug)]
pub struct SippProcess {
    /// `None` only after `wait`/`stop` took it (they consume the process).
    run: Option<Run>,
    port: u16,
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
    /// The local port SIPp listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
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

    fn exit_code_if_done(&mut self) -> Result<Option<i32>> {
        let Some(run) = self.run.as_mut() else {
            return Ok(Some(-1));
        };
        Ok(run
            .child
            .try_wait()
            .context("cannot wait for sipp")?
            .map(|s| s.code().unwrap_or(-1)))
    }

    fn read(&self, name: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uac_arguments_carry_remote_port_transport_keys_and_traces() {
        let sipp = Sipp::uac("uac.xml", "127.0.0.1:5060".parse().unwrap())
            .transport(Transport::Tcp)
            .calls(10)
            .rate(200.0)
            .limit(50)
            .pause(Duration::from_millis(1500))
            .uas_port(5070)
            .caller("alice")
            .timeout(Duration::from_secs(30));
        let args = sipp.args(5080).join(" ");
        for want in [
            "127.0.0.1:5060 -sf ",
            "-p 5080",
            "-t t1",
            "-m 10",
            "-r 200",
            "-l 50",
            "-d 1500",
            "-timeout 30s",
            "-key caller alice",
            "-key uas_host 127.0.0.1",
            "-key uas_port 5070",
            "-nostdin",
            "-trace_stat",
            "-trace_shortmsg",
        ] {
            assert!(args.contains(want), "{want:?} missing in {args}");
        }
        assert!(args.starts_with("127.0.0.1:5060"));
    }

    #[test]
    fn uas_arguments_have_no_remote() {
        let args = Sipp::uas("uas.xml").args(5090);
        assert_eq!(args[0], "-sf");
        assert!(args[1].ends_with("scenarios/uas.xml"));
    }

    #[test]
    fn every_scenario_named_in_the_docs_exists() {
        for name in [
            "uac.xml",
            "uas.xml",
            "uac_long.xml",
            "uas_long.xml",
            "uac_cancel.xml",
            "uas_ringing.xml",
            "uas_busy.xml",
            "uac_expect_486.xml",
            "uac_reinvite.xml",
            "uas_reinvite.xml",
            "uas_bye.xml",
        ] {
            assert!(scenario(name).is_file(), "{name}");
        }
    }
}
