//! [`Config`]: the node's settings, typed, with documented defaults, loaded in layers by
//! figment and validated before anything starts. It parses no CLI flags itself: the binary
//! hands it the flag values as [`Overrides`].
//!
//! ```text
//!  embedded defaults  <  TOML file (--config)  <  env DIALOGD_*  <  flags
//!  (Config::default)     (checked by `toml`       (`__` nests:       (--sip-listen, --grpc-listen,
//!                         first: file:line)        DIALOGD_DIALOG__   --metrics-listen, --data-dir,
//!                                                  DEFAULT_TIMEOUT)   --node-id, --join)
//! ```
//!
//! A broken file fails with `file:line: reason`: syntax, type and unknown-key errors from the
//! `toml` parser's spans, semantic errors ([`Config::validate`]) by finding the offending key in
//! the file. A bad value from the environment or a flag names the variable or flag instead.
//!
//! Main types: [`Config`], [`SipConfig`], [`DialogConfig`], [`MatchMode`], [`Overrides`];
//! errors are [`ConfigError`]. Submodules: `sources` (the env and flag layers), `locate`
//! (key → line), `validate`, `secret` (the `did` HMAC key).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dialogd_proxy::policy::RuleConfig;
use figment::Figment;
use figment::providers::Serialized;
use serde::{Deserialize, Serialize};

pub mod api;
mod cluster;
mod error;
mod health;
mod limits;
mod locate;
pub(crate) mod secret;
mod sources;
mod validate;

pub use api::{ApiConfig, TriggersConfig};
pub use cluster::ClusterConfig;
pub use error::ConfigError;
pub use health::HealthConfig;
pub use limits::{DnsSection, FloodSection, LimitsConfig, ProxySection, TcpConfig};
use sources::{EnvVars, FileLayer, FlagLayer, Origin};
pub use validate::MIN_SECRET_LEN;

/// Default `node_id`.
pub const DEFAULT_NODE_ID: u64 = 1;
/// Default `data_dir`.
pub const DEFAULT_DATA_DIR: &str = "./data";
/// Default `sip_listen` (UDP and TCP).
pub const DEFAULT_SIP_LISTEN: &str = "127.0.0.1:5060";
/// Default `grpc_listen`.
pub const DEFAULT_GRPC_LISTEN: &str = "127.0.0.1:50051";
/// Default `metrics_listen`.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9090";
/// Default `sip.t1_ms` (RFC 3261 T1, RTT estimate).
pub const DEFAULT_T1_MS: u64 = 500;
/// Default `sip.t2_ms` (RFC 3261 T2, maximum retransmit interval).
pub const DEFAULT_T2_MS: u64 = 4000;
/// Default `sip.t4_ms` (RFC 3261 T4, how long the network keeps a message).
pub const DEFAULT_T4_MS: u64 = 5000;
/// Default `sip.max_forwards` of the requests the proxy generates.
pub const DEFAULT_MAX_FORWARDS: u32 = 70;
/// Default `dialog.default_timeout` in seconds (12 h, as OpenSIPS/Kamailio).
pub const DEFAULT_DIALOG_TIMEOUT_SECS: u64 = 43_200;
/// Default `dialog.passivate_after` in seconds.
pub const DEFAULT_PASSIVATE_AFTER_SECS: u64 = 5;
/// Default `dialog.match_mode`.
pub const DEFAULT_MATCH_MODE: MatchMode = MatchMode::DidFallback;
/// Default `dialog.limit_reject_code`.
pub const DEFAULT_LIMIT_REJECT_CODE: u16 = 486;
/// Default `dialog.limit_reject_reason`.
pub const DEFAULT_LIMIT_REJECT_REASON: &str = "Busy Here";
/// Default `worker_threads`: one per CPU core.
pub const DEFAULT_WORKER_THREADS: usize = 0;
/// Most `worker_threads` accepted.
pub const MAX_WORKER_THREADS: usize = 1024;
/// Name of the generated `did` secret in `data_dir` (when `dialog.secret` is empty).
pub const SECRET_FILE: &str = "node.secret";

