//! [`DockerCluster`]: the [`ChaosCluster`] of the compose cluster of `deploy/compose` — three
//! `dialogd:local` containers on 172.28.0.0/24 — started as its own compose project
//! (`dialogd-chaos`) with the scenario's config mounted over the compose file's.
//!
//! The harness stays on the host: SIPp binds the host's address on the compose network
//! ([`GATEWAY`]), `dialogctl` (the workspace's binary) talks to each member's gRPC port.
//! Faults are Docker's and the kernel's:
//! - kill: `docker kill -s KILL`; clean stop: `docker stop`; restart: `docker start` (same
//!   container, same data volume);
//! - pause: `docker pause` (the cgroup freezer: nothing runs, sockets stay open);
//! - partition: iptables rules in the member's network namespace (entered with `nsenter` from
//!   the host; the image has no iptables) that drop everything to and from the other members:
//!   Raft and node-to-node gRPC are cut, SIP from the load (the host) still flows, so calls
//!   sent to the cut-off member show what it does without quorum;
//! - netem: `tc qdisc` in the member's network namespace, on SIP only (packets from UDP/TCP
//!   port 5060 leaving the member: every call through it crosses it twice), so Raft keeps
//!   its timing and what is measured is the SIP side. A kernel without `sch_netem` (seen on
//!   the project's CI machines) gets random loss on SIP in both directions from iptables'
//!   `statistic` match instead, and no delay; the report's timeline says which.
//!
//! A shared Record-Route is not offered: the host (where SIPp runs) resolves no name to all three
//! containers — a compose network alias resolves only inside the network, through Docker's DNS —
//! so the shared-rr scenarios run on the local backend only.
//!
//! Needs: root (nsenter, iptables, tc), docker, docker-compose, and the images (built here
//! with `deploy/docker/build-image.sh` when `dialogd:local` is missing). The compose file
//! names its containers (`dialogd-1` ...): a `deploy/compose` cluster that is up must be taken
//! down first, and is not touched here.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use dialogd_test_support::{Dialogctl, try_binary, workspace_root};

use crate::backend::{ChaosCluster, Fault};
use crate::config::RecordRoute;

/// The shared secret and API token of the chaos runs' compose cluster (on a private network
/// of this host, torn down after the run).
const CHAOS_SECRET: &str = "chaos-runs-secret-5f0c2a9e7b41d3c8";
const CHAOS_TOKEN: &str = "chaos-runs-token-8e3b6d1f0a92c4e7";

/// The compose project of the chaos runs.
const PROJECT: &str = "dialogd-chaos";
/// The image the compose file runs.
const IMAGE: &str = "dialogd:local";
/// The host's address on the compose network (its gateway): where SIPp listens.
pub const GATEWAY: Ipv4Addr = Ipv4Addr::new(172, 28, 0, 1);
/// SIP port of every member (the image's default).
const SIP_PORT: u16 = 5060;
/// gRPC port of every member.
const GRPC_PORT: u16 = 50051;
/// How long a leader election or the forming of the cluster may take.
const LEADER_TIMEOUT: Duration = Duration::from_secs(60);
/// Delay, jitter and loss of the netem fault, on SIP leaving the member.
const NETEM: &[&str] = &["delay", "60ms", "20ms", "loss", "2%"];
/// Loss per direction on SIP when the kernel has no netem.
const LOSS: &str = "0.05";

/// How a member's SIP traffic is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shaping {
    /// `tc netem` on SIP leaving the member.
    Netem,
    /// iptables `statistic` drops on SIP in and out.
    Loss,
}

/// Member `i`'s address on the compose network (172.28.0.11 ...).
fn member_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(172, 28, 0, 11 + i as u8)
}

/// Member `i`'s container name (the compose file's `container_name`).
fn container(i: usize) -> String {
    format!("dialogd-{}", i + 1)
}

/// The three compose members. Taken down (with their volumes) when this drops.
#[derive(Debug)]
pub struct DockerCluster {
    dir: tempfile::TempDir,
    files: [PathBuf; 2],
    paused: Vec<bool>,
    down: Vec<bool>,
    cut: Vec<bool>,
    shaped: Vec<Option<Shaping>>,
}

