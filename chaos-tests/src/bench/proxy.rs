//! The proxies under test: [`Proxy`] is what a step needs of one (where to send calls, its CPU
//! time, memory and commit metric, whether it still runs); [`Dialogd`] is a cluster of release
//! `dialogd` processes on the test harness's [`DialogdCluster`], [`super::kamailio::Kamailio`]
//! the other backend.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use dialogd_test_support::{ClusterOptions, DialogdCluster, http_get};

use super::commit::{self, CommitMetric};
use super::procfs::{rss_kib, tree_cpu_seconds};

/// `[dialog] secret` shared by the members.
const CLUSTER_SECRET: &str = "dialogd-bench-shared-secret";

/// What follows the harness's keys in every member's config: the shared secret, the flood
/// exemption and one valued profile per caller.
fn member_toml(passivate_after: Option<u64>) -> String {
    format!(
        "[dialog]\n\
         secret = \"{CLUSTER_SECRET}\"\n\
         {}\
         \n\
         # SIPp's uac is a trunk sending thousands of requests/s from one address: exempt from\n\
         # flood control, as an operator lists such a trunk (every other default kept).\n\
         [flood]\n\
         exempt = [\"127.0.0.1\"]\n\
         \n\
         [[rules]]\n\
         name = \"per-caller\"\n\
         match = {{ method = \"INVITE\" }}\n\
         profiles = [{{ name = \"caller\", value = \"${{from_user}}\" }}]\n",
        passivate_after
            .map(|p| format!("passivate_after = {p}\n"))
            .unwrap_or_default()
    )
}

/// A proxy a step measures.
pub trait Proxy {
    /// Its name in the tables.
    fn name(&self) -> &str;
    /// Its name in file names.
    fn slug(&self) -> &str;
    /// Processes that proxy calls (cluster members; 1 for Kamailio).
    fn nodes(&self) -> usize;
    /// Whether every process still runs.
    fn alive(&self) -> bool;
    /// Where uacs send calls: the first node, or (`per_node`) every node.
    fn sip_targets(&self, per_node: bool) -> Vec<SocketAddr>;
    /// The admission commit metric of every node (`None` where unreadable); `None` for a proxy
    /// without it.
    fn commit_snapshot(&self) -> Option<Vec<Option<CommitMetric>>>;
    /// CPU seconds used so far by all its processes.
    fn cpu_seconds(&self) -> f64;
    /// Its memory in MiB (see [`super::table::RateRow::mem_mib`]).
    fn memory_mib(&self) -> f64;
    /// Stops it cleanly (SIGTERM, then SIGKILL after a while).
    fn stop(self: Box<Self>);
}

/// How dialogd nodes are started.
#[derive(Debug, Clone)]
pub struct DialogdSetup {
    pub dialogd: PathBuf,
    pub dialogctl: PathBuf,
    /// `RUST_LOG` of the nodes.
    pub log: String,
    /// `[cluster] fsync`, when set.
    pub fsync: Option<String>,
}

/// `nodes` release dialogd processes forming one cluster (1: the embedded cluster of one).
#[derive(Debug)]
pub struct Dialogd {
    cluster: DialogdCluster,
    name: String,
    slug: String,
    leader_id: u64,
}

impl Dialogd {
    /// Starts node 1, then nodes 2..`nodes` joining it, in a directory under `workdir`, and
    /// waits until every node sees `nodes` voters and one leader. `passivate_after`: that
    /// `[dialog] passivate_after` (0: no dialog parks).
    pub fn start(
        setup: &DialogdSetup,
        workdir: &Path,
        nodes: usize,
        passivate_after: Option<u64>,
    ) -> Result<Dialogd> {
        let mut name = if nodes == 1 {
            "dialogd".to_owned()
        } else {
            format!("dialogd ×{nodes}")
        };
        let mut slug = format!("dialogd{nodes}");
        if let Some(p) = passivate_after {
            name.push_str(&format!(" (passivate_after {p})"));
            slug.push_str(&format!("-p{p}"));
        }
        let dir = workdir.join(&slug);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let cluster_keys = setup
            .fsync
            .as_ref()
            .map(|f| format!("fsync = \"{f}\"\n"))
            .unwrap_or_default();
        let options = ClusterOptions {
            dialogd: Some(setup.dialogd.clone()),
            dialogctl: Some(setup.dialogctl.clone()),
            rust_log: Some(setup.log.clone()),
            dir_in: Some(dir),
            ..ClusterOptions::default()
        };
        let cluster = DialogdCluster::start_with(
            nodes,
            &cluster_keys,
            &member_toml(passivate_after),
            options,
        )
        .with_context(|| format!("{name} did not start"))?;
        let leader = cluster.wait_voters(nodes)?;
        Ok(Dialogd {
            cluster,
            name,
            slug,
            leader_id: leader as u64 + 1,
        })
    }

    /// The leader's node id once the cluster formed.
    pub fn leader_id(&self) -> u64 {
        self.leader_id
    }

    fn pids(&self) -> Vec<u32> {
        (0..self.cluster.len())
            .filter_map(|i| self.cluster.node(i).ok().map(|n| n.pid()))
            .collect()
    }
}

impl Proxy for Dialogd {
    fn name(&self) -> &str {
        &self.name
    }

    fn slug(&self) -> &str {
        &self.slug
    }

    fn nodes(&self) -> usize {
        self.cluster.len()
    }

    fn alive(&self) -> bool {
        (0..self.cluster.len()).all(|i| self.cluster.node(i).is_ok_and(|n| n.is_alive()))
    }

    fn sip_targets(&self, per_node: bool) -> Vec<SocketAddr> {
        let n = if per_node { self.cluster.len() } else { 1 };
        (0..n).map(|i| self.cluster.spec(i).sip).collect()
    }

    fn commit_snapshot(&self) -> Option<Vec<Option<CommitMetric>>> {
        Some(
            (0..self.cluster.len())
                .map(
                    |i| match http_get(self.cluster.spec(i).metrics, "/metrics") {
                        Ok((200, body)) => Some(commit::parse(&body)),
                        _ => None,
                    },
                )
                .collect(),
        )
    }

    fn cpu_seconds(&self) -> f64 {
        self.pids().into_iter().map(tree_cpu_seconds).sum()
    }

    fn memory_mib(&self) -> f64 {
        self.pids().into_iter().map(rss_kib).sum::<u64>() as f64 / 1024.0
    }

    fn stop(mut self: Box<Self>) {
        for i in (0..self.cluster.len()).rev() {
            // A member that is not running any more has nothing to stop.
            let _ = self.cluster.stop(i);
        }
    }
}
