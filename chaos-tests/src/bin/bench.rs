//! `bench`: the benchmark driver `scripts/bench` runs (see `dialogd_chaos_tests::bench` and
//! docs/benchmarks.md). SIPp uac → proxy → SIPp uas on 127.0.0.1 at increasing call rates,
//! against release dialogd (one node or a cluster) and optionally Kamailio; or, with `--held`,
//! the memory per held dialog. Prints Markdown tables to stdout, progress to stderr.
//!
//! ```text
//! scripts/bench                              # build dialogd (release), run 100..1200 calls/s
//! scripts/bench --rates 200,500 --seconds 20 # other steps
//! scripts/bench --kamailio                   # also Kamailio 5.x + dialog module, same scenario,
//!                                            # and the dialogd/Kamailio CPU-per-call ratio
//! scripts/bench --proxies kamailio           # Kamailio alone (checks the set-up)
//! scripts/bench --nodes 3                    # a three-node dialogd cluster, uac via node 1
//! scripts/bench --compare-nodes 1,3 --rates 100,200,400
//!                                            # 1 node, then 3 nodes, and a comparison table
//! scripts/bench --held 10000 --kamailio      # memory per held dialog, dialogd and Kamailio
//! ```
//!
//! Exit status: 0 done, 1 a failed step or a usage error, 130 interrupted (Ctrl-C, SIGTERM).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::{Parser, ValueEnum};
use dialogd_chaos_tests::bench::interrupt::{self, INTERRUPTED_MESSAGE};
use dialogd_chaos_tests::bench::kamailio::which;
use dialogd_chaos_tests::bench::proxy::DialogdSetup;
use dialogd_chaos_tests::bench::{self, Options, ProxyKind};
use dialogd_test_support::{build_release, release_binary};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Fsync {
    Always,
    Never,
}

#[derive(Debug, Parser)]
#[command(
    name = "bench",
    about = "Benchmark of dialogd (not a test): SIPp uac -> proxy -> SIPp uas on loopback, \
             record-routed short calls at increasing call rates, or memory per held call"
)]
struct Cli {
    /// Comma-separated target call rates.
    #[arg(long, default_value = "100,200,400,800,1200")]
    rates: String,
    /// Length of each step, seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Call length between ACK and BYE, ms (short calls whose BYE cannot overtake the ACK,
    /// which uas.xml requires first).
    #[arg(long, default_value_t = 100)]
    pause_ms: u64,
    /// Use target/release/dialogd and dialogctl as they are.
    #[arg(long)]
    no_build: bool,
    /// The dialogd binary (default: target/release/dialogd).
    #[arg(long)]
    dialogd: Option<PathBuf>,
    /// The dialogctl binary, used to wait for the cluster's voters (default:
    /// target/release/dialogctl).
    #[arg(long)]
    dialogctl: Option<PathBuf>,
    /// RUST_LOG of dialogd.
    #[arg(long, default_value = "warn")]
    log: String,
    /// Comma-separated proxies to measure, in order: dialogd, kamailio, and with --held
    /// dialogd-unparked (dialog.passivate_after = 0).
    #[arg(long, default_value = "dialogd")]
    proxies: String,
    /// Same as --proxies dialogd,kamailio: Kamailio 5.x with the dialog module and one valued
    /// profile on the same steps, and the CPU ratio.
    #[arg(long)]
    kamailio: bool,
    /// Kamailio UDP/TCP worker processes (one per core here).
    #[arg(long, default_value_t = 2)]
    kamailio_children: u32,
    /// dialogd cluster size: N nodes on 127.0.0.1, node 1 first, the others join it.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Comma-separated cluster sizes (e.g. 1,3): run the steps on a fresh dialogd cluster of
    /// each size in turn and print a comparison table (overrides --nodes).
    #[arg(long, value_name = "SIZES")]
    compare_nodes: Option<String>,
    /// One SIPp uac per dialogd node, rate/N calls/s each (default: one uac through node 1,
    /// the leader).
    #[arg(long)]
    uac_per_node: bool,
    /// [cluster] fsync of the dialogd nodes (default: dialogd's, always).
    #[arg(long, value_enum)]
    fsync: Option<Fsync>,
    /// Comma-separated numbers of held calls (e.g. 10000,100000): measure memory per held
    /// dialog instead of call rates.
    #[arg(long, value_name = "COUNTS")]
    held: Option<String>,
    /// Call set-up rate of --held, calls/s.
    #[arg(long, default_value_t = 1000.0)]
    held_rate: f64,
    /// Seconds waited after the last answer before reading memory (the set-up transactions
    /// end: RFC 3261 timers L/J are 32 s).
    #[arg(long, default_value_t = 40)]
    held_settle: u64,
    /// Also write the rows as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Keep the work directory (logs, SIPp statistics).
    #[arg(long)]
    keep: bool,
}

