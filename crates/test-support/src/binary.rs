//! Finding the workspace's binaries from a test: `target/<profile>/<name>` next to the running
//! test executable, built once with `cargo build --bin <name>` when it is missing.
//!
//! Tests of `crates/dialogd` may use `env!("CARGO_BIN_EXE_dialogd")`, but `dialogctl` lives in
//! another package, so they find it here. Must not build anything that is already there (a
//! stale binary is the test command's business: `scripts/test` runs `cargo build --workspace
//! --bins` first, so that no test compiles while others run load) and must not build the same
//! binary twice in one process.

use std::collections::HashMap;
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::process::{run_with_timeout, tail};

/// Bound on one `cargo build --bin`.
const BUILD_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Results of the builds done by this process, by binary name.
static BUILT: OnceLock<Mutex<HashMap<String, Result<PathBuf, String>>>> = OnceLock::new();

/// The workspace root (where the top `Cargo.toml` is).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// Path of the workspace binary `name` of the profile the tests run in; builds it once if
/// missing. Panics (failing the test) when it cannot be found or built.
pub fn binary(name: &str) -> PathBuf {
    match try_binary(name) {
        Ok(path) => path,
        Err(e) => panic!("workspace binary {name}: {e:#}"),
    }
}

/// [`binary`] as a `Result`.
pub fn try_binary(name: &str) -> Result<PathBuf> {
    let profile_dir = profile_dir()?;
    let path = profile_dir.join(name);
    if path.is_file() {
        return Ok(path);
    }
    let built = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    // The lock is held during the build: a second caller waits for the first build's result.
    let mut built = built
        .lock()
        .map_err(|_| anyhow!("a previous build of a workspace binary panicked"))?;
    let result = built
        .entry(name.to_string())
        .or_insert_with(|| build(name, &profile_dir).map_err(|e| format!("{e:#}")));
    result.clone().map_err(|e| anyhow!(e))
}

/// `target/release/<name>` of the workspace (or of `CARGO_TARGET_DIR`): where
/// [`build_release`] puts it. Not built here.
pub fn release_binary(name: &str) -> PathBuf {
    let target = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("release").join(name)
}

/// `cargo build --release --bin <name>...` in the workspace, its output on the terminal; an
/// error when cargo fails or a binary is not at [`release_binary`] afterwards.
pub fn build_release(names: &[&str]) -> Result<()> {
    let mut command = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .arg("build")
        .arg("--release")
        .current_dir(workspace_root());
    for name in names {
        command.arg("--bin").arg(name);
    }
    let status = command.status().context("cannot run cargo")?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    for name in names {
        let path = release_binary(name);
        if !path.is_file() {
            bail!("{command:?} made no {}", path.display());
        }
    }
    Ok(())
}

/// `target/<profile>`: the directory of the test executable, above `deps/` or `examples/`.
fn profile_dir() -> Result<PathBuf> {
    let exe = env::current_exe().context("cannot find the test executable")?;
    let mut dir = exe
        .parent()
        .ok_or_else(|| anyhow!("test executable {} has no parent", exe.display()))?;
    if matches!(
        dir.file_name().and_then(|n| n.to_str()),
        Some("deps" | "examples")
    ) {
        dir = dir
            .parent()
            .ok_or_else(|| anyhow!("{} has no parent", dir.display()))?;
    }
    Ok(dir.to_path_buf())
}

fn build(name: &str, profile_dir: &Path) -> Result<PathBuf> {
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow!("bad profile directory {}", profile_dir.display()))?;
    let target_dir = profile_dir
        .parent()
        .ok_or_else(|| anyhow!("{} has no parent", profile_dir.display()))?;
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--bin")
        .arg(name)
        .arg("--manifest-path")
        .arg(workspace_root().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    match profile {
        "debug" => {}
        "release" => {
            command.arg("--release");
        }
        other => {
            command.arg("--profile").arg(other);
        }
    }
    let done = run_with_timeout(&mut command, BUILD_TIMEOUT)?;
    if !done.status.success() {
        bail!(
            "cargo build --bin {name} failed ({}):\n{}",
            done.status,
            tail(&done.stderr, 40)
        );
    }
    let path = profile_dir.join(name);
    if !path.is_file() {
        bail!("cargo build --bin {name} made no {}", path.display());
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_dir_is_above_deps() {
        let dir = profile_dir().unwrap();
        assert!(
            dir.join("deps").is_dir(),
            "{} should hold deps/",
            dir.display()
        );
    }

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"));
    }
}
