//! The machine a run measured on, printed above the tables and written into the JSON: CPUs,
//! CPU model, kernel, SIPp version, the workspace's commit.

use std::fs;
use std::process::Command;

use dialogd_test_support::workspace_root;
use serde::Serialize;

/// See the module doc; `?` where a figure could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    pub cpus: usize,
    pub cpu: String,
    pub kernel: String,
    pub sipp: String,
    pub commit: String,
}

/// Stdout of a command, trimmed; `?` when it cannot run.
fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "?".to_owned())
}

impl Environment {
    pub fn read() -> Environment {
        let cpus = output("getconf", &["_NPROCESSORS_ONLN"])
            .parse()
            .unwrap_or_else(|_| std::thread::available_parallelism().map_or(0, |n| n.get()));
        let cpu = fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, model)| model.trim().to_owned())
            })
            .unwrap_or_else(|| "?".to_owned());
        let sipp = output("sipp", &["-v"])
            .lines()
            .find(|l| l.contains("SIPp"))
            .map_or_else(|| "?".to_owned(), |l| l.trim().to_owned());
        let root = workspace_root();
        Environment {
            cpus,
            cpu,
            kernel: output("uname", &["-r"]),
            sipp,
            commit: output(
                "git",
                &[
                    "-C",
                    &root.to_string_lossy(),
                    "rev-parse",
                    "--short",
                    "HEAD",
                ],
            ),
        }
    }

    /// `2 CPUs (model), kernel K, SIPp v3.6.1..., commit abc1234`.
    pub fn line(&self) -> String {
        format!(
            "{} CPUs ({}), kernel {}, {}, commit {}",
            self.cpus, self.cpu, self.kernel, self.sipp, self.commit
        )
    }
}