impl DockerCluster {
    /// Starts the compose cluster on a fresh project with `config` (rules, `[dialog]`) and
    /// `cluster_keys` in every member's file, and waits for a leader.
    pub fn start(
        n: usize,
        cluster_keys: &str,
        config: &str,
        record_route: RecordRoute,
    ) -> Result<DockerCluster> {
        if n != 3 {
            bail!("the docker backend runs the compose cluster: 3 members, not {n}");
        }
        DockerCluster::supports_record_route(record_route).map_err(anyhow::Error::msg)?;
        try_binary("dialogctl").context("no dialogctl binary next to this program")?;
        ensure_image()?;
        let dir = tempfile::Builder::new()
            .prefix("dialogd-chaos-compose-")
            .tempdir()
            .context("cannot create the compose directory")?;
        let config_path = dir.path().join("dialogd.toml");
        fs::write(
            &config_path,
            format!(
                "# written by dialogd-chaos-tests (docker backend)\n[cluster]\n{cluster_keys}\n{config}"
            ),
        )
        .context("cannot write the members' config")?;
        let override_path = dir.path().join("chaos.override.yml");
        fs::write(&override_path, override_file(n, &config_path))
            .context("cannot write the compose override")?;
        let base = workspace_root().join("deploy/compose/docker-compose.yml");
        let cluster = DockerCluster {
            dir,
            files: [base, override_path],
            paused: vec![false; n],
            down: vec![false; n],
            cut: vec![false; n],
            shaped: vec![None; n],
        };
        cluster.compose(&["down", "-v", "--remove-orphans"])?;
        cluster
            .compose(&["up", "-d", "--no-build"])
            .context("docker-compose up (is the deploy/compose cluster up? take it down first)")?;
        cluster.wait_formed()?;
        Ok(cluster)
    }

    /// `Ok`: the containers take every fault.
    pub fn supports(_fault: Fault) -> Result<(), String> {
        Ok(())
    }

    /// `Ok` for each member's own Record-Route; a shared one, why not (see the module doc).
    pub fn supports_record_route(record_route: RecordRoute) -> Result<(), String> {
        match record_route {
            RecordRoute::Own => Ok(()),
            RecordRoute::Shared(_) => Err("docker mode: no name the host resolves reaches all \
                 three containers (a compose network alias resolves only inside the network, \
                 through Docker's DNS), so the members have no shared Record-Route a caller on \
                 the host could follow; the local backend runs it, a survivor's address standing \
                 in for that name"
                .to_owned()),
        }
    }

    fn compose(&self, args: &[&str]) -> Result<Output> {
        let mut cmd = Command::new("docker-compose");
        // The compose file requires the operator's own secret and API token.
        cmd.env("DIALOGD_SECRET", CHAOS_SECRET)
            .env("DIALOGD_API_TOKEN", CHAOS_TOKEN);
        cmd.args(["-p", PROJECT]);
        for f in &self.files {
            cmd.arg("-f").arg(f);
        }
        cmd.args(args);
        run(cmd)
    }

    fn pid(&self, i: usize) -> Result<String> {
        let out = docker(&["inspect", "-f", "{{.State.Pid}}", &container(i)])?;
        let pid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if pid.is_empty() || pid == "0" {
            bail!("{} is not running", container(i));
        }
        Ok(pid)
    }

    /// Runs `program args` in member `i`'s network namespace.
    fn in_netns(&self, i: usize, program: &str, args: &[&str]) -> Result<Output> {
        let pid = self.pid(i)?;
        let mut cmd = Command::new("nsenter");
        cmd.args(["-t", &pid, "-n", program]).args(args);
        run(cmd)
    }

    fn firewall(&self, i: usize, action: &str) -> Result<()> {
        for j in (0..self.len()).filter(|j| *j != i) {
            let peer = member_ip(j).to_string();
            self.in_netns(
                i,
                "iptables",
                &["-w", action, "INPUT", "-s", &peer, "-j", "DROP"],
            )?;
            self.in_netns(
                i,
                "iptables",
                &["-w", action, "OUTPUT", "-d", &peer, "-j", "DROP"],
            )?;
        }
        Ok(())
    }

