//! [`ApiConfig`] (`[api]`: bearer token and TLS of the external gRPC port) and
//! [`TriggersConfig`] (`[triggers]`: how long an `on_timeout` waits for its controller).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::config_error::ConfigError;

/// Default `triggers.decision_timeout_ms`.
pub const DEFAULT_DECISION_TIMEOUT_MS: u64 = 2_000;

/// `[api]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Bearer token every external RPC must carry (`authorization: Bearer <token>`); empty:
    /// no token (bind the gRPC port to a private address then). Also `DIALOGD_API__TOKEN`.
    pub token: String,
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
        if a.token.chars().any(|c| c.is_control() || c == ' ') {
            return Err(ConfigError::invalid(
                "api.token",
                "must not contain spaces or control characters",
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

    /// The API token, if one is set.
    pub fn api_token(&self) -> Option<String> {
        Some(self.api.token.clone()).filter(|t| !t.is_empty())
    }
}
