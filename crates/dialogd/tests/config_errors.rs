//! Scenario: an operator runs `dialogd --check-config` (and then `dialogd`) on config files;
//! a broken file exits 2 with `dialogd: <file>:<line>: <reason>` on stderr, a good one prints
//! OK, and a started node writes `endpoints.json` and stops cleanly on SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn dialogd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dialogd"));
    for (k, _) in std::env::vars() {
        if k.starts_with("DIALOGD_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd
}

fn check(path: &Path, extra: &[&str]) -> Output {
    dialogd()
        .arg("--config")
        .arg(path)
        .arg("--check-config")
        .args(extra)
        .output()
        .unwrap()
}

/// `dialogd --config <path> --check-config`, asserted to exit 0 (the failure shows its stderr).
fn check_ok(path: &Path) -> Output {
    let out = check(path, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn broken_files_exit_2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    // (file, line, part of the reason)
    let cases: &[(&str, usize, &str)] = &[
        (
            "node_id = 1\nsip_listen = 127.0.0.1\n",
            2,
            "TOML syntax error at column",
        ),
        (
            "node_id = 1\n\n[dialog]\nlimit_reject_code = 99\n",
            4,
            "dialog.limit_reject_code: 99 is not a final error response",
        ),
        (
            "[dialog]\nmatch_mode = \"sometimes\"\n",
            2,
            "unknown variant `sometimes`",
        ),
        (
            "[[rules]]\nname = \"x\"\nmatch = { from_user = \"([\" }\n",
            3,
            "rules[0].match.from_user: invalid regex",
        ),
        ("[sip]\nt1_ms = 0\n", 2, "sip.t1_ms: must be at least 1"),
        (
            "[[rules]]\nname = \"ka\"\nkeepalive = { callee = true, interval = 0 }\n",
            3,
            "rules[0].keepalive.interval: 0 is not in 1..=86400 seconds",
        ),
        (
            "[[rules]]\nkeepalive = { callee = true, every = 5 }\n",
            2,
            "unknown field `every`",
        ),
        ("nonsense = true\n", 1, "unknown field `nonsense`"),
    ];
    for (i, (text, line, reason)) in cases.iter().enumerate() {
        let path = write(dir.path(), &format!("bad{i}.toml"), text);
        let out = check(&path, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text:?}: {stderr}");
        let want = format!("dialogd: {}:{line}: ", path.display());
        assert!(
            stderr.starts_with(&want),
            "{text:?}: got {stderr:?}, want prefix {want:?}"
        );
        assert!(
            stderr.contains(reason),
            "{text:?}: got {stderr:?}, want {reason:?}"
        );
        assert!(out.stdout.is_empty(), "nothing on stdout for a bad file");
    }
}

#[test]
fn good_file_prints_ok() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "good.toml",
        "node_id = 7\n[[rules]]\nprofiles = [{ name = \"calls\", limit = 10 }]\n",
    );
    let out = check_ok(&path);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "OK\n");
}

#[test]
fn example_config_passes_check() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/dialogd.example.toml");
    check_ok(&path);
}

#[test]
fn bad_flag_and_env_values_exit_2_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "good.toml", "");
    let out = check(&path, &["--node-id", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("dialogd: flag --node-id: node_id: 0 is out of range")
    );

    let out = dialogd()
        .arg("--config")
        .arg(&path)
        .arg("--check-config")
        .env("DIALOGD_DIALOG__DEFAULT_TIMEOUT", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(
            "dialogd: environment variable DIALOGD_DIALOG__DEFAULT_TIMEOUT: dialog.default_timeout:"
        ),
        "{stderr}"
    );
}

#[test]
fn missing_file_exits_2() {
    let out = check(Path::new("/nonexistent/dialogd.toml"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("dialogd: /nonexistent/dialogd.toml: cannot read config file")
    );
}

#[cfg(unix)]
#[test]
fn node_writes_endpoints_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = dialogd()
        .args([
            "--sip-listen",
            "127.0.0.1:0",
            "--grpc-listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let endpoints = data.join("endpoints.json");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !endpoints.exists() {
        assert!(Instant::now() < deadline, "endpoints.json not written");
        assert!(child.try_wait().unwrap().is_none(), "dialogd exited early");
        std::thread::sleep(Duration::from_millis(20));
    }
    let e = dialogd_node::Endpoints::read(&data).unwrap();
    assert!(
        e.sip.port() != 0 && e.grpc.port() != 0 && e.metrics.port() != 0,
        "{e:?}"
    );
    // The SIP port is held on TCP (and UDP) while the node runs.
    assert!(std::net::TcpStream::connect(e.sip).is_ok());

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        assert!(Instant::now() < deadline, "dialogd did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(0));
}
