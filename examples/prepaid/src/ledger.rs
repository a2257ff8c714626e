//! The prepaid ledger: account credit in seconds, the calls in progress with what they have
//! been charged so far, and the finished calls. Kept in one small JSON file, read at start and
//! rewritten atomically (temporary file + rename) after every change:
//!
//! ```json
//! { "accounts": { "alice": 12 }, "calls": [] }
//! ```
//!
//! Holds data and persistence only; the charging rules are in `decide.rs`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

/// The whole ledger file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Credit left per account, in seconds.
    #[serde(default)]
    pub accounts: BTreeMap<String, u64>,
    /// Finished calls, oldest first.
    #[serde(default)]
    pub calls: Vec<CallRecord>,
    /// Calls in progress by dialog id: kept in the file so that a restart of the controller
    /// does not forget what they were charged.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub open: BTreeMap<String, OpenCall>,
}

/// A call in progress that has been charged at least once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenCall {
    pub account: String,
    pub charged_secs: u64,
}

/// A finished call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// The dialog id (hex).
    pub dialog: String,
    pub call_id: String,
    /// `None` when the call had no account (it was never extended).
    pub account: Option<String>,
    /// Seconds charged to the account.
    pub charged_secs: u64,
    /// From the answer to the hang-up, rounded to the second (0 if never answered).
    pub duration_secs: u64,
    /// Why the dialog ended (`bye_caller`, `timeout`, ...).
    pub end_cause: Option<String>,
}

impl Ledger {
    /// Reads the ledger at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Ledger> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read ledger {} (create it like {{ \"accounts\": {{ \"alice\": 12 }}, \"calls\": [] }})",
                path.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("bad ledger {}", path.display()))
    }

    /// Writes the ledger to `path` atomically: a temporary file beside it, synced, renamed.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = temp_path(path);
        let json = serde_json::to_vec_pretty(self).context("cannot encode the ledger")?;
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&json)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().with_context(|| format!("cannot write ledger {}", path.display()))
    }
}

/// `FILE.tmp` in the directory of `path` (a rename is atomic within one file system).
fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_format_and_saves_it_back() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("ledger.json");
        std::fs::write(&path, r#"{ "accounts": { "alice": 12 }, "calls": [] }"#)?;
        let mut ledger = Ledger::load(&path)?;
        assert_eq!(ledger.accounts.get("alice"), Some(&12));
        assert!(ledger.calls.is_empty() && ledger.open.is_empty());

        ledger.accounts.insert("bob".into(), 3);
        ledger.save(&path)?;
        assert_eq!(Ledger::load(&path)?, ledger);
        assert!(!temp_path(&path).exists());
        let text = std::fs::read_to_string(&path)?;
        assert!(!text.contains("open"), "no open calls, no key: {text}");
        Ok(())
    }

    #[test]
    fn a_missing_or_bad_file_is_an_error_naming_it() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("nope.json");
        let err = Ledger::load(&path).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("nope.json")));
        std::fs::write(&path, "{ accounts")?;
        assert!(Ledger::load(&path).is_err());
        Ok(())
    }
}
