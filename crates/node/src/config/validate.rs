//! [`Config::validate`]: the checks a typed value cannot express — ranges, timer order,
//! addresses that must differ, header lines, and the policy compiling. Each error names the
//! key (`dialog.limit_reject_code`, `rules[2].match.from_user`); [`Config::load`] then says
//! where that key was set.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use dialogd_proxy::policy::Policy;
use dialogd_sip::method::is_token_char;
use dialogd_sip::values::split_host_port;

use super::ConfigError;
use crate::config::Config;

/// Shortest `dialog.secret` accepted, in bytes (the root of the `did` key).
pub use crate::keys::MIN_SECRET_LEN;

impl Config {
    /// Checks what the types do not; the first problem found is returned as
    /// [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=u64::from(u16::MAX)).contains(&self.node_id) {
            return Err(ConfigError::invalid(
                "node_id",
                format!("{} is out of range 1..=65535", self.node_id),
            ));
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::invalid("data_dir", "must not be empty"));
        }
        if self.worker_threads > crate::config::MAX_WORKER_THREADS {
            return Err(ConfigError::invalid(
                "worker_threads",
                format!(
                    "{} is more than {}",
                    self.worker_threads,
                    crate::config::MAX_WORKER_THREADS
                ),
            ));
        }
        self.check_addresses()?;
        self.check_sip()?;
        self.check_dialog()?;
        self.check_cluster()?;
        self.check_api()?;
        self.check_limits()?;
        self.check_health()?;
        self.policy().map(|_| ())
    }

    /// Compiles the rules; an error names the rule and key (`rules[2].match.from_user`).
    pub fn policy(&self) -> Result<Policy, ConfigError> {
        Policy::compile(&self.rules).map_err(|e| {
            let reason = match &e.name {
                Some(name) => format!("{} (rule {name:?})", e.kind),
                None => e.kind.to_string(),
            };
            ConfigError::invalid(e.key(), reason)
        })
    }

    fn check_addresses(&self) -> Result<(), ConfigError> {
        let tcp: [(&str, SocketAddr); 3] = [
            ("sip_listen", self.sip_listen),
            ("grpc_listen", self.grpc_listen),
            ("metrics_listen", self.metrics_listen),
        ];
        let mut seen: BTreeMap<SocketAddr, &str> = BTreeMap::new();
        for (key, addr) in tcp {
            if addr.port() == 0 {
                continue;
            }
            if let Some(other) = seen.insert(addr, key) {
                return Err(ConfigError::invalid(
                    key,
                    format!("{addr} is also {other}; each listener needs its own port"),
                ));
            }
        }
        if let Some(a) = &self.sip_record_route
            && !is_host_port(a)
        {
            return Err(ConfigError::invalid(
                "sip_record_route",
                format!("{a:?} is not host[:port] (e.g. \"sip.example.com\", \"192.0.2.10:5060\")"),
            ));
        }
        match &self.sip_advertise {
            Some(a) if !is_host_port(a) => {
                return Err(ConfigError::invalid(
                    "sip_advertise",
                    format!(
                        "{a:?} is not host[:port] (e.g. \"sip.example.com\", \"192.0.2.10:5060\")"
                    ),
                ));
            }
            Some(_) => {}
            None if self.sip_listen.ip().is_unspecified() => {
                return Err(ConfigError::invalid(
                    "sip_listen",
                    format!(
                        "{} is a wildcard address: set sip_advertise to the host[:port] peers reach this node at",
                        self.sip_listen
                    ),
                ));
            }
            None => {}
        }
        Ok(())
    }

    fn check_sip(&self) -> Result<(), ConfigError> {
        let s = &self.sip;
        for (key, v) in [
            ("sip.t1_ms", s.t1_ms),
            ("sip.t2_ms", s.t2_ms),
            ("sip.t4_ms", s.t4_ms),
        ] {
            if v == 0 {
                return Err(ConfigError::invalid(key, "must be at least 1"));
            }
        }
        if s.t1_ms > s.t2_ms {
            return Err(ConfigError::invalid(
                "sip.t2_ms",
                format!("{} is less than sip.t1_ms ({})", s.t2_ms, s.t1_ms),
            ));
        }
        if !(1..=255).contains(&s.max_forwards) {
            return Err(ConfigError::invalid(
                "sip.max_forwards",
                format!("{} is out of range 1..=255", s.max_forwards),
            ));
        }
        Ok(())
    }

    fn check_dialog(&self) -> Result<(), ConfigError> {
        let d = &self.dialog;
        if d.default_timeout == 0 {
            return Err(ConfigError::invalid(
                "dialog.default_timeout",
                "must be at least 1 second",
            ));
        }
        for (i, line) in d.bye_extra_headers.iter().enumerate() {
            header_line(line).map_err(|reason| {
                ConfigError::invalid(format!("dialog.bye_extra_headers[{i}]"), reason)
            })?;
        }
        if !(400..=699).contains(&d.limit_reject_code) {
            return Err(ConfigError::invalid(
                "dialog.limit_reject_code",
                format!(
                    "{} is not a final error response (400..=699)",
                    d.limit_reject_code
                ),
            ));
        }
        let reason = &d.limit_reject_reason;
        if reason.trim().is_empty() || reason.contains(['\r', '\n']) {
            return Err(ConfigError::invalid(
                "dialog.limit_reject_reason",
                format!("{reason:?} must be non-empty and on one line"),
            ));
        }
        if let Some(why) = crate::keys::secret_problem(d.secret.expose()) {
            return Err(ConfigError::invalid(
                "dialog.secret",
                format!("{why}, or leave it empty to generate one"),
            ));
        }
        Ok(())
    }
}

/// Checks one `Name: value` header line.
fn header_line(line: &str) -> Result<(), String> {
    if line.contains(['\r', '\n']) {
        return Err(format!("{line:?} must be a single line"));
    }
    let Some((name, _)) = line.split_once(':') else {
        return Err(format!("{line:?} is not a header line \"Name: value\""));
    };
    let name = name.trim_end();
    if name.is_empty() || !name.bytes().all(is_token_char) {
        return Err(format!("{line:?} does not start with a header name"));
    }
    if dialogd_sip::HeaderName::parse(name).is_written_by_proxy() {
        return Err(format!(
            "{name} is written by the proxy and cannot be added"
        ));
    }
    Ok(())
}

/// `host[:port]` with a host and a port other than 0, no white space.
fn is_host_port(a: &str) -> bool {
    !a.contains(char::is_whitespace)
        && split_host_port(a).is_some_and(|(host, port)| !host.is_empty() && port != Some(0))
}