/// The node's whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// This node's id in the cluster, 1..=65535 (the top 16 bits of its dialog ids).
    pub node_id: u64,
    /// Where the node keeps its state (`node.secret`, `endpoints.json`, later the Raft log).
    pub data_dir: PathBuf,
    /// SIP listen address, UDP and TCP on the same address; port 0 picks a free port.
    pub sip_listen: SocketAddr,
    /// `host[:port]` written in Via and Record-Route; default: the bound SIP address.
    /// Required when `sip_listen` is a wildcard address (0.0.0.0 or ::).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip_advertise: Option<String>,
    /// `host[:port]` written in Record-Route instead of this node's own address: a name that
    /// resolves to every member (DNS A/SRV records, a Kubernetes Service, an anycast
    /// address), the same on every node, so endpoints' in-dialog requests reach a live member
    /// after the node that set the call up died. Via keeps the node's own address. Unset:
    /// Record-Route names this node (`sip_advertise`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip_record_route: Option<String>,
    /// gRPC (API) listen address.
    pub grpc_listen: SocketAddr,
    /// Prometheus `/metrics` and `/healthz` listen address.
    pub metrics_listen: SocketAddr,
    /// Threads of the async runtime; 0 = one per CPU core. On a box shared with other busy
    /// processes (media, SIPp) fewer threads cost less CPU per call (docs/benchmarks.md).
    pub worker_threads: usize,
    /// SIP transaction settings.
    pub sip: SipConfig,
    /// Dialog settings.
    pub dialog: DialogConfig,
    /// Cluster settings ([`cluster`]).
    pub cluster: ClusterConfig,
    /// External gRPC port: token and TLS ([`api`]).
    pub api: ApiConfig,
    /// Dialog triggers ([`api`]).
    pub triggers: TriggersConfig,
    /// Bounds on transactions, dialogs and pending admissions ([`limits`]).
    pub limits: LimitsConfig,
    /// SIP over TCP: connection caps, timeouts, write queues ([`limits`]).
    pub tcp: TcpConfig,
    /// Per-source flood control ([`limits`]).
    pub flood: FloodSection,
    /// Next-hop name resolution ([`limits`]).
    pub dns: DnsSection,
    /// Where the proxy relays ([`limits`]).
    pub proxy: ProxySection,
    /// When the node reports itself not serving ([`health`]).
    pub health: HealthConfig,
    /// The routing and admission policy, evaluated in order (see `dialogd_proxy::policy`).
    pub rules: Vec<RuleConfig>,
}

/// `[sip]`: RFC 3261 timers and Max-Forwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SipConfig {
    /// T1 in milliseconds.
    pub t1_ms: u64,
    /// T2 in milliseconds (at least T1).
    pub t2_ms: u64,
    /// T4 in milliseconds.
    pub t4_ms: u64,
    /// Max-Forwards of requests the proxy generates (BYE on timeout …), 1..=255.
    pub max_forwards: u32,
}

/// How in-dialog requests find their dialog (Kamailio `dlg_match_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// Only by the `did` in our Record-Route (then checked against Call-ID and tags).
    DidOnly,
    /// By `did`, else by Call-ID and tags.
    DidFallback,
    /// Only by Call-ID and tags.
    DidNone,
}

/// `[dialog]`: dialog defaults and the reply on a reached limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DialogConfig {
    /// Dialog timeout in seconds when no rule sets one.
    pub default_timeout: u64,
    /// Seconds a confirmed dialog with nothing under way waits for a message before it is
    /// parked (its actor stops; its state stays as data until the next message, API command
    /// or timer revives it); 0: never parked.
    pub passivate_after: u64,
    /// How in-dialog requests are matched.
    pub match_mode: MatchMode,
    /// Send BYE to both legs on timeout unless a rule says otherwise.
    pub bye_on_timeout: bool,
    /// Header lines (`Name: value`) added to the BYEs the proxy sends.
    pub bye_extra_headers: Vec<String>,
    /// Response code when a profile limit is reached (400..=699).
    pub limit_reject_code: u16,
    /// Its reason phrase.
    pub limit_reject_reason: String,
    /// HMAC key of the `did`; empty: generated once and kept in `<data_dir>/node.secret`.
    /// Every node of a cluster needs the same secret. The did key is derived from it
    /// ([`crate::keys`]). Also `DIALOGD_DIALOG__SECRET`.
    pub secret: crate::keys::Secret,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            node_id: DEFAULT_NODE_ID,
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            sip_listen: addr(DEFAULT_SIP_LISTEN, 5060),
            sip_advertise: None,
            sip_record_route: None,
            grpc_listen: addr(DEFAULT_GRPC_LISTEN, 50051),
            metrics_listen: addr(DEFAULT_METRICS_LISTEN, 9090),
            worker_threads: DEFAULT_WORKER_THREADS,
            sip: SipConfig::default(),
            dialog: DialogConfig::default(),
            cluster: ClusterConfig::default(),
            api: ApiConfig::default(),
            triggers: TriggersConfig::default(),
            limits: LimitsConfig::default(),
            tcp: TcpConfig::default(),
            flood: FloodSection::default(),
            dns: DnsSection::default(),
            proxy: ProxySection::default(),
            health: HealthConfig::default(),
            rules: Vec::new(),
        }
    }
}

