//! [`ApiConfig`] (`[api]`: bearer token and TLS of the external gRPC port) and
//! [`TriggersConfig`] (`[triggers]`: how long an `on_timeout` waits for its controller).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::config::Config;
use crate::keys::Secret;

/// Default `triggers.decision_timeout_ms`.
pub const DEFAULT_DECISION_TIMEOUT_MS: u64 = 2_000;

/// `[api]`.
///
/// Tokens have roles (`dialogd_api::server::auth`): `read_token` reads (stats, lists, views, events),
/// `token` also ends, steers and places calls, `admin_token` also changes the membership
/// (without one, `token` does). With none set the API is open: a node refuses to start so
/// unless its gRPC port is on a loopback address or `allow_unauthenticated` says so.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Bearer token of the control role (`authorization: Bearer <token>`). Also
    /// `DIALOGD_API__TOKEN`.
    pub token: Secret,
    /// Bearer token of the read role. Also `DIALOGD_API__READ_TOKEN`.
    pub read_token: Secret,
    /// Bearer token of the admin role. Also `DIALOGD_API__ADMIN_TOKEN`.
    pub admin_token: Secret,
    /// Serve the API without any token on a non-loopback address (logged as a warning at
    /// start): for a port only trusted hosts can reach.
    pub allow_unauthenticated: bool,
    /// PEM certificate chain of the external port; with `tls_key`, the port speaks TLS only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
}

/// `[triggers]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TriggersConfig {
    /// How long a dialog's `on_timeout` waits for a controller's Extend/Expire; no answer in
    /// time expires the dialog (as a plain timeout).
    pub decision_timeout_ms: u64,
}

impl Default for TriggersConfig {
    fn default() -> TriggersConfig {
        TriggersConfig {
            decision_timeout_ms: DEFAULT_DECISION_TIMEOUT_MS,
        }
    }
}

impl TriggersConfig {
    pub fn decision_timeout(&self) -> Duration {
        Duration::from_millis(self.decision_timeout_ms)
    }
}

impl Config {
    /// Checks `[api]` and `[triggers]` (the TLS files are read at start, errors name them).
    pub(crate) fn check_api(&self) -> Result<(), ConfigError> {
        let a = &self.api;
        let tokens = [
            ("api.token", &a.token),
            ("api.read_token", &a.read_token),
            ("api.admin_token", &a.admin_token),
        ];
        for (key, t) in tokens {
            if t.expose().chars().any(|c| c.is_control() || c == ' ') {
                return Err(ConfigError::invalid(
                    key,
                    "must not contain spaces or control characters",
                ));
            }
            if let Some(why) = crate::keys::secret_problem(t.expose()) {
                return Err(ConfigError::invalid(key, why));
            }
        }
        for (i, (key, t)) in tokens.iter().enumerate() {
            for (other, u) in &tokens[..i] {
                if !t.is_empty() && t == u {
                    return Err(ConfigError::invalid(
                        *key,
                        format!("is the same as {other}: each role needs its own token"),
                    ));
                }
            }
        }
        if self.api_is_open() && !self.grpc_listen.ip().is_loopback() && !a.allow_unauthenticated {
            return Err(ConfigError::invalid(
                "api.token",
                format!(
                    "is needed: the gRPC API listens on {}, which is not a loopback address, and \
                     whoever reaches it could end, place and steer calls and change the \
                     membership. Set api.token (and api.read_token/api.admin_token), or \
                     api.allow_unauthenticated = true for a port only trusted hosts reach",
                    self.grpc_listen
                ),
            ));
        }
        match (&a.tls_cert, &a.tls_key) {
            (Some(_), None) => {
                return Err(ConfigError::invalid(
                    "api.tls_key",
                    "is needed with api.tls_cert",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::invalid(
                    "api.tls_cert",
                    "is needed with api.tls_key",
                ));
            }
            _ => {}
        }
        let ms = self.triggers.decision_timeout_ms;
        if !(10..=60_000).contains(&ms) {
            return Err(ConfigError::invalid(
                "triggers.decision_timeout_ms",
                format!("{ms} is out of range 10..=60000"),
            ));
        }
        Ok(())
    }

    /// No API token of any role is set: every caller may use the API.
    pub fn api_is_open(&self) -> bool {
        let a = &self.api;
        a.token.is_empty() && a.read_token.is_empty() && a.admin_token.is_empty()
    }

    /// The API's control token, if one is set.
    pub fn api_token(&self) -> Option<String> {
        self.api.token.get()
    }
}
