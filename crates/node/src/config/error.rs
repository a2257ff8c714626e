//! [`ConfigError`]: why the configuration cannot be used, said where the operator has to look —
//! `file:line`, the environment variable or the flag — and with the key that is wrong.

use std::path::PathBuf;

/// A configuration that cannot be used. The binary prints it and exits with code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named by `--config` cannot be read.
    #[error("{}: cannot read config file: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Something in the file: a syntax or type error, an unknown key, or a value
    /// [`crate::config::Config::validate`] refuses (then `key` is set and the reason starts
    /// with it).
    #[error("{}:{line}: {reason}", path.display())]
    File {
        path: PathBuf,
        /// 1-based.
        line: usize,
        /// 1-based, in characters.
        column: usize,
        key: Option<String>,
        reason: String,
    },
    /// A value from a `DIALOGD_*` environment variable.
    #[error("environment variable {var}: {reason}")]
    Env {
        var: String,
        key: String,
        reason: String,
    },
    /// A value from a command-line flag.
    #[error("flag {flag}: {reason}")]
    Flag {
        flag: String,
        key: String,
        reason: String,
    },
    /// A value refused by validation, not tied to a place (a default, or a [`Config`] built in
    /// code): `key: reason`.
    ///
    /// [`Config`]: crate::config::Config
    #[error("{key}: {reason}")]
    Invalid { key: String, reason: String },
}

impl ConfigError {
    /// A validation error for `key`.
    pub fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// The key the error is about, when there is one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::File { key, .. } => key.as_deref(),
            ConfigError::Env { key, .. }
            | ConfigError::Flag { key, .. }
            | ConfigError::Invalid { key, .. } => Some(key),
        }
    }
}