/// Comma-separated numbers, blanks skipped.
fn numbers<T: std::str::FromStr>(text: &str, what: &str) -> Result<Vec<T>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| anyhow::anyhow!("{what}: {s:?} is not a number"))
        })
        .collect()
}

/// Checks the flags, builds the binaries unless `--no-build`; the run's options.
fn options(cli: Cli) -> Result<Options> {
    let rates: Vec<u64> = numbers(&cli.rates, "--rates")?;
    let names: Vec<String> = if cli.kamailio {
        vec!["dialogd".into(), "kamailio".into()]
    } else {
        cli.proxies
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    if names.iter().any(|n| n == "dialogd-unparked") && cli.held.is_none() {
        bail!("dialogd-unparked is for --held");
    }
    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| ProxyKind::parse(n).is_none())
        .collect();
    if !unknown.is_empty() {
        bail!("unknown proxies {unknown:?}");
    }
    let mut proxies: Vec<ProxyKind> = names.iter().filter_map(|n| ProxyKind::parse(n)).collect();
    let sizes: Vec<usize> = match &cli.compare_nodes {
        Some(text) => {
            if !proxies.contains(&ProxyKind::Dialogd) {
                proxies.insert(0, ProxyKind::Dialogd);
            }
            numbers(text, "--compare-nodes")?
        }
        None => vec![cli.nodes],
    };
    if sizes.is_empty() || sizes.contains(&0) {
        bail!("a cluster has at least 1 node");
    }
    let held = match &cli.held {
        Some(text) => Some(numbers(text, "--held")?),
        None => None,
    };
    if held.as_ref().is_some_and(|c| c.contains(&0)) {
        bail!("--held counts are above 0");
    }
    if !cli.held_rate.is_finite() || cli.held_rate <= 0.0 {
        bail!("--held-rate must be above 0");
    }
    if which("sipp").is_none() {
        bail!("sipp is not installed (Debian package sip-tester)");
    }
    let dialogd = cli.dialogd.unwrap_or_else(|| release_binary("dialogd"));
    let dialogctl = cli.dialogctl.unwrap_or_else(|| release_binary("dialogctl"));
    if proxies.iter().any(|k| k.is_dialogd()) {
        if !cli.no_build {
            eprintln!("bench: cargo build --release --bin dialogd --bin dialogctl");
            build_release(&["dialogd", "dialogctl"])?;
        }
        if !dialogd.is_file() {
            bail!("no dialogd binary at {}", dialogd.display());
        }
        // The harness waits for the cluster's leader (and voters) through dialogctl.
        if !dialogctl.is_file() {
            bail!("no dialogctl binary at {}", dialogctl.display());
        }
    }
    Ok(Options {
        rates,
        seconds: cli.seconds,
        pause: Duration::from_millis(cli.pause_ms),
        dialogd: DialogdSetup {
            dialogd,
            dialogctl,
            log: cli.log,
            fsync: cli.fsync.map(|f| {
                match f {
                    Fsync::Always => "always",
                    Fsync::Never => "never",
                }
                .to_owned()
            }),
        },
        proxies,
        kamailio_children: cli.kamailio_children,
        sizes,
        uac_per_node: cli.uac_per_node,
        held,
        held_rate: cli.held_rate,
        held_settle: Duration::from_secs(cli.held_settle),
        json: cli.json,
        keep: cli.keep,
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = interrupt::install()
        .and_then(|()| options(cli))
        .and_then(|options| bench::run(&options));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if interrupt::interrupted() && e.to_string() == INTERRUPTED_MESSAGE => {
            eprintln!("bench: interrupted; everything it started is stopped");
            ExitCode::from(130)
        }
        Err(e) => {
            eprintln!("bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
