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

use std::collections::BTreeMap;
use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::free_port::free_udp_tcp_port;
use crate::process::{POLL, tail};
use crate::sipp_outcome::{
    ERROR_FILE, LOG_FILE, MESSAGE_FILE, SCREEN_FILE, SHORT_MESSAGE_FILE, STAT_FILE, STDERR_FILE,
    STDOUT_FILE, SippOutcome,
};
use crate::sipp_process::SippProcess;
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
    local_ip: IpAddr,
    port: Option<u16>,
    calls: Option<u64>,
    rate: Option<f64>,
    limit: Option<u64>,
    pause: Option<Duration>,
    keys: BTreeMap<String, String>,
    timeout: Duration,
    trace_messages: bool,
    light_traces: bool,
    dir_in: Option<PathBuf>,
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
            local_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: None,
            calls: None,
            rate: None,
            limit: None,
            pause: None,
            keys,
            timeout: DEFAULT_TIMEOUT,
            trace_messages: false,
            light_traces: false,
            dir_in: None,
            extra: Vec::new(),
        }
    }

    /// Where the calls go (the first argument of a uac).
    pub(crate) fn remote(mut self, remote: SocketAddr) -> Sipp {
        self.remote = Some(remote);
        self
    }

    /// `-t u1` (default) or `-t t1`.
    pub fn transport(mut self, transport: Transport) -> Sipp {
        self.transport = transport;
        self
    }

    /// Local address (`-i`, `-mi`, and `[uas_host]` of the uac scenarios); default 127.0.0.1.
    /// For peers in containers: the host's address on their network.
    pub fn local_ip(mut self, ip: IpAddr) -> Sipp {
        self.local_ip = ip;
        self.key("uas_host", &ip.to_string())
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

    /// Only the statistics CSV, the error log and the scenario's `<log>` lines: no short
    /// message log and no screen dump, which cost SIPp CPU and disk at thousands of messages a
    /// second (a load run). [`SippOutcome::messages`] is empty then.
    pub fn light_traces(mut self) -> Sipp {
        self.light_traces = true;
        self
    }

    /// Makes the run's directory inside `parent` and leaves it there when the run ends (the
    /// caller owns `parent` and removes it); default: a temporary directory removed on drop.
    pub fn dir_in(mut self, parent: &Path) -> Sipp {
        self.dir_in = Some(parent.to_path_buf());
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

    pub(crate) fn args(&self, port: u16) -> Vec<String> {
        let mut args: Vec<String> = Vec::new();
        if let Some(remote) = self.remote {
            args.push(remote.to_string());
        }
        let mut push = |a: &str, b: String| {
            args.push(a.to_string());
            args.push(b);
        };
        push("-sf", self.scenario.to_string_lossy().into_owned());
        push("-i", self.local_ip.to_string());
        push("-mi", self.local_ip.to_string());
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
        push("-error_file", ERROR_FILE.into());
        push("-log_file", LOG_FILE.into());
        if !self.light_traces {
            push("-screen_file", SCREEN_FILE.into());
            push("-shortmessage_file", SHORT_MESSAGE_FILE.into());
        }
        if self.trace_messages {
            push("-message_file", MESSAGE_FILE.into());
            args.push("-trace_msg".into());
        }
        for flag in [
            "-nostdin",
            "-timeout_error",
            "-trace_stat",
            "-trace_err",
            "-trace_logs",
        ] {
            args.push(flag.into());
        }
        if !self.light_traces {
            args.extend(["-trace_screen".into(), "-trace_shortmsg".into()]);
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
        let prefix = format!("sipp-{name}-");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix);
        let dir = match &self.dir_in {
            Some(parent) => {
                let mut dir = builder.tempdir_in(parent).with_context(|| {
                    format!("cannot create a SIPp run directory in {}", parent.display())
                })?;
                dir.disable_cleanup(true);
                dir
            }
            None => builder
                .tempdir()
                .context("cannot create a SIPp run directory")?,
        };
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
        let mut process = SippProcess::new(
            child,
            dir,
            SocketAddr::new(self.local_ip, port),
            self.transport,
            Instant::now() + self.timeout + KILL_GRACE,
            command_line,
        );
        let bind_deadline = Instant::now() + BIND_TIMEOUT;
        loop {
            if let Some(code) = process.exit_code_if_done()? {
                if code == EXIT_BIND_ERROR {
                    return Ok(Started::BindFailed(format!(
                        "{} on port {port}: {}",
                        process.command_line(),
                        tail(&process.read(STDERR_FILE), 3)
                    )));
                }
                return Ok(Started::Running(process));
            }
            if is_bound(self.local_ip, port, self.transport) {
                return Ok(Started::Running(process));
            }
            if Instant::now() >= bind_deadline {
                bail!(
                    "{} did not bind port {port} within {BIND_TIMEOUT:?}",
                    process.command_line()
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

/// Whether something holds `port` on `ip` for `transport` (a listener, for TCP).
fn is_bound(ip: IpAddr, port: u16, transport: Transport) -> bool {
    match transport {
        Transport::Udp => UdpSocket::bind((ip, port)).is_err(),
        Transport::Tcp => TcpListener::bind((ip, port)).is_err(),
    }
}

#[cfg(test)]
#[path = "sipp_tests.rs"]
mod tests;