    /// `tc netem` on SIP leaving member `i`; what it added.
    fn netem(&self, i: usize) -> Result<String> {
        self.in_netns(
            i,
            "tc",
            &[
                "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "prio",
            ],
        )?;
        let mut netem = vec!["qdisc", "add", "dev", "eth0", "parent", "1:3", "netem"];
        netem.extend_from_slice(NETEM);
        if let Err(e) = self.in_netns(i, "tc", &netem) {
            let _ = self.in_netns(i, "tc", &["qdisc", "del", "dev", "eth0", "root"]);
            return Err(e);
        }
        for proto in ["17", "6"] {
            self.in_netns(
                i,
                "tc",
                &[
                    "filter", "add", "dev", "eth0", "parent", "1:0", "protocol", "ip", "prio", "1",
                    "u32", "match", "ip", "protocol", proto, "0xff", "match", "ip", "sport",
                    "5060", "0xffff", "flowid", "1:3",
                ],
            )?;
        }
        Ok(format!(
            "netem {} on SIP leaving node {}",
            NETEM.join(" "),
            i + 1
        ))
    }

    /// Adds (`-I`) or removes (`-D`) random drops of SIP over UDP in and out of member `i`.
    fn sip_loss(&self, i: usize, action: &str) -> Result<()> {
        let random = ["-m", "statistic", "--mode", "random", "--probability", LOSS];
        let mut input = vec!["-w", action, "INPUT", "-p", "udp", "--dport", "5060"];
        input.extend_from_slice(&random);
        input.extend_from_slice(&["-j", "DROP"]);
        self.in_netns(i, "iptables", &input)?;
        let mut output = vec!["-w", action, "OUTPUT", "-p", "udp", "--sport", "5060"];
        output.extend_from_slice(&random);
        output.extend_from_slice(&["-j", "DROP"]);
        self.in_netns(i, "iptables", &output)?;
        Ok(())
    }
}

impl Drop for DockerCluster {
    fn drop(&mut self) {
        for i in 0..self.len() {
            if self.paused[i] {
                let _ = docker(&["unpause", &container(i)]);
            }
        }
        if let Err(e) = self.compose(&["down", "-v", "--remove-orphans"]) {
            eprintln!("[chaos] docker-compose down failed: {e:#}");
        }
    }
}

impl ChaosCluster for DockerCluster {
    fn backend(&self) -> &'static str {
        "docker"
    }

    fn len(&self) -> usize {
        self.paused.len()
    }

    fn sip_addr(&self, i: usize) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(member_ip(i)), SIP_PORT)
    }

    fn leader_timeout(&self) -> Duration {
        LEADER_TIMEOUT
    }

    fn load_ip(&self) -> IpAddr {
        IpAddr::V4(GATEWAY)
    }

    fn dialogctl(&self, i: usize) -> Dialogctl {
        Dialogctl::new(format!("http://{}:{GRPC_PORT}", member_ip(i))).with_token(Some(CHAOS_TOKEN))
    }

    fn is_serving(&self, i: usize) -> bool {
        !self.paused[i] && !self.down[i] && !self.cut[i]
    }

    fn kill9(&mut self, i: usize) -> Result<()> {
        docker(&["kill", "-s", "KILL", &container(i)])?;
        self.paused[i] = false;
        self.down[i] = true;
        self.cut[i] = false;
        self.shaped[i] = None;
        Ok(())
    }

    fn stop(&mut self, i: usize) -> Result<()> {
        if self.paused[i] {
            bail!("member {} is paused: resume it before a clean stop", i + 1);
        }
        docker(&["stop", "-t", "30", &container(i)])?;
        self.down[i] = true;
        self.cut[i] = false;
        self.shaped[i] = None;
        Ok(())
    }

    fn restart(&mut self, i: usize) -> Result<()> {
        docker(&["start", &container(i)])?;
        self.down[i] = false;
        Ok(())
    }

    fn pause(&mut self, i: usize) -> Result<()> {
        docker(&["pause", &container(i)])?;
        self.paused[i] = true;
        Ok(())
    }

    fn resume(&mut self, i: usize) -> Result<()> {
        if !self.paused[i] {
            bail!("member {} is not paused", i + 1);
        }
        docker(&["unpause", &container(i)])?;
        self.paused[i] = false;
        Ok(())
    }

    fn partition(&mut self, i: usize) -> Result<()> {
        self.firewall(i, "-I")?;
        self.cut[i] = true;
        Ok(())
    }

    fn reconnect(&mut self, i: usize) -> Result<()> {
        if !self.cut[i] {
            bail!("member {} is not cut off", i + 1);
        }
        self.firewall(i, "-D")?;
        self.cut[i] = false;
        Ok(())
    }

    fn shape(&mut self, i: usize) -> Result<String> {
        match self.netem(i) {
            Ok(what) => {
                self.shaped[i] = Some(Shaping::Netem);
                Ok(what)
            }
            Err(e) if format!("{e:#}").contains("qdisc kind is unknown") => {
                self.sip_loss(i, "-I")?;
                self.shaped[i] = Some(Shaping::Loss);
                Ok(format!(
                    "{}% loss on SIP in and out of node {} (iptables; this kernel has no \
                     sch_netem, so no delay)",
                    LOSS.parse::<f64>().unwrap_or(0.0) * 100.0,
                    i + 1
                ))
            }
            Err(e) => Err(e),
        }
    }

    fn unshape(&mut self, i: usize) -> Result<()> {
        match self.shaped[i] {
            None => bail!("member {} has no netem", i + 1),
            Some(Shaping::Netem) => {
                self.in_netns(i, "tc", &["qdisc", "del", "dev", "eth0", "root"])?;
            }
            Some(Shaping::Loss) => self.sip_loss(i, "-D")?,
        }
        self.shaped[i] = None;
        Ok(())
    }

    fn stderr_log(&self, i: usize) -> String {
        docker(&["logs", &container(i)])
            .map(|o| {
                let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&o.stderr));
                text
            })
            .unwrap_or_default()
    }

    fn save_logs(&self, dir: &Path) -> Result<()> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for i in 0..self.len() {
            let to = dir.join(format!("node{}.log", i + 1));
            fs::write(&to, self.stderr_log(i))
                .with_context(|| format!("cannot write {}", to.display()))?;
        }
        let config = self.dir.path().join("dialogd.toml");
        fs::copy(&config, dir.join("dialogd.toml"))
            .with_context(|| format!("cannot copy {}", config.display()))?;
        Ok(())
    }
}

