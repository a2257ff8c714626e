//! The layers of [`crate::config::Config`] above the embedded defaults, as figment providers,
//! and [`Origin`]: which layer a key's value came from, to word an error where the operator
//! will look.
//!
//! - [`FileLayer`]: the TOML file, read once and checked with the `toml` parser first so a
//!   syntax, type or unknown-key error comes out as `file:line: reason`.
//! - [`EnvVars`]: `DIALOGD_*` variables; `__` nests (`DIALOGD_DIALOG__DEFAULT_TIMEOUT` →
//!   `dialog.default_timeout`). Values are read as TOML-ish scalars, arrays or tables by
//!   figment's parser, except keys that are strings (a numeric `DIALOGD_DIALOG__SECRET` stays
//!   a string). `DIALOGD_CONFIG` and `DIALOGD_LOG_FORMAT` belong to the binary and are skipped.
//! - [`FlagLayer`]: the flag values of [`Overrides`].

use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::ConfigError;
use super::locate::{key_at, line_col, locate};
use crate::config::{Config, Overrides};

/// Prefix of the environment variables read.
pub const ENV_PREFIX: &str = "DIALOGD_";
/// Variables with the prefix that are not config keys (the binary reads them).
pub const ENV_SKIPPED: &[&str] = &["DIALOGD_CONFIG", "DIALOGD_LOG_FORMAT"];
/// Keys whose values are strings even when they look like numbers or booleans.
const STRING_KEYS: &[&str] = &[
    "data_dir",
    "sip_advertise",
    "sip_record_route",
    "dialog.limit_reject_reason",
    "dialog.secret",
    "dialog.match_mode",
    "cluster.secret",
    "api.token",
    "api.read_token",
    "api.admin_token",
];

const FILE_SOURCE: &str = "config file";
const ENV_SOURCE: &str = "environment";
const FLAG_SOURCE: &str = "command-line flags";

/// The config file's text, checked to deserialize.
#[derive(Debug, Clone)]
pub struct FileLayer {
    pub path: PathBuf,
    pub text: String,
}

impl FileLayer {
    /// Reads `path` and checks it with the `toml` parser (syntax, types, unknown keys).
    pub fn read(path: &Path) -> Result<FileLayer, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let layer = FileLayer {
            path: path.to_owned(),
            text,
        };
        if let Err(e) = toml::from_str::<toml::Table>(&layer.text) {
            return Err(layer.toml_error(&e, None));
        }
        if let Err(e) = toml::from_str::<Config>(&layer.text) {
            let key = e.span().and_then(|s| key_at(&layer.text, s.start));
            return Err(layer.toml_error(&e, Some(key)));
        }
        Ok(layer)
    }

    /// A `toml` error on one line: `file:line: TOML syntax error at column N: message` for a
    /// syntax error (`data` is `None`), else `file:line: key: message` (or just the message
    /// when no key is written at the error's position).
    fn toml_error(&self, e: &toml::de::Error, data: Option<Option<String>>) -> ConfigError {
        let (line, column) = line_col(&self.text, e.span().map_or(0, |s| s.start));
        let message: Vec<&str> = e
            .message()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let message = message.join("; ");
        let (key, reason) = match data {
            None => (
                None,
                format!("TOML syntax error at column {column}: {message}"),
            ),
            Some(Some(key)) => {
                let reason = format!("{key}: {message}");
                (Some(key), reason)
            }
            Some(None) => (None, message),
        };
        ConfigError::File {
            path: self.path.clone(),
            line,
            column,
            key,
            reason,
        }
    }

    /// An error about `key`, placed on the line that sets it (or the nearest part present).
    pub fn error_for(&self, key: &str, reason: &str) -> ConfigError {
        let (line, column) = locate(&self.text, key).unwrap_or((1, 1));
        ConfigError::File {
            path: self.path.clone(),
            line,
            column,
            key: Some(key.to_owned()),
            reason: format!("{key}: {reason}"),
        }
    }
}

impl Provider for FileLayer {
    fn metadata(&self) -> Metadata {
        Metadata::from(FILE_SOURCE, self.path.as_path())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Toml::string(&self.text).data()
    }
}

/// `DIALOGD_*` variables as a figment layer.
#[derive(Debug, Clone, Default)]
pub struct EnvVars {
    /// (dotted key, raw value).
    vars: Vec<(String, String)>,
}

impl EnvVars {
    /// Keeps the variables with the prefix, except the skipped ones.
    pub fn new(env: impl IntoIterator<Item = (String, String)>) -> EnvVars {
        let vars = env
            .into_iter()
            .filter(|(k, _)| !ENV_SKIPPED.contains(&k.as_str()))
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix(ENV_PREFIX)?;
                let key = rest.to_ascii_lowercase().replace("__", ".");
                (!key.is_empty()).then_some((key, v))
            })
            .collect();
        EnvVars { vars }
    }
}

