//! [`ClusterConfig`]: the `[cluster]` section — how this node joins and takes part in the
//! Raft group (DESIGN.md §4). A node with no `join` (and no Raft state in `data_dir`) is a
//! cluster of one: the embedded default.

use std::net::SocketAddr;
use std::time::Duration;

use dialogd_cluster::store::Fsync;
use dialogd_cluster::{ClusterSettings, NoQuorum};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::config_error::ConfigError;
use crate::keys::Secret;

/// Default `cluster.heartbeat_ms`.
pub const DEFAULT_HEARTBEAT_MS: u64 = 100;
/// Default `cluster.election_timeout_ms` (the range is this to twice this).
pub const DEFAULT_ELECTION_TIMEOUT_MS: u64 = 500;
/// Default `cluster.write_timeout_ms`.
pub const DEFAULT_WRITE_TIMEOUT_MS: u64 = 2_000;
/// Default `cluster.takeover_grace_secs`.
pub const DEFAULT_TAKEOVER_GRACE_SECS: u64 = 5;

/// `[cluster]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// gRPC URLs of members to join through (`http://10.0.0.1:50051`); any one member is
    /// enough. Empty: start as (or restart) a cluster of its own.
    pub join: Vec<String>,
    /// The gRPC URL other nodes reach this node at; default `http://<bound grpc address>`.
    /// Required when `grpc_listen` is a wildcard address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advertise: Option<String>,
    /// Root of the node-to-node key (HKDF-derived, [`crate::keys`]); empty: `dialog.secret`
    /// (which a cluster must share anyway), or the generated `node.secret` of a cluster of
    /// one. Also `DIALOGD_CLUSTER__SECRET`.
    pub secret: Secret,
    /// `always`: every Raft log write is fsynced before it counts (default); `never`: the OS
    /// writes it back later (faster; a power loss can lose the last writes of this node,
    /// which the other nodes still hold).
    pub fsync: Fsync,
    /// Raft heartbeat interval.
    pub heartbeat_ms: u64,
    /// Raft election timeout (randomized between this and twice this).
    pub election_timeout_ms: u64,
    /// How long an admission, release or update may wait for its commit.
    pub write_timeout_ms: u64,
    /// A node silent this long loses its dialogs to the live nodes.
    pub takeover_grace_secs: u64,
    /// `reject` (503, default) or `admit_local` when a new call cannot be committed.
    pub on_no_quorum: NoQuorum,
    /// Profile reads from this node's copy instead of the leader's (faster, may lag).
    pub stale_reads: bool,
}

impl Default for ClusterConfig {
    fn default() -> ClusterConfig {
        ClusterConfig {
            join: Vec::new(),
            advertise: None,
            secret: Secret::default(),
            fsync: Fsync::Always,
            heartbeat_ms: DEFAULT_HEARTBEAT_MS,
            election_timeout_ms: DEFAULT_ELECTION_TIMEOUT_MS,
            write_timeout_ms: DEFAULT_WRITE_TIMEOUT_MS,
            takeover_grace_secs: DEFAULT_TAKEOVER_GRACE_SECS,
            on_no_quorum: NoQuorum::Reject,
            stale_reads: false,
        }
    }
}

fn check_url(key: &str, url: &str) -> Result<(), ConfigError> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| {
            ConfigError::invalid(key, format!("{url:?} is not an http:// or https:// URL"))
        })?;
    let hostport = rest.trim_end_matches('/');
    match dialogd_sip::values::split_host_port(hostport) {
        Some((h, Some(_))) if !h.is_empty() => Ok(()),
        _ => Err(ConfigError::invalid(
            key,
            format!("{url:?} needs a host and a port (http://10.0.0.1:50051)"),
        )),
    }
}

impl Config {
    /// Checks `[cluster]`.
    pub(crate) fn check_cluster(&self) -> Result<(), ConfigError> {
        let c = &self.cluster;
        if !c.join.is_empty() && c.secret.is_empty() && self.dialog.secret.is_empty() {
            return Err(ConfigError::invalid(
                "cluster.join",
                "joining a cluster needs the secret every member shares: set dialog.secret \
                 (the did key, which must be the same on every node) or cluster.secret",
            ));
        }
        if let Some(why) = crate::keys::secret_problem(c.secret.expose()) {
            return Err(ConfigError::invalid("cluster.secret", why));
        }
        for (i, url) in c.join.iter().enumerate() {
            check_url(&format!("cluster.join[{i}]"), url)?;
        }
        if let Some(a) = &c.advertise {
            check_url("cluster.advertise", a)?;
        } else if self.grpc_listen.ip().is_unspecified() && !c.join.is_empty() {
            return Err(ConfigError::invalid(
                "cluster.advertise",
                "must be set when grpc_listen is a wildcard address and the node joins a cluster",
            ));
        }
        let ranges = [
            ("cluster.heartbeat_ms", c.heartbeat_ms, 10, 10_000),
            (
                "cluster.election_timeout_ms",
                c.election_timeout_ms,
                50,
                60_000,
            ),
            ("cluster.write_timeout_ms", c.write_timeout_ms, 50, 600_000),
            (
                "cluster.takeover_grace_secs",
                c.takeover_grace_secs,
                1,
                86_400,
            ),
        ];
        for (key, v, lo, hi) in ranges {
            if !(lo..=hi).contains(&v) {
                return Err(ConfigError::invalid(
                    key,
                    format!("{v} is out of range {lo}..={hi}"),
                ));
            }
        }
        if c.election_timeout_ms < 3 * c.heartbeat_ms {
            return Err(ConfigError::invalid(
                "cluster.election_timeout_ms",
                format!(
                    "{} must be at least 3 × cluster.heartbeat_ms ({})",
                    c.election_timeout_ms, c.heartbeat_ms
                ),
            ));
        }
        Ok(())
    }

    /// This node's cluster settings; `grpc` is the bound gRPC address, `secret` the
    /// node-to-node secret to use when `cluster.secret` is empty.
    /// The cluster's settings; `key` is the derived node-to-node key ([`crate::keys`]).
    pub fn cluster_settings(&self, grpc: SocketAddr, key: &str) -> ClusterSettings {
        let c = &self.cluster;
        let advertise = c
            .advertise
            .clone()
            .unwrap_or_else(|| format!("http://{grpc}"));
        let mut s = ClusterSettings::new(self.node_id, advertise, self.data_path("raft"));
        s.join.clone_from(&c.join);
        key.clone_into(&mut s.secret);
        s.fsync = c.fsync;
        s.heartbeat = Duration::from_millis(c.heartbeat_ms);
        s.election_timeout = (
            Duration::from_millis(c.election_timeout_ms),
            Duration::from_millis(2 * c.election_timeout_ms),
        );
        s.write_timeout = Duration::from_millis(c.write_timeout_ms);
        s.takeover_grace = Duration::from_secs(c.takeover_grace_secs);
        s.on_no_quorum = c.on_no_quorum;
        s
    }
}
