//! One `dialogd` process for a test: config and data in a fresh temporary directory, every
//! listener on 127.0.0.1 port 0, stdout and stderr captured to files, readiness and ports taken
//! from `<data_dir>/endpoints.json`, killed when the handle drops.
//!
//! Must not reuse anything between nodes (each has its own directory) nor outlive its test: the
//! process is killed on drop, and when the test is failing (panicking) the log tail is printed
//! and the directory kept for a look.

use std::fs::{self, File};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use tempfile::TempDir;

use crate::binary::binary;
use crate::dialogctl::Dialogctl;
use crate::process::{POLL, kill, tail, wait_with_timeout};

/// How long a node may take to write `endpoints.json`.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// Lines of log printed when a test fails with a node up.
const TAIL_ON_FAILURE: usize = 80;

/// Where a node listens, from its `endpoints.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoints {
    /// SIP, UDP and TCP on the same address.
    pub sip: SocketAddr,
    pub grpc: SocketAddr,
    pub metrics: SocketAddr,
}

impl Endpoints {
    /// Parses `{"sip":"127.0.0.1:P","grpc":"127.0.0.1:P","metrics":"127.0.0.1:P"}`.
    pub fn parse(json: &str) -> Result<Endpoints> {
        let value: Value = serde_json::from_str(json).context("endpoints.json is not JSON")?;
        let addr = |key: &str| -> Result<SocketAddr> {
            let text = value
                .get(key)
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("endpoints.json has no string {key:?}: {json}"))?;
            text.parse()
                .with_context(|| format!("endpoints.json {key:?} = {text:?} is not an address"))
        };
        Ok(Endpoints {
            sip: addr("sip")?,
            grpc: addr("grpc")?,
            metrics: addr("metrics")?,
        })
    }

    /// The gRPC address as `dialogctl --addr` takes it.
    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc)
    }
}

/// A running `dialogd`. See the module doc.
#[derive(Debug)]
pub struct DialogdNode {
    child: Mutex<Child>,
    pid: u32,
    /// The temporary directory this handle removes (none for a cluster member, whose
    /// directory outlives restarts).
    owned_dir: Option<TempDir>,
    dir: PathBuf,
    config_path: PathBuf,
    data_dir: PathBuf,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
    endpoints: Endpoints,
}

impl DialogdNode {
    /// Starts the workspace's `dialogd` binary ([`binary`]) with a config made of the base keys
    /// (`node_id`, `data_dir`, the three listen addresses on port 0) followed by `extra_toml`,
    /// which may hold tables (`[dialog]`, `[[rules]]`) but must not repeat the base keys.
    pub fn start(extra_toml: &str) -> Result<DialogdNode> {
        DialogdNode::start_with(&binary("dialogd"), extra_toml)
    }

    /// [`DialogdNode::start`] with an explicit binary (e.g. `env!("CARGO_BIN_EXE_dialogd")`).
    pub fn start_with(binary: &Path, extra_toml: &str) -> Result<DialogdNode> {
        let dir = tempfile::Builder::new()
            .prefix("dialogd-node-")
            .tempdir()
            .context("cannot create the node's temporary directory")?;
        let data_dir = dir.path().join("data");
        let text = config_text(&data_dir, extra_toml);
        DialogdNode::spawn(
            binary,
            dir.path().to_path_buf(),
            Some(dir),
            &data_dir,
            &text,
            None,
        )
    }

    /// Starts `dialogd` in `dir` (kept after the process ends: a restart finds its data) with
    /// this whole config text, whose `data_dir` must be `data_dir`. A stale `endpoints.json`
    /// from an earlier run is removed first; logs are appended to `dir/stdout.log`,
    /// `dir/stderr.log`.
    pub fn start_in(binary: &Path, dir: &Path, data_dir: &Path, text: &str) -> Result<DialogdNode> {
        DialogdNode::start_in_with_log(binary, dir, data_dir, text, None)
    }

    /// [`DialogdNode::start_in`] with `RUST_LOG` set to `rust_log` (None: the runner's
    /// `RUST_LOG`, else `info,openraft=warn`).
    pub fn start_in_with_log(
        binary: &Path,
        dir: &Path,
        data_dir: &Path,
        text: &str,
        rust_log: Option<&str>,
    ) -> Result<DialogdNode> {
        let _ = fs::remove_file(data_dir.join("endpoints.json"));
        DialogdNode::spawn(binary, dir.to_path_buf(), None, data_dir, text, rust_log)
    }

