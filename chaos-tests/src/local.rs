//! [`LocalCluster`]: the [`ChaosCluster`] of `dialogd` processes on 127.0.0.1, built on the test
//! harness's [`DialogdCluster`] (fixed ports per member, one data dir each, SIGKILL, SIGTERM
//! and restart on the same data). Pausing is SIGSTOP/SIGCONT of the member's pid. A shared
//! Record-Route is one member's `127.0.0.1:port` in every member's `sip_record_route`: the
//! stand-in for a name that resolves to every member.
//!
//! A paused member still accepts TCP connections (the kernel queues them) but never answers, so
//! every query here skips paused members: asking one would only wait for dialogctl's timeout.
//! Partitions and netem need network namespaces or containers: not offered.

use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use dialogd_test_support::{Dialogctl, DialogdCluster, try_binary};

use crate::backend::{ChaosCluster, Fault};
use crate::config::RecordRoute;

/// Three (or `n`) local `dialogd` processes. Every member is killed when this drops.
#[derive(Debug)]
pub struct LocalCluster {
    cluster: DialogdCluster,
    paused: Vec<bool>,
}

impl LocalCluster {
    /// Starts `n` members (see [`crate::backend::Backend::start`]) and waits for one leader.
    pub fn start(
        n: usize,
        cluster_keys: &str,
        config: &str,
        record_route: RecordRoute,
    ) -> Result<LocalCluster> {
        // The harness panics on a missing binary: find (or build) them here, as errors.
        for name in ["dialogd", "dialogctl"] {
            try_binary(name).with_context(|| format!("no {name} binary next to this program"))?;
        }
        let cluster = match record_route {
            RecordRoute::Own => DialogdCluster::start(n, cluster_keys, config),
            RecordRoute::Shared(member) => {
                DialogdCluster::start_sharing_record_route(n, cluster_keys, config, member)
            }
        }
        .context("the local cluster did not form")?;
        Ok(LocalCluster {
            cluster,
            paused: vec![false; n],
        })
    }

    /// `Ok` for the faults local processes can take, else why not.
    pub fn supports(fault: Fault) -> Result<(), String> {
        match fault {
            Fault::Kill | Fault::Stop | Fault::Pause => Ok(()),
            Fault::Partition => Err("local mode: cutting a member off needs network namespaces \
                 or containers (all members share 127.0.0.1); the docker backend (--backend docker) offers it"
                .to_owned()),
            Fault::Netem => Err("local mode: tc netem shapes a network interface, and the \
                 members share the loopback device with everything else on the machine; the \
                 docker backend will offer it per container"
                .to_owned()),
        }
    }

    fn signal(&self, i: usize, signal: &str) -> Result<()> {
        let pid = self.cluster.node(i)?.pid();
        let status = Command::new("kill")
            .arg(signal)
            .arg(pid.to_string())
            .status()
            .context("cannot run kill")?;
        if !status.success() {
            bail!("kill {signal} {pid} (member {}) failed: {status}", i + 1);
        }
        Ok(())
    }
}

impl ChaosCluster for LocalCluster {
    fn backend(&self) -> &'static str {
        "local"
    }

    fn len(&self) -> usize {
        self.cluster.len()
    }

    fn sip_addr(&self, i: usize) -> SocketAddr {
        self.cluster.spec(i).sip
    }

    fn dialogctl(&self, i: usize) -> Dialogctl {
        self.cluster.dialogctl(i)
    }

    fn is_serving(&self, i: usize) -> bool {
        self.cluster.node(i).is_ok_and(|n| n.is_alive()) && !self.paused[i]
    }

    fn kill9(&mut self, i: usize) -> Result<()> {
        self.paused[i] = false;
        self.cluster.kill9(i)
    }

    fn stop(&mut self, i: usize) -> Result<()> {
        if self.paused[i] {
            bail!("member {} is paused: resume it before a clean stop", i + 1);
        }
        self.cluster.stop(i)
    }

    fn restart(&mut self, i: usize) -> Result<()> {
        self.cluster.restart(i)
    }

    fn pause(&mut self, i: usize) -> Result<()> {
        self.signal(i, "-STOP")?;
        self.paused[i] = true;
        Ok(())
    }

    fn resume(&mut self, i: usize) -> Result<()> {
        self.signal(i, "-CONT")?;
        self.paused[i] = false;
        Ok(())
    }

    fn stderr_log(&self, i: usize) -> String {
        fs::read_to_string(self.cluster.spec(i).dir.join("stderr.log")).unwrap_or_default()
    }

    fn save_logs(&self, dir: &Path) -> Result<()> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for i in 0..self.len() {
            for name in ["stdout.log", "stderr.log", "dialogd.toml"] {
                let from = self.cluster.spec(i).dir.join(name);
                if from.is_file() {
                    let to = dir.join(format!("node{}.{name}", i + 1));
                    fs::copy(&from, &to)
                        .with_context(|| format!("cannot copy {}", from.display()))?;
                }
            }
        }
        Ok(())
    }
}