/// The compose override: the scenario's config over the compose file's, no restart policy (a
/// crash must stay visible, and `docker kill` must not be undone behind the harness's back).
fn override_file(n: usize, config: &Path) -> String {
    let mut text = String::from("# written by dialogd-chaos-tests\nservices:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  {}:\n    restart: \"no\"\n    volumes:\n      - {}:/etc/dialogd/dialogd.toml:ro\n",
            container(i),
            config.display()
        ));
    }
    text
}

/// Builds `dialogd:local` with `deploy/docker/build-image.sh` when it is missing.
fn ensure_image() -> Result<()> {
    if docker(&["image", "inspect", IMAGE]).is_ok() {
        return Ok(());
    }
    eprintln!("[chaos] no image {IMAGE}: building it (deploy/docker/build-image.sh)");
    let script = workspace_root().join("deploy/docker/build-image.sh");
    let status = Command::new(&script)
        .status()
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !status.success() {
        bail!("{} failed: {status}", script.display());
    }
    Ok(())
}

fn docker(args: &[&str]) -> Result<Output> {
    let mut cmd = Command::new("docker");
    cmd.args(args);
    run(cmd)
}

/// Runs `cmd`; an error with its output unless it exits 0.
fn run(mut cmd: Command) -> Result<Output> {
    let line = format!("{cmd:?}");
    let out = cmd.output().with_context(|| format!("cannot run {line}"))?;
    if !out.status.success() {
        bail!(
            "{line} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_have_the_compose_files_addresses_and_names() {
        assert_eq!(member_ip(0), Ipv4Addr::new(172, 28, 0, 11));
        assert_eq!(member_ip(2), Ipv4Addr::new(172, 28, 0, 13));
        assert_eq!(container(1), "dialogd-2");
        let compose =
            fs::read_to_string(workspace_root().join("deploy/compose/docker-compose.yml"))
                .unwrap_or_default();
        for i in 0..3 {
            assert!(compose.contains(&format!("container_name: {}", container(i))));
            assert!(compose.contains(&format!("ipv4_address: {}", member_ip(i))));
        }
        assert!(compose.contains("subnet: 172.28.0.0/24"), "{compose}");
    }

    #[test]
    fn the_override_mounts_the_config_into_every_member() {
        let text = override_file(3, Path::new("/tmp/x/dialogd.toml"));
        for i in 1..=3 {
            assert!(
                text.contains(&format!("  dialogd-{i}:\n    restart: \"no\"")),
                "{text}"
            );
        }
        assert_eq!(
            text.matches("- /tmp/x/dialogd.toml:/etc/dialogd/dialogd.toml:ro")
                .count(),
            3
        );
    }
}
