//! `hostile`: the hostile benchmark. One release dialogd carries clean SIPp calls while
//! attackers hit it (garbage datagrams, an INVITE flood, slow TCP connections, forged responses
//! towards a TCP blackhole), a phase per attack and one with all of them, in a private network
//! namespace; prints a table per phase and a summary (see `dialogd_chaos_tests::hostile`).
//!
//! ```text
//! cargo run --release -p dialogd-chaos-tests --bin hostile -- [--seconds 60] [--rate 200]
//!     [--attacks all|garbage,invite-flood,slow-tcp,forged] [--spread-slow-tcp]
//!     [--flood-uri sip:x@127.0.0.99;transport=tcp] [--dialogd target/release/dialogd]
//! ```
//!
//! Needs root (the namespace and its iptables rule), `ip`, `iptables` and `sipp`. Before the
//! namespace is made, a missing `target/release/dialogd` is built (`cargo build --release --bin
//! dialogd`) and the open-files limit is raised to what 5,000 slow connections need (the
//! attackers' sockets here and dialogd's accepted ones: children inherit RLIMIT_NOFILE).
//! Everything is stopped at the end, or on Ctrl-C: the terminal's SIGINT reaches the whole
//! process group (dialogd and SIPp with it), and a namespace ends with its last process.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use dialogd_chaos_tests::hostile::{self, Options, attackers, table};
use dialogd_test_support::attack::raise_open_files_limit;
use dialogd_test_support::{build_release, netns, release_binary};

/// Open files wanted: the slow connections on both sides, plus room for everything else.
const OPEN_FILES: u64 = 2 * attackers::SLOW_CONNECTIONS as u64 + 4_096;

#[derive(Debug, Parser)]
#[command(about = "Clean calls through one dialogd under attack, a phase per attack")]
struct Cli {
    /// Seconds of clean calls per phase.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Clean calls per second.
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// `all` or a comma-separated list of: garbage, invite-flood, slow-tcp, forged.
    #[arg(long, default_value = "all")]
    attacks: String,
    /// Open the slow TCP connections from 20 source addresses (127.0.0.10-29) instead of one.
    #[arg(long)]
    spread_slow_tcp: bool,
    /// Request-URI of the flooded INVITEs (`sip:x@127.0.0.99;transport=tcp`: a blackholed hop).
    #[arg(long, default_value = attackers::DEFAULT_FLOOD_URI)]
    flood_uri: String,
    /// The dialogd binary (default: target/release/dialogd of the workspace, built if missing).
    #[arg(long)]
    dialogd: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hostile: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    if cli.seconds == 0 || !cli.rate.is_finite() || cli.rate <= 0.0 {
        bail!("--seconds and --rate must be above 0");
    }
    let attacks = hostile::parse_attacks(&cli.attacks)?;
    let dialogd = match cli.dialogd {
        Some(path) => path,
        None => release_dialogd()?,
    };
    let open_files = raise_open_files_limit(OPEN_FILES)?;
    if open_files < OPEN_FILES {
        eprintln!(
            "[hostile] open-files limit {open_files} < {OPEN_FILES}: slow-tcp may run out of \
             file descriptors"
        );
    }
    // From the main thread before any other thread exists: everything the run starts is inside.
    let ns = netns::isolate().context("the benchmark runs in its own network namespace")?;
    ns.blackhole_tcp(hostile::BLACKHOLE)?;
    eprintln!(
        "[hostile] network namespace {} (TCP to {} dropped), dialogd {}, open files {open_files}",
        ns.name(),
        hostile::BLACKHOLE,
        dialogd.display()
    );
    let options = Options {
        seconds: cli.seconds,
        rate: cli.rate,
        attacks,
        dialogd,
        spread_slow_tcp: cli.spread_slow_tcp,
        flood_uri: cli.flood_uri,
    };
    let reports = hostile::run(&options)?;
    println!(
        "summary ({} s of calls at {}/s per phase)",
        options.seconds, options.rate
    );
    print!("{}", table::summary(&reports));
    Ok(())
}

/// `target/release/dialogd` of the workspace (or of `CARGO_TARGET_DIR`), built if missing.
fn release_dialogd() -> Result<PathBuf> {
    let path = release_binary("dialogd");
    if !path.is_file() {
        eprintln!(
            "[hostile] {} missing: cargo build --release --bin dialogd",
            path.display()
        );
        build_release(&["dialogd"])?;
    }
    Ok(path)
}