    fn spawn(
        binary: &Path,
        dir: PathBuf,
        owned_dir: Option<TempDir>,
        data_dir: &Path,
        text: &str,
        rust_log: Option<&str>,
    ) -> Result<DialogdNode> {
        let data_dir = data_dir.to_path_buf();
        fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        let config_path = dir.join("dialogd.toml");
        fs::write(&config_path, text)
            .with_context(|| format!("cannot write {}", config_path.display()))?;
        let stdout_path = dir.join("stdout.log");
        let stderr_path = dir.join("stderr.log");
        let append = |p: &Path| File::options().create(true).append(true).open(p);

        let mut command = Command::new(binary);
        command
            .arg("--config")
            .arg(&config_path)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(append(&stdout_path)?)
            .stderr(append(&stderr_path)?);
        // The node reads DIALOGD_* overrides: keep the runner's environment out of the test.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("DIALOGD_") {
                command.env_remove(key);
            }
        }
        match rust_log {
            Some(filter) => {
                command.env("RUST_LOG", filter);
            }
            None if std::env::var_os("RUST_LOG").is_none() => {
                command.env("RUST_LOG", "info,openraft=warn");
            }
            None => {}
        }
        command.env("RUST_BACKTRACE", "1").env("NO_COLOR", "1");
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let pid = child.id();

        let mut node = DialogdNode {
            child: Mutex::new(child),
            pid,
            owned_dir,
            dir,
            config_path,
            data_dir,
            stdout_path,
            stderr_path,
            endpoints: Endpoints {
                sip: SocketAddr::from(([127, 0, 0, 1], 0)),
                grpc: SocketAddr::from(([127, 0, 0, 1], 0)),
                metrics: SocketAddr::from(([127, 0, 0, 1], 0)),
            },
        };
        node.endpoints = node.wait_ready().map_err(|e| {
            anyhow!(
                "dialogd did not become ready: {e:#}\n--- config ---\n{}\n--- log tail ---\n{}",
                fs::read_to_string(&node.config_path).unwrap_or_default(),
                tail(&node.log(), 40)
            )
        })?;
        Ok(node)
    }

    /// Asks the process to stop (SIGTERM, a clean shutdown) and waits up to 10 s for it,
    /// then kills it.
    pub fn terminate(&self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(mut child) = self.child.lock()
                && matches!(child.try_wait(), Ok(Some(_)))
            {
                return;
            }
            thread::sleep(POLL);
        }
        self.kill9();
    }

    /// Kills the process with SIGKILL (no shutdown) and waits for it to be gone.
    pub fn kill9(&self) {
        if let Ok(mut child) = self.child.lock() {
            kill(&mut child);
        }
    }

    /// Waits for `endpoints.json` (complete and parsable) and for the gRPC and metrics listeners
    /// to accept connections.
    fn wait_ready(&self) -> Result<Endpoints> {
        let path = self.data_dir.join("endpoints.json");
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut last = String::from("no endpoints.json yet");
        while Instant::now() < deadline {
            if let Some(status) = self.child()?.try_wait()? {
                bail!("dialogd exited with {status}");
            }
            match fs::read_to_string(&path)
                .map_err(anyhow::Error::from)
                .and_then(|t| Endpoints::parse(&t))
            {
                Ok(endpoints) if connects(endpoints.grpc) && connects(endpoints.metrics) => {
                    return Ok(endpoints);
                }
                Ok(endpoints) => last = format!("{endpoints:?} not accepting connections yet"),
                Err(e) => last = format!("{e:#}"),
            }
            thread::sleep(POLL);
        }
        bail!(
            "{} not ready after {READY_TIMEOUT:?}: {last}",
            path.display()
        )
    }

    fn child(&self) -> Result<MutexGuard<'_, Child>> {
        self.child
            .lock()
            .map_err(|_| anyhow!("dialogd child handle poisoned"))
    }

    /// Where the node listens.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The node's SIP address (UDP and TCP).
    pub fn sip_addr(&self) -> SocketAddr {
        self.endpoints.sip
    }

    /// `dialogctl` pointed at this node.
    pub fn dialogctl(&self) -> Dialogctl {
        Dialogctl::new(self.endpoints.grpc_url())
    }

    /// The process id (for /proc readings).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The node's temporary directory (config, data, logs).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Everything the node printed so far, stdout then stderr.
    pub fn log(&self) -> String {
        let read = |p: &Path| fs::read_to_string(p).unwrap_or_default();
        let (out, err) = (read(&self.stdout_path), read(&self.stderr_path));
        match (out.is_empty(), err.is_empty()) {
            (_, true) => out,
            (true, false) => err,
            (false, false) => format!("{out}\n{err}"),
        }
    }

    /// Whether the process is still running.
    pub fn is_alive(&self) -> bool {
        match self.child() {
            Ok(mut child) => matches!(child.try_wait(), Ok(None)),
            Err(_) => false,
        }
    }

    /// Waits up to `timeout` for the process to end by itself: its exit status, or `None` if
    /// it still runs then (it is not killed).
    pub fn wait_exit(&self, timeout: Duration) -> Result<Option<ExitStatus>> {
        let mut child = self.child()?;
        wait_with_timeout(&mut child, timeout)
    }

    /// Panics, with the log tail, if the process has exited.
    pub fn assert_alive(&self) {
        if !self.is_alive() {
            panic!(
                "dialogd (pid {}) is not running any more; log tail:\n{}",
                self.pid,
                tail(&self.log(), TAIL_ON_FAILURE)
            );
        }
    }
}

impl Drop for DialogdNode {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.lock() {
            kill(&mut child);
        }
        if thread::panicking() {
            if let Some(d) = self.owned_dir.as_mut() {
                d.disable_cleanup(true);
            }
            eprintln!(
                "--- dialogd (pid {}) log tail; files kept in {} ---\n{}\n--- end of dialogd log ---",
                self.pid,
                self.dir.display(),
                tail(&self.log(), TAIL_ON_FAILURE)
            );
        }
    }
}

/// The base keys, then the test's own TOML.
fn config_text(data_dir: &Path, extra_toml: &str) -> String {
    format!(
        "# written by dialogd-test-support\n\
         node_id = 1\n\
         data_dir = {}\n\
         sip_listen = \"127.0.0.1:0\"\n\
         grpc_listen = \"127.0.0.1:0\"\n\
         metrics_listen = \"127.0.0.1:0\"\n\
         \n{extra_toml}\n",
        toml_string(&data_dir.to_string_lossy())
    )
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn connects(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

#[cfg(test)]
#[path = "node_tests.rs"]
mod tests;
