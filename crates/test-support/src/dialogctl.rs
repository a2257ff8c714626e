//! `dialogctl` as a test sees it: run with `--addr` and `--json` within a bound, exit status
//! checked, stdout parsed as JSON, and typed shortcuts for the facts tests assert on (stats,
//! profile sizes, the dialog list).
//!
//! Must not interpret more than it needs: everything beyond the stats counters and the profile
//! size is handed back as `serde_json::Value`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::binary::binary;
use crate::process::{Finished, run_with_timeout};

/// Bound on one dialogctl run (it has its own `--timeout` on the RPC, shorter).
const RUN_TIMEOUT: Duration = Duration::from_secs(30);

/// `dialogctl stats --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    pub node_id: u64,
    /// Confirmed dialogs now.
    pub active: u64,
    /// Dialogs not yet confirmed, now.
    pub early: u64,
    pub processed: u64,
    pub expired: u64,
    /// Dialogs that ended without being confirmed (non-2xx, CANCEL).
    pub failed: u64,
}

impl Stats {
    /// Reads the counters from the JSON object `dialogctl stats --json` prints.
    pub fn from_json(value: &Value) -> Result<Stats> {
        let field = |key: &str| -> Result<u64> {
            value
                .get(key)
                .and_then(Value::as_u64)
                .ok_or_else(|| anyhow!("stats JSON has no unsigned {key:?}: {value}"))
        };
        Ok(Stats {
            node_id: field("node_id")?,
            active: field("active")?,
            early: field("early")?,
            processed: field("processed")?,
            expired: field("expired")?,
            failed: field("failed")?,
        })
    }
}

/// A `dialogctl` bound to one node's gRPC address.
#[derive(Debug, Clone)]
pub struct Dialogctl {
    binary: PathBuf,
    /// Sent as `DIALOGCTL_TOKEN` (the API's bearer token), if set.
    token: Option<String>,
    /// Passed as `--tls-ca` (the node's port speaks TLS), if set.
    tls_ca: Option<PathBuf>,
    addr: String,
}

impl Dialogctl {
    /// The workspace's `dialogctl` ([`binary`]) for `addr` (`http://127.0.0.1:P`).
    pub fn new(addr: impl Into<String>) -> Dialogctl {
        Dialogctl::with_binary(binary("dialogctl"), addr)
    }

    pub fn with_binary(binary: PathBuf, addr: impl Into<String>) -> Dialogctl {
        Dialogctl {
            binary,
            token: None,
            tls_ca: None,
            addr: addr.into(),
        }
    }

    /// The same `dialogctl` talking TLS, trusting the CA certificate in `ca` (`--tls-ca`).
    pub fn with_tls_ca(mut self, ca: Option<&std::path::Path>) -> Dialogctl {
        self.tls_ca = ca.map(std::path::Path::to_path_buf);
        self
    }

    /// The same `dialogctl` with this API token (`None`: no token).
    pub fn with_token(mut self, token: Option<&str>) -> Dialogctl {
        self.token = token.map(str::to_owned);
        self
    }

    /// Runs `dialogctl --addr A --timeout 10s <args>` and returns what happened, whatever the exit
    /// status (for tests of failures).
    pub fn run(&self, args: &[&str]) -> Result<(Option<i32>, String, String)> {
        let Finished {
            status,
            stdout,
            stderr,
        } = self.exec(args)?;
        Ok((status.code(), stdout, stderr))
    }

    /// Runs `dialogctl --addr A --json <args>`, requires exit status 0 and parses stdout.
    pub fn json(&self, args: &[&str]) -> Result<Value> {
        let mut with_json = vec!["--json"];
        with_json.extend_from_slice(args);
        let done = self.exec(&with_json)?;
        if !done.status.success() {
            bail!(
                "dialogctl {} failed ({}): {}{}",
                args.join(" "),
                done.status,
                done.stderr.trim(),
                done.stdout.trim()
            );
        }
        serde_json::from_str(done.stdout.trim()).with_context(|| {
            format!(
                "dialogctl {} printed no JSON: {:?}",
                args.join(" "),
                done.stdout
            )
        })
    }

