//! [`ClusterConfig`]: the `[cluster]` section — how this node joins and takes part in the
//! Raft group, and the mutual TLS of its node-to-node calls (`tls_*`, read and
//! checked at start by [`Config::cluster_tls`]). A node with no `join` (and no Raft state in
//! `data_dir`) is a cluster of one: the embedded default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dialogd_cluster::network::{ClusterTls, DEFAULT_SERVER_NAME, TlsPart};
use dialogd_cluster::store::Fsync;
use dialogd_cluster::{ClusterSettings, NoQuorum};
use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::config::Config;
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
    /// PEM certificate (chain) this node presents to the other members, and on its gRPC port
    /// to them; with `tls_key` and `tls_ca` (all three or none) every node-to-node call is
    /// mutual TLS. It must be signed by `tls_ca`, carry the DNS name `tls_server_name`, and
    /// allow serverAuth and clientAuth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// PEM certificate of the cluster's CA: the members' certificates are verified against it
    /// (and nothing else), as servers and as clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_ca: Option<PathBuf>,
    /// The DNS name every node certificate carries; nodes verify each other's certificate for
    /// it, whatever address they dial (member addresses change, the name does not).
    pub tls_server_name: String,
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
            tls_cert: None,
            tls_key: None,
            tls_ca: None,
            tls_server_name: DEFAULT_SERVER_NAME.to_owned(),
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
        self.check_cluster_tls()
    }

    /// `tls_*`: all three files or none; a plausible node name; and a node that joins with TLS
    /// on its gRPC port (`api.tls_cert`) needs the cluster's TLS, since node-to-node calls
    /// share that port and must verify the member they reach.
    fn check_cluster_tls(&self) -> Result<(), ConfigError> {
        let c = &self.cluster;
        let files = [
            ("cluster.tls_cert", c.tls_cert.is_some()),
            ("cluster.tls_key", c.tls_key.is_some()),
            ("cluster.tls_ca", c.tls_ca.is_some()),
        ];
        let set = files.iter().filter(|(_, s)| *s).count();
        if set > 0 && set < files.len() {
            let given = files.iter().find(|(_, s)| *s).map_or("", |(k, _)| *k);
            let missing = files.iter().find(|(_, s)| !*s).map_or("", |(k, _)| *k);
            return Err(ConfigError::invalid(
                missing,
                format!(
                    "is needed with {given}: cluster.tls_cert, cluster.tls_key and \
                     cluster.tls_ca go together (all three or none)"
                ),
            ));
        }
        let name = &c.tls_server_name;
        let dns_label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        };
        if !name.split('.').all(dns_label) || name.parse::<std::net::IpAddr>().is_ok() {
            return Err(ConfigError::invalid(
                "cluster.tls_server_name",
                format!("{name:?} is not a DNS name (the name every node certificate carries)"),
            ));
        }
        if set == 0 && self.api.tls_cert.is_some() && !c.join.is_empty() {
            return Err(ConfigError::invalid(
                "cluster.tls_cert",
                "api.tls_cert makes the gRPC port speak TLS, and node-to-node calls share the \
                 port: a node joining a cluster needs cluster.tls_cert, cluster.tls_key and \
                 cluster.tls_ca too, so members verify each other",
            ));
        }
        Ok(())
    }

    /// Whether the gRPC port speaks TLS (`api.tls_cert` or the cluster's TLS).
    pub fn grpc_tls(&self) -> bool {
        self.api.tls_cert.is_some() || self.cluster.tls_cert.is_some()
    }

    /// The cluster's mutual TLS from the `tls_*` files, read and checked (parsed, the key is
    /// the certificate's, signed by the CA for `tls_server_name`, valid now); `None` without
    /// them. Errors name the key and the file.
    pub fn cluster_tls(&self) -> Result<Option<ClusterTls>, ConfigError> {
        let c = &self.cluster;
        let (Some(cert), Some(key), Some(ca)) = (&c.tls_cert, &c.tls_key, &c.tls_ca) else {
            return Ok(None);
        };
        let read = |key: &str, path: &Path| {
            std::fs::read(path).map_err(|e| {
                ConfigError::invalid(key, format!("cannot read {}: {e}", path.display()))
            })
        };
        let tls = ClusterTls::new(
            read("cluster.tls_ca", ca)?,
            read("cluster.tls_cert", cert)?,
            read("cluster.tls_key", key)?,
            c.tls_server_name.clone(),
        )
        .map_err(|e| {
            let (key, file) = match e.part {
                TlsPart::Ca => ("cluster.tls_ca", Some(ca)),
                TlsPart::Cert => ("cluster.tls_cert", Some(cert)),
                TlsPart::Key => ("cluster.tls_key", Some(key)),
                TlsPart::ServerName => ("cluster.tls_server_name", None),
            };
            let reason = match file {
                Some(path) => format!("{}: {}", path.display(), e.reason),
                None => e.reason,
            };
            ConfigError::invalid(key, reason)
        })?;
        Ok(Some(tls))
    }

    /// This node's cluster settings (without `tls`: [`Config::cluster_tls`] reads the files);
    /// `grpc` is the bound gRPC address, `key` the derived node-to-node key
    /// ([`crate::keys`]). The default advertised URL is `https://` when the port speaks TLS.
    pub fn cluster_settings(&self, grpc: SocketAddr, key: &str) -> ClusterSettings {
        let c = &self.cluster;
        let scheme = if self.grpc_tls() { "https" } else { "http" };
        let advertise = c
            .advertise
            .clone()
            .unwrap_or_else(|| format!("{scheme}://{grpc}"));
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

#[cfg(test)]
#[path = "cluster_tests.rs"]
mod tests;
