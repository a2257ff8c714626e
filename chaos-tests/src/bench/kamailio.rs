//! Kamailio 5.x as the second backend: a record-routing stateful proxy with the dialog module
//! and one valued profile (`caller` = the From user), the same job dialogd's rule does. Started
//! in its own process group (`-DD`: it stays in the foreground, its workers are its children),
//! so stopping it reaches every worker; its memory is the PSS summed over those processes,
//! which share memory (`-m` MB of shared memory, `-M` 16 MB of private memory each).

use std::fs::{self, File};
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use dialogd_test_support::free_udp_tcp_port;

use super::commit::CommitMetric;
use super::interrupt;
use super::procfs::{process_tree, pss_kib, tree_cpu_seconds};
use super::proxy::Proxy;

/// How long Kamailio may take to bind its port.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long it may take to stop after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Where Debian and upstream packages put the modules.
const MODULE_DIRS: [&str; 3] = [
    "/usr/lib/x86_64-linux-gnu/kamailio/modules/",
    "/usr/lib/aarch64-linux-gnu/kamailio/modules/",
    "/usr/lib/kamailio/modules/",
];

/// Shared memory (MB) for call-rate steps; held-call runs ask for more.
pub const SHM_MB: u32 = 256;
/// Shared memory (MB) for held-call runs.
pub const HELD_SHM_MB: u32 = 2048;

/// `kamailio.cfg`: `children` UDP and TCP workers on 127.0.0.1:`port`.
pub fn config(port: u16, mpath: &str, children: u32) -> String {
    format!(
        r#"#!KAMAILIO
# Written by scripts/bench: a record-routing stateful proxy with the dialog module and one
# valued profile (the anchor of DESIGN.md section 8).
debug=0
log_stderror=yes
children={children}
tcp_children={children}
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
mpath="{mpath}"

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "dialog.so"

modparam("dialog", "profiles_with_value", "caller")

request_route {{
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (has_totag()) {{
        if (loose_route()) {{
            t_relay();
            exit;
        }}
        if (is_method("ACK")) {{
            if (t_check_trans()) {{
                t_relay();
            }}
            exit;
        }}
        sl_send_reply("404", "Not here");
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) {{
            t_relay();
        }}
        exit;
    }}
    t_check_trans();
    if (is_method("INVITE")) {{
        dlg_manage();
        set_dlg_profile("caller", "$fU");
        record_route();
    }}
    t_relay();
}}
"#
    )
}

/// `name` on the `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_string_lossy()
        .split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
}

/// A running Kamailio. Stopped (its whole process group) when dropped.
#[derive(Debug)]
pub struct Kamailio {
    child: Child,
    sip: SocketAddr,
}

impl Kamailio {
    /// Writes the config into `workdir` and starts Kamailio with `children` workers and
    /// `shm_mb` MB of shared memory; returns once it listens and its workers are up.
    pub fn start(workdir: &Path, children: u32, shm_mb: u32) -> Result<Kamailio> {
        let binary =
            which("kamailio").context("kamailio is not installed (Debian package kamailio)")?;
        let mpath = MODULE_DIRS
            .iter()
            .find(|d| Path::new(d).is_dir())
            .context("kamailio modules directory not found")?;
        let port = free_udp_tcp_port()?;
        let config_path = workdir.join("kamailio.cfg");
        fs::write(&config_path, config(port, mpath, children))
            .with_context(|| format!("cannot write {}", config_path.display()))?;
        let log = File::create(workdir.join("kamailio.log"))?;
        let child = Command::new(&binary)
            .arg("-f")
            .arg(&config_path)
            .args(["-DD", "-E", "-m", &shm_mb.to_string(), "-M", "16", "-P"])
            .arg(workdir.join("kamailio.pid"))
            .arg("-Y")
            .arg(workdir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut kamailio = Kamailio {
            child,
            sip: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        while UdpSocket::bind(kamailio.sip).is_ok() {
            if let Some(status) = kamailio.child.try_wait()? {
                bail!(
                    "kamailio exited with {status} (log in {})",
                    workdir.join("kamailio.log").display()
                );
            }
            if Instant::now() >= deadline {
                bail!("kamailio listening: not ready after {READY_TIMEOUT:?}");
            }
            interrupt::sleep(Duration::from_millis(50))?;
        }
        // The workers start after the listener.
        interrupt::sleep(Duration::from_millis(500))?;
        Ok(kamailio)
    }

    /// Sends `signal` to Kamailio's process group (its id is Kamailio's pid).
    fn signal_group(&self, signal: &str) {
        // Fails only when the group is gone already.
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
    }

    fn shut_down(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        self.signal_group("-TERM");
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        self.signal_group("-KILL");
        let _ = self.child.wait();
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Proxy for Kamailio {
    fn name(&self) -> &str {
        "kamailio"
    }

    fn slug(&self) -> &str {
        "kamailio"
    }

    fn nodes(&self) -> usize {
        1
    }

    fn alive(&self) -> bool {
        // try_wait needs `&mut`; /proc tells the same for a child not yet reaped.
        fs::read_to_string(format!("/proc/{}/stat", self.pid())).is_ok_and(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
    }

    fn sip_targets(&self, _per_node: bool) -> Vec<SocketAddr> {
        vec![self.sip]
    }

    fn commit_snapshot(&self) -> Option<Vec<Option<CommitMetric>>> {
        None
    }

    fn cpu_seconds(&self) -> f64 {
        tree_cpu_seconds(self.pid())
    }

    fn memory_mib(&self) -> f64 {
        process_tree(self.pid())
            .into_iter()
            .map(pss_kib)
            .sum::<u64>() as f64
            / 1024.0
    }

    fn stop(mut self: Box<Self>) {
        self.shut_down();
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        self.shut_down();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_listens_on_loopback_with_the_dialog_profile() {
        let cfg = config(5099, "/usr/lib/kamailio/modules/", 2);
        for want in [
            "children=2\ntcp_children=2\n",
            "listen=udp:127.0.0.1:5099\nlisten=tcp:127.0.0.1:5099\n",
            "mpath=\"/usr/lib/kamailio/modules/\"",
            "modparam(\"dialog\", \"profiles_with_value\", \"caller\")",
            "        dlg_manage();\n        set_dlg_profile(\"caller\", \"$fU\");\n",
            "request_route {\n",
        ] {
            assert!(cfg.contains(want), "{want:?} missing in\n{cfg}");
        }
    }
}
