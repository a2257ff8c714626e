//! The benchmark driver behind `scripts/bench` (binary `bench`): SIPp uac → proxy → SIPp uas on
//! 127.0.0.1, short record-routed calls at increasing rates, against release dialogd (one node
//! or a cluster) and Kamailio; or, with `--held`, the memory each held dialog costs. Not a test:
//! it prints figures (Markdown tables that docs/benchmarks.md quotes) and asserts nothing.
//!
//! ```text
//!   bench ─ cargo build --release (dialogd, dialogctl) ─ uas.xml
//!     for each proxy (dialogd ×N for each cluster size, kamailio):
//!       start ─ for each rate: /metrics + /proc ─ uac(s) … done ─ 0.5 s ─ /proc + /metrics ─ 2 s
//!       stop
//!   tables: rows, cluster sizes compared, CPU per call / Kamailio's
//! ```
//!
//! Figures of a step: calls placed (the uacs' created calls), achieved rate (successful calls
//! per second of the uacs' run), failed calls (plus any the uacs never created), CPU ms per call
//! (utime + stime of the proxy's processes and their children over the step ÷ calls placed,
//! summed over a cluster's nodes), CPU % of one core, memory (dialogd: RSS summed over the
//! nodes; Kamailio: PSS summed over its processes), and for dialogd the admission commit p50 and
//! p99 ([`commit`]).
//!
//! Owns: [`Options`] and [`run`]; [`proxy`] (the [`proxy::Proxy`] trait and dialogd on the test
//! harness's cluster), [`kamailio`], [`steps`] (a rate step, a held step), [`commit`] (the
//! histogram), [`procfs`], [`table`] (rows and Markdown), [`environment`], [`interrupt`]
//! (Ctrl-C).
//!
//! Must not leave anything running: every process it starts is a handle that stops it when
//! dropped, on every path out of [`run`], and a signal turns into an error that takes that
//! path ([`interrupt`]). Everything listens on 127.0.0.1.

pub mod commit;
pub mod environment;
pub mod interrupt;
pub mod kamailio;
pub mod procfs;
pub mod proxy;
pub mod steps;
pub mod table;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

use environment::Environment;
use kamailio::Kamailio;
use proxy::{Dialogd, DialogdSetup, Proxy};
use steps::{HeldStep, RateStep};
use table::{HeldRow, RateRow};

/// A proxy to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    Dialogd,
    /// dialogd with `[dialog] passivate_after = 0` (no dialog parks); held calls only.
    DialogdUnparked,
    Kamailio,
}

impl ProxyKind {
    /// `dialogd`, `dialogd-unparked` or `kamailio`.
    pub fn parse(name: &str) -> Option<ProxyKind> {
        match name {
            "dialogd" => Some(ProxyKind::Dialogd),
            "dialogd-unparked" => Some(ProxyKind::DialogdUnparked),
            "kamailio" => Some(ProxyKind::Kamailio),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ProxyKind::Dialogd => "dialogd",
            ProxyKind::DialogdUnparked => "dialogd-unparked",
            ProxyKind::Kamailio => "kamailio",
        }
    }

    pub fn is_dialogd(self) -> bool {
        self != ProxyKind::Kamailio
    }
}

/// A run's knobs (the binary's flags, checked).
#[derive(Debug, Clone)]
pub struct Options {
    pub rates: Vec<u64>,
    pub seconds: u64,
    pub pause: Duration,
    pub dialogd: DialogdSetup,
    /// In the order they are measured.
    pub proxies: Vec<ProxyKind>,
    pub kamailio_children: u32,
    /// dialogd cluster sizes, each measured on a fresh cluster (the first is the comparison's
    /// reference).
    pub sizes: Vec<usize>,
    pub uac_per_node: bool,
    /// Held-call counts: measure memory instead of rates.
    pub held: Option<Vec<u64>>,
    pub held_rate: f64,
    pub held_settle: Duration,
    pub json: Option<PathBuf>,
    /// Keep the work directory (logs, configs, SIPp statistics).
    pub keep: bool,
}

/// Runs the benchmark and prints its tables to stdout (progress goes to stderr).
pub fn run(options: &Options) -> Result<()> {
    let env = Environment::read();
    let mut workdir = tempfile::Builder::new()
        .prefix("dialogd-bench-")
        .tempdir()
        .context("cannot create the work directory")?;
    if options.keep {
        workdir.disable_cleanup(true);
    }
    eprintln!("bench: work directory {}", workdir.path().display());
    match &options.held {
        Some(counts) => run_held(options, counts, &env, workdir.path()),
        None => run_rates(options, &env, workdir.path()),
    }
}

fn start_dialogd(
    options: &Options,
    dir: &Path,
    nodes: usize,
    passivate_after: Option<u64>,
) -> Result<Box<Dialogd>> {
    Ok(Box::new(Dialogd::start(
        &options.dialogd,
        dir,
        nodes,
        passivate_after,
    )?))
}