fn addr(s: &str, port: u16) -> SocketAddr {
    s.parse()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], port)))
}

impl Default for SipConfig {
    fn default() -> SipConfig {
        SipConfig {
            t1_ms: DEFAULT_T1_MS,
            t2_ms: DEFAULT_T2_MS,
            t4_ms: DEFAULT_T4_MS,
            max_forwards: DEFAULT_MAX_FORWARDS,
        }
    }
}

impl Default for DialogConfig {
    fn default() -> DialogConfig {
        DialogConfig {
            default_timeout: DEFAULT_DIALOG_TIMEOUT_SECS,
            passivate_after: DEFAULT_PASSIVATE_AFTER_SECS,
            match_mode: DEFAULT_MATCH_MODE,
            bye_on_timeout: false,
            bye_extra_headers: Vec::new(),
            limit_reject_code: DEFAULT_LIMIT_REJECT_CODE,
            limit_reject_reason: DEFAULT_LIMIT_REJECT_REASON.to_owned(),
            secret: crate::keys::Secret::default(),
        }
    }
}

/// What the command line says: the config file and the flags that override single keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--config`: the TOML file; none: defaults and environment only.
    pub config: Option<PathBuf>,
    /// `--sip-listen`.
    pub sip_listen: Option<String>,
    /// `--sip-record-route`.
    pub sip_record_route: Option<String>,
    /// `--grpc-listen`.
    pub grpc_listen: Option<String>,
    /// `--metrics-listen`.
    pub metrics_listen: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--node-id`.
    pub node_id: Option<u64>,
    /// `--join` (repeatable): members to join through.
    pub join: Vec<String>,
}

impl Config {
    /// Loads and validates the configuration from the layers, reading the process
    /// environment.
    pub fn load(o: &Overrides) -> Result<Config, ConfigError> {
        Config::load_with_env(o, std::env::vars())
    }

    /// [`Config::load`] with the environment given as a list (tests pass their own).
    pub fn load_with_env(
        o: &Overrides,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let file = match &o.config {
            Some(path) => Some(FileLayer::read(path)?),
            None => None,
        };
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = &file {
            figment = figment.merge(f.clone());
        }
        let figment = figment.merge(EnvVars::new(env)).merge(FlagLayer::new(o));
        let config: Config = figment
            .extract()
            .map_err(|e| sources::from_figment(e, &figment, file.as_ref()))?;
        config.validate().map_err(|e| match e {
            ConfigError::Invalid { key, reason } => {
                Origin::of(&figment, &key).error(&key, &reason, file.as_ref())
            }
            other => other,
        })?;
        Ok(config)
    }

    /// The address written in Via and Record-Route: `sip_advertise`, else the address the SIP
    /// sockets are bound to (pass the bound one: with port 0 only it knows the port).
    pub fn advertise(&self, bound: SocketAddr) -> String {
        match &self.sip_advertise {
            Some(a) => a.clone(),
            None => bound.to_string(),
        }
    }

    /// The default dialog timeout.
    pub fn default_timeout(&self) -> Duration {
        Duration::from_secs(self.dialog.default_timeout)
    }

    /// `dialog.passivate_after`; `None` when 0 (never park).
    pub fn passivate_after(&self) -> Option<Duration> {
        (self.dialog.passivate_after > 0).then(|| Duration::from_secs(self.dialog.passivate_after))
    }

    /// Path of the generated `did` secret.
    pub fn secret_path(&self) -> PathBuf {
        self.data_dir.join(SECRET_FILE)
    }

    /// Path of a file in `data_dir`.
    pub fn data_path(&self, name: impl AsRef<Path>) -> PathBuf {
        self.data_dir.join(name)
    }
}

impl SipConfig {
    /// T1.
    pub fn t1(&self) -> Duration {
        Duration::from_millis(self.t1_ms)
    }

    /// T2.
    pub fn t2(&self) -> Duration {
        Duration::from_millis(self.t2_ms)
    }

    /// T4.
    pub fn t4(&self) -> Duration {
        Duration::from_millis(self.t4_ms)
    }
}

#[cfg(test)]
mod tests;
