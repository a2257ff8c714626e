//! [`HealthConfig`]: the `[health]` section — when the node reports itself not serving
//! (gRPC health, `GET /healthz`, `dialogd_healthy`) although it runs. The decision is
//! `crate::health`; a failed Raft store is always fatal and needs no setting.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::config::Config;

/// Default `health.leaderless_secs`.
pub const DEFAULT_LEADERLESS_SECS: u64 = 10;
/// Largest `health.leaderless_secs`.
pub const MAX_LEADERLESS_SECS: u64 = 86_400;

/// `[health]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthConfig {
    /// Seconds without a leader backed by a quorum (as this node sees the cluster) after which
    /// the node reports NOT_SERVING, until it sees one again; 0 = never. Longer than an
    /// election (2 × `cluster.election_timeout_ms`), so an ordinary election does not count.
    pub leaderless_secs: u64,
}

impl Default for HealthConfig {
    fn default() -> HealthConfig {
        HealthConfig {
            leaderless_secs: DEFAULT_LEADERLESS_SECS,
        }
    }
}

impl HealthConfig {
    /// How long without a leader makes the node not serving; `None`: never.
    pub fn leaderless_after(&self) -> Option<Duration> {
        (self.leaderless_secs > 0).then(|| Duration::from_secs(self.leaderless_secs))
    }
}

impl Config {
    /// Checks `[health]`.
    pub(crate) fn check_health(&self) -> Result<(), ConfigError> {
        let secs = self.health.leaderless_secs;
        if secs == 0 {
            return Ok(());
        }
        if secs > MAX_LEADERLESS_SECS {
            return Err(ConfigError::invalid(
                "health.leaderless_secs",
                format!("{secs} is out of range 0..={MAX_LEADERLESS_SECS}"),
            ));
        }
        let election_ms = self.cluster.election_timeout_ms.saturating_mul(2);
        if secs.saturating_mul(1000) <= election_ms {
            return Err(ConfigError::invalid(
                "health.leaderless_secs",
                format!(
                    "{secs} s is not longer than an election (2 × cluster.election_timeout_ms = \
                     {election_ms} ms): an ordinary election would report the node not serving"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

    use std::io::Write;
    use std::path::Path;

    use super::*;
    use crate::config::Overrides;

    fn load(text: &str) -> Result<Config, ConfigError> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        let o = Overrides {
            config: Some(file.path().to_path_buf()),
            ..Overrides::default()
        };
        Config::load_with_env(&o, Vec::new())
    }

    #[test]
    fn default_is_ten_seconds_and_zero_turns_it_off() {
        let c = Config::default();
        assert_eq!(
            c.health.leaderless_after(),
            Some(Duration::from_secs(DEFAULT_LEADERLESS_SECS))
        );
        let off = load("[health]\nleaderless_secs = 0\n").unwrap();
        assert_eq!(off.health.leaderless_after(), None);
    }

    #[test]
    fn a_threshold_within_an_election_names_the_key_and_line() {
        let err = load("node_id = 1\n\n[health]\nleaderless_secs = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":4: health.leaderless_secs: 1 s"), "{err}");
        assert!(err.contains("election"), "{err}");
        // A shorter election timeout makes the same threshold acceptable.
        load("[cluster]\nelection_timeout_ms = 300\n[health]\nleaderless_secs = 1\n").unwrap();
    }

    #[test]
    fn a_threshold_out_of_range_is_refused() {
        let err = load("[health]\nleaderless_secs = 86401\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("health.leaderless_secs: 86401 is out of range"),
            "{err}"
        );
    }

    #[test]
    fn example_config_shows_the_section_at_its_default() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/dialogd.example.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("[health]"), "example config has no [health]");
        assert!(
            text.contains("leaderless_secs"),
            "example config has no leaderless_secs"
        );
        let o = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        let c = Config::load_with_env(&o, Vec::new()).unwrap();
        assert_eq!(c.health, HealthConfig::default());
    }
}
