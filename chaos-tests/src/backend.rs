//! Where a scenario's cluster runs: the [`ChaosCluster`] trait the scenarios drive (addresses,
//! the operator CLI, faults, the leader) and [`Backend`], the choice of implementation.
//!
//! Two backends: [`Backend::Local`], three `dialogd` processes on 127.0.0.1 started by the
//! test harness ([`crate::local::LocalCluster`]), and [`Backend::Docker`], the compose cluster
//! of `deploy/compose` ([`crate::docker::DockerCluster`]), which also offers the faults local
//! processes cannot ([`Fault::Partition`], [`Fault::Netem`]). The scenarios do not change. Only
//! the local backend gives its members a shared Record-Route ([`RecordRoute::Shared`]).
//!
//! Must not hold scenario logic: a backend only starts, breaks and heals members.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use dialogd_test_support::{Dialogctl, voters_and_leader, wait_until};
use serde::Serialize;

use crate::config::RecordRoute;
use crate::docker::DockerCluster;
use crate::local::LocalCluster;

/// A fault a scenario may inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// SIGKILL of a member's process.
    Kill,
    /// SIGTERM (a clean stop) of a member.
    Stop,
    /// SIGSTOP, later SIGCONT: the member freezes, sockets stay open.
    Pause,
    /// A member cut off from the others (network namespaces or containers).
    Partition,
    /// Delay, loss or reordering on a member's links (`tc netem`).
    Netem,
}

/// A cluster the scenarios can break. Members are numbered from 0; their addresses do not change
/// across restarts.
pub trait ChaosCluster {
    /// The backend's name, for reports (`local`).
    fn backend(&self) -> &'static str;

    /// Number of members.
    fn len(&self) -> usize;

    /// Whether there are no members.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Member `i`'s SIP address (UDP), where load is sent.
    fn sip_addr(&self, i: usize) -> SocketAddr;

    /// The address the members reach the load generator (SIPp on this host) at.
    fn load_ip(&self) -> IpAddr {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    }

    /// `dialogctl` against member `i`.
    fn dialogctl(&self, i: usize) -> Dialogctl;

    /// Whether member `i`'s process is up and not paused (it answers).
    fn is_serving(&self, i: usize) -> bool;

    /// Members that answer (running and not paused).
    fn serving(&self) -> Vec<usize> {
        (0..self.len()).filter(|i| self.is_serving(*i)).collect()
    }

    /// SIGKILL member `i` (its data stays).
    fn kill9(&mut self, i: usize) -> Result<()>;

    /// Stop member `i` cleanly (SIGTERM; its data stays).
    fn stop(&mut self, i: usize) -> Result<()>;

    /// Start member `i` again on its data.
    fn restart(&mut self, i: usize) -> Result<()>;

    /// Freeze member `i` (SIGSTOP).
    fn pause(&mut self, i: usize) -> Result<()>;

    /// Thaw member `i` (SIGCONT).
    fn resume(&mut self, i: usize) -> Result<()>;

    /// Cuts member `i` off from the other members (its SIP side stays reachable).
    fn partition(&mut self, i: usize) -> Result<()> {
        bail!(
            "the {} backend cannot cut member {} off",
            self.backend(),
            i + 1
        )
    }

    /// Undoes [`ChaosCluster::partition`].
    fn reconnect(&mut self, i: usize) -> Result<()> {
        bail!(
            "member {} was not cut off ({} backend)",
            i + 1,
            self.backend()
        )
    }

    /// Adds delay and loss to member `i`'s SIP traffic; says what was added.
    fn shape(&mut self, i: usize) -> Result<String> {
        bail!(
            "the {} backend cannot shape member {}'s traffic",
            self.backend(),
            i + 1
        )
    }

    /// Undoes [`ChaosCluster::shape`].
    fn unshape(&mut self, i: usize) -> Result<()> {
        bail!(
            "member {}'s traffic was not shaped ({} backend)",
            i + 1,
            self.backend()
        )
    }

    /// How long a leader election or the forming of the cluster may take.
    fn leader_timeout(&self) -> Duration {
        Duration::from_secs(30)
    }

    /// Member `i`'s voters and leader (`dialogctl cluster members`).
    fn voters_and_leader(&self, i: usize) -> Result<(usize, Option<u64>)> {
        Ok(voters_and_leader(
            &self.dialogctl(i).json(&["cluster", "members"])?,
        ))
    }

    /// Waits until a serving member is the leader, as a serving member sees it; its index.
    fn wait_leader(&self) -> Result<usize> {
        wait_until(self.leader_timeout(), "a serving leader", || {
            for i in self.serving() {
                let Ok((_, Some(leader))) = self.voters_and_leader(i) else {
                    continue;
                };
                let idx = usize::try_from(leader)?.saturating_sub(1);
                if self.is_serving(idx) {
                    return Ok(idx);
                }
            }
            bail!("no serving member is the leader")
        })
    }

    /// Waits until every serving member sees all members as voters and the same leader.
    fn wait_formed(&self) -> Result<usize> {
        let n = self.len();
        wait_until(
            self.leader_timeout(),
            &format!("{n} voters and one leader"),
            || {
                let mut leaders = Vec::new();
                for i in self.serving() {
                    let (voters, leader) = self.voters_and_leader(i)?;
                    if voters != n {
                        bail!("member {} sees {voters} voters", i + 1);
                    }
                    leaders.push(leader);
                }
                match leaders.first() {
                    Some(Some(l)) if leaders.iter().all(|x| *x == Some(*l)) => {
                        Ok(usize::try_from(*l)?.saturating_sub(1))
                    }
                    _ => Err(anyhow!("members disagree on the leader: {leaders:?}")),
                }
            },
        )
    }

    /// Everything member `i` wrote to stderr, across its restarts.
    fn stderr_log(&self, i: usize) -> String;

    /// Copies every member's logs (stdout and stderr, across restarts) into `dir`.
    fn save_logs(&self, dir: &Path) -> Result<()>;
}

/// Which [`ChaosCluster`] implementation to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// `dialogd` processes on 127.0.0.1 (the workspace's binary).
    #[default]
    Local,
    /// The compose cluster of `deploy/compose` (image `dialogd:local`, built when missing);
    /// needs root, docker and docker-compose.
    Docker,
}

impl Backend {
    /// Starts a fresh cluster of `n` members: `cluster_keys` go into each member's `[cluster]`
    /// table, `config` (rules, `[dialog]`) is appended to each member's file, and every member
    /// writes `record_route` in Record-Route.
    pub fn start(
        self,
        n: usize,
        cluster_keys: &str,
        config: &str,
        record_route: RecordRoute,
    ) -> Result<Box<dyn ChaosCluster>> {
        match self {
            Backend::Local => Ok(Box::new(LocalCluster::start(
                n,
                cluster_keys,
                config,
                record_route,
            )?)),
            Backend::Docker => Ok(Box::new(DockerCluster::start(
                n,
                cluster_keys,
                config,
                record_route,
            )?)),
        }
    }

    /// `Ok` if this backend can inject `fault`, else why not.
    pub fn supports(self, fault: Fault) -> Result<(), String> {
        match self {
            Backend::Local => LocalCluster::supports(fault),
            Backend::Docker => DockerCluster::supports(fault),
        }
    }

    /// `Ok` if this backend can give its members `record_route`, else why not.
    pub fn supports_record_route(self, record_route: RecordRoute) -> Result<(), String> {
        match self {
            Backend::Local => Ok(()),
            Backend::Docker => DockerCluster::supports_record_route(record_route),
        }
    }
}