    fn exec(&self, args: &[&str]) -> Result<Finished> {
        let mut command = Command::new(&self.binary);
        command
            .arg("--addr")
            .arg(&self.addr)
            .arg("--timeout")
            .arg("10s")
            .args(args)
            .env_remove("DIALOGCTL_ADDR")
            .env_remove("DIALOGCTL_TOKEN")
            .env_remove("DIALOGCTL_TLS_CA");
        if let Some(t) = &self.token {
            command.env("DIALOGCTL_TOKEN", t);
        }
        if let Some(ca) = &self.tls_ca {
            command.arg("--tls-ca").arg(ca);
        }
        run_with_timeout(&mut command, RUN_TIMEOUT)
    }

    /// `stats`.
    pub fn stats(&self) -> Result<Stats> {
        Stats::from_json(&self.json(&["stats"])?)
    }

    /// `stats` once `wanted` holds of them, polled for at most `within`: counters settle a little
    /// after the last message of a call. The timeout error names `what` and the last stats.
    pub fn settled(
        &self,
        within: Duration,
        what: &str,
        wanted: impl Fn(&Stats) -> bool,
    ) -> Result<Stats> {
        crate::wait::wait_until(within, what, || {
            let stats = self.stats()?;
            if !wanted(&stats) {
                bail!("stats {stats:?}");
            }
            Ok(stats)
        })
    }

    /// [`Dialogctl::settled`] once `calls` dialogs were processed and none is active or early,
    /// polled for at most 30 s: the last BYEs to be counted.
    pub fn settled_processed(&self, calls: u64) -> Result<Stats> {
        self.settled(
            Duration::from_secs(30),
            "the last BYEs to be counted",
            |s| s.processed == calls && s.active == 0 && s.early == 0,
        )
    }

    /// `profile size NAME [VALUE]`: the size.
    pub fn profile_size(&self, name: &str, value: Option<&str>) -> Result<u64> {
        let mut args = vec!["profile", "size", name];
        args.extend(value);
        let json = self.json(&args)?;
        json.get("size")
            .and_then(Value::as_u64)
            .ok_or_else(|| anyhow!("profile size JSON has no unsigned \"size\": {json}"))
    }

    /// `dialogs list`: one JSON object per dialog ("id", "call_id", "state", ...).
    pub fn dialogs(&self) -> Result<Vec<Value>> {
        match self.json(&["dialogs", "list"])? {
            Value::Array(dialogs) => Ok(dialogs),
            other => bail!("dialogs list printed no JSON array: {other}"),
        }
    }

    /// The first confirmed dialog `dialogs list` shows within `within` (its JSON object).
    pub fn confirmed(&self, within: Duration) -> Result<Value> {
        crate::wait::wait_until(within, "a confirmed call", || {
            let dialogs = self.dialogs()?;
            dialogs
                .iter()
                .find(|d| d["state"] == "confirmed")
                .cloned()
                .ok_or_else(|| anyhow!("no confirmed dialog: {dialogs:?}"))
        })
    }

    /// `dialogs show ID`.
    pub fn dialog(&self, id: &str) -> Result<Value> {
        self.json(&["dialogs", "show", id])
    }

    /// `dialogs end ID`.
    pub fn end_dialog(&self, id: &str) -> Result<Value> {
        self.json(&["dialogs", "end", id])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stats_read_every_counter() {
        let value = json!({"node_id": 1, "active": 2, "early": 3, "processed": 4, "expired": 5, "failed": 6});
        assert_eq!(
            Stats::from_json(&value).unwrap(),
            Stats {
                node_id: 1,
                active: 2,
                early: 3,
                processed: 4,
                expired: 5,
                failed: 6
            }
        );
    }

    #[test]
    fn stats_reject_missing_or_negative_counters() {
        let table = [
            json!({"node_id": 1, "active": 2, "early": 3, "processed": 4, "expired": 5}),
            json!({"node_id": 1, "active": -2, "early": 3, "processed": 4, "expired": 5, "failed": 0}),
            json!({"node_id": 1, "active": "2", "early": 3, "processed": 4, "expired": 5, "failed": 0}),
            json!([]),
        ];
        for value in table {
            assert!(
                Stats::from_json(&value).is_err(),
                "{value} should not parse"
            );
        }
    }

    #[test]
    fn a_failing_command_reports_its_stderr() {
        let ctl = Dialogctl::with_binary(PathBuf::from("/bin/false"), "http://127.0.0.1:1");
        let err = ctl.stats().unwrap_err();
        assert!(format!("{err:#}").contains("failed"), "{err:#}");
    }
}