/// The variable that sets `key`: `dialog.default_timeout` → `DIALOGD_DIALOG__DEFAULT_TIMEOUT`.
pub fn env_var(key: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        top_key(key).replace('.', "__").to_ascii_uppercase()
    )
}

/// The flag that sets `key`: `sip_listen` → `--sip-listen`.
pub fn flag(key: &str) -> String {
    format!("--{}", key.replace('_', "-"))
}

/// The part of a key path figment knows (arrays are leaves to it): `rules[2].x` → `rules`.
fn top_key(key: &str) -> &str {
    key.split('[').next().unwrap_or(key)
}

impl Provider for EnvVars {
    fn metadata(&self) -> Metadata {
        Metadata::named(ENV_SOURCE)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (key, raw) in &self.vars {
            let value = if STRING_KEYS.contains(&key.as_str()) {
                Value::from(raw.clone())
            } else {
                match raw.parse::<Value>() {
                    Ok(v) => v,
                    Err(never) => match never {},
                }
            };
            if let Some(nested) = figment::util::nest(key, value).into_dict() {
                dict = dict.merge(nested);
            }
        }
        Ok(Profile::Default.collect(dict))
    }
}

trait DictMerge {
    fn merge(self, other: Dict) -> Dict;
}

impl DictMerge for Dict {
    fn merge(mut self, other: Dict) -> Dict {
        for (k, v) in other {
            let merged = match (self.remove(&k), v) {
                (Some(Value::Dict(_, a)), Value::Dict(tag, b)) => Value::Dict(tag, a.merge(b)),
                (_, v) => v,
            };
            self.insert(k, merged);
        }
        self
    }
}

/// The flag values of [`Overrides`] as a figment layer.
#[derive(Debug, Clone, Default)]
pub struct FlagLayer {
    values: Vec<(&'static str, Value)>,
}

impl FlagLayer {
    /// The flags that were given.
    pub fn new(o: &Overrides) -> FlagLayer {
        let mut values: Vec<(&'static str, Value)> = Vec::new();
        let strings = [
            ("sip_listen", &o.sip_listen),
            ("sip_record_route", &o.sip_record_route),
            ("grpc_listen", &o.grpc_listen),
            ("metrics_listen", &o.metrics_listen),
        ];
        for (key, v) in strings {
            if let Some(v) = v {
                values.push((key, Value::from(v.clone())));
            }
        }
        if let Some(d) = &o.data_dir {
            values.push(("data_dir", Value::from(d.to_string_lossy().into_owned())));
        }
        if let Some(n) = o.node_id {
            values.push(("node_id", Value::from(n)));
        }
        if !o.join.is_empty() {
            let mut cluster = Dict::new();
            cluster.insert("join".into(), Value::from(o.join.clone()));
            values.push(("cluster", Value::from(cluster)));
        }
        FlagLayer { values }
    }
}

impl Provider for FlagLayer {
    fn metadata(&self) -> Metadata {
        Metadata::named(FLAG_SOURCE)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict = self
            .values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        Ok(Profile::Default.collect(dict))
    }
}

/// Where a key's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File,
    Env,
    Flag,
}

impl Origin {
    /// The layer that set `key` in `figment`.
    pub fn of(figment: &Figment, key: &str) -> Origin {
        match figment.find_metadata(top_key(key)) {
            Some(md) => Origin::from_metadata(md),
            None => Origin::Default,
        }
    }

    fn from_metadata(md: &Metadata) -> Origin {
        match md.name.as_ref() {
            FILE_SOURCE => Origin::File,
            ENV_SOURCE => Origin::Env,
            FLAG_SOURCE => Origin::Flag,
            _ => Origin::Default,
        }
    }

    /// The error for `key` with `reason`, said where the value came from.
    pub fn error(&self, key: &str, reason: &str, file: Option<&FileLayer>) -> ConfigError {
        match (self, file) {
            (Origin::File, Some(f)) => f.error_for(key, reason),
            (Origin::Env, _) => ConfigError::Env {
                var: env_var(key),
                key: key.to_owned(),
                reason: format!("{key}: {reason}"),
            },
            (Origin::Flag, _) => ConfigError::Flag {
                flag: flag(top_key(key)),
                key: key.to_owned(),
                reason: format!("{key}: {reason}"),
            },
            _ => ConfigError::invalid(key, reason),
        }
    }
}

/// A figment extraction error, placed in its layer.
pub fn from_figment(e: figment::Error, figment: &Figment, file: Option<&FileLayer>) -> ConfigError {
    let mut path = e.path.clone();
    if let figment::error::Kind::UnknownField(field, _) = &e.kind
        && path.last() != Some(field)
    {
        path.push(field.clone());
    }
    let key = path.join(".");
    let origin = Origin::of(figment, &key);
    let origin = match (&origin, &e.metadata) {
        (Origin::Default, Some(md)) => Origin::from_metadata(md),
        _ => origin,
    };
    let reason = e.kind.to_string();
    if key.is_empty() {
        return ConfigError::invalid("config", reason);
    }
    origin.error(&key, &reason, file)
}