fn run_rates(options: &Options, env: &Environment, workdir: &Path) -> Result<()> {
    let mut rows: Vec<RateRow> = Vec::new();
    let mut leaders: BTreeMap<String, u64> = BTreeMap::new();
    let uas = steps::start_uas(workdir)?;
    for kind in &options.proxies {
        let sizes: &[usize] = if kind.is_dialogd() {
            &options.sizes
        } else {
            &[1]
        };
        for &n in sizes {
            let proxy: Box<dyn Proxy> = if kind.is_dialogd() {
                eprintln!(
                    "bench: starting dialogd ({n} node{})",
                    if n > 1 { "s" } else { "" }
                );
                let d = start_dialogd(options, workdir, n, None)?;
                if n > 1 {
                    leaders.insert(n.to_string(), d.leader_id());
                    eprintln!("bench:   {n} voters, leader node {}", d.leader_id());
                }
                d
            } else {
                eprintln!("bench: starting kamailio");
                Box::new(Kamailio::start(
                    workdir,
                    options.kamailio_children,
                    kamailio::SHM_MB,
                )?)
            };
            for &rate in &options.rates {
                eprintln!(
                    "bench: {} {rate} calls/s for {} s",
                    proxy.name(),
                    options.seconds
                );
                let step = RateStep {
                    rate,
                    seconds: options.seconds,
                    pause: options.pause,
                    per_node: options.uac_per_node,
                };
                let row = steps::rate_step(proxy.as_ref(), &uas, step, workdir)?;
                let commit = match (row.commit_p50_ms, row.commit_p99_ms) {
                    (Some(p50), Some(p99)) => {
                        format!(", commit p50 {p50:.2} ms p99 {p99:.2} ms")
                    }
                    _ => String::new(),
                };
                eprintln!(
                    "bench:   {:.1} calls/s, {} failed, {} CPU ms/call{commit}",
                    row.achieved,
                    row.failed,
                    table::fixed(row.cpu_ms_per_call, 3)
                );
                rows.push(row);
                interrupt::sleep(Duration::from_secs(2))?;
            }
            proxy.stop();
        }
    }
    drop(uas);

    let dialogd_measured = options.proxies.iter().any(|k| k.is_dialogd());
    let mut uac_note = String::new();
    if dialogd_measured && options.sizes.iter().any(|&n| n > 1) {
        uac_note = format!(
            " dialogd clusters: every node on 127.0.0.1, {}, Raft log fsync {}; CPU and memory \
             summed over the nodes.",
            if options.uac_per_node {
                "one uac per node (rate/N each)"
            } else {
                "the uac sends every call through node 1 (the leader)"
            },
            options
                .dialogd
                .fsync
                .as_deref()
                .unwrap_or("always (default)")
        );
    }
    println!(
        "\n{}; steps of {} s, calls of {} ms between ACK and BYE; SIPp uac and uas on the same \
         machine.{uac_note}\n",
        env.line(),
        options.seconds,
        options.pause.as_millis()
    );
    println!("{}", table::rates(&rows));
    if options.sizes.len() > 1 && dialogd_measured {
        let sizes: Vec<String> = options.sizes.iter().map(usize::to_string).collect();
        println!(
            "\nCluster sizes {} (same steps, fresh cluster each; commit latency: delta of the \
             histogram over each step, all nodes):\n",
            sizes.join(", ")
        );
        println!("{}", table::comparison(&rows, &options.sizes));
    }
    if let Some(ratios) = table::kamailio_ratios(&rows) {
        println!("\n{ratios}");
    }
    if let Some(path) = &options.json {
        #[derive(Serialize)]
        struct Out<'a> {
            environment: &'a Environment,
            /// Leader node id by cluster size (sizes above 1).
            leaders: &'a BTreeMap<String, u64>,
            rows: &'a [RateRow],
        }
        write_json(
            path,
            &Out {
                environment: env,
                leaders: &leaders,
                rows: &rows,
            },
        )?;
    }
    Ok(())
}

fn run_held(options: &Options, counts: &[u64], env: &Environment, workdir: &Path) -> Result<()> {
    let mut rows: Vec<HeldRow> = Vec::new();
    let nodes = options.sizes.first().copied().unwrap_or(1);
    for kind in &options.proxies {
        for &n in counts {
            let subdir = workdir.join(format!("{}-held-{n}", kind.name()));
            fs::create_dir_all(&subdir)?;
            eprintln!("bench: starting {}, {n} held calls", kind.name());
            let proxy: Box<dyn Proxy> = match kind {
                ProxyKind::Dialogd => start_dialogd(options, &subdir, nodes, None)?,
                ProxyKind::DialogdUnparked => start_dialogd(options, &subdir, nodes, Some(0))?,
                ProxyKind::Kamailio => Box::new(Kamailio::start(
                    &subdir,
                    options.kamailio_children,
                    kamailio::HELD_SHM_MB,
                )?),
            };
            let step = HeldStep {
                calls: n,
                rate: options.held_rate,
                settle: options.held_settle,
            };
            let row = steps::held_step(proxy.as_ref(), step, &subdir)?;
            eprintln!(
                "bench:   idle {:.1} MiB, held {:.1} MiB, {} KB per dialog",
                row.idle_mib,
                row.held_mib,
                table::fixed(row.kb_per_dialog, 2)
            );
            rows.push(row);
            proxy.stop();
        }
    }
    println!(
        "\n{}; calls set up at {} calls/s, memory read {} s after the last answer; dialogd: RSS \
         (summed over nodes), Kamailio: PSS summed over its processes.\n",
        env.line(),
        table::general(options.held_rate),
        options.held_settle.as_secs()
    );
    println!("{}", table::held(&rows));
    if let Some(path) = &options.json {
        #[derive(Serialize)]
        struct Out<'a> {
            environment: &'a Environment,
            held: &'a [HeldRow],
        }
        write_json(
            path,
            &Out {
                environment: env,
                held: &rows,
            },
        )?;
    }
    Ok(())
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
