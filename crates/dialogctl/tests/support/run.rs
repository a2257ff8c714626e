//! Runs the built `dialogctl` binary against a test server and collects what it printed.

/// What one `dialogctl` run printed and how it exited.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `dialogctl --addr <addr> --timeout 5s <args>`.
pub async fn dialogctl(addr: &str, args: &[&str]) -> Run {
    dialogctl_env(addr, args, &[]).await
}

/// [`dialogctl`] with these environment variables set.
pub async fn dialogctl_env(addr: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_dialogctl"))
        .arg("--addr")
        .arg(addr)
        .args(["--timeout", "5s"])
        .args(args)
        .env_remove("DIALOGCTL_ADDR")
        .env_remove("DIALOGCTL_TOKEN")
        .envs(env.iter().copied())
        .output()
        .await
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Runs `dialogctl`, checks it exited 0 and parses its stdout as JSON.
pub async fn json_of(addr: &str, args: &[&str]) -> serde_json::Value {
    let run = dialogctl(addr, args).await;
    assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", run.stdout))
}
