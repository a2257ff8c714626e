//! `chaos`: runs the chaos scenarios against a fresh three-node cluster each, prints a summary
//! table, writes a JSON report per scenario and exits non-zero if an invariant broke (or a
//! scenario could not be carried out).
//!
//! ```text
//! cargo run -p dialogd-chaos-tests --bin chaos -- --scenario leader-kill [--seconds 60] [--rate 6]
//! cargo run -p dialogd-chaos-tests --bin chaos -- --scenario all
//! cargo run -p dialogd-chaos-tests --bin chaos -- --list
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Parser;
use dialogd_chaos_tests::{Backend, Params, default_report_dir, run_all, scenarios, summary_table};

#[derive(Debug, Parser)]
#[command(about = "Fault scenarios against a three-node dialogd cluster under SIPp load")]
struct Cli {
    /// A scenario name (see --list) or `all`.
    #[arg(long, default_value = "all")]
    scenario: String,
    /// Seconds of load (new calls); the faults happen inside it.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// New ordinary calls per second over the cluster (timed calls: a third; capped: half).
    #[arg(long, default_value_t = 6.0)]
    rate: f64,
    /// Where the JSON reports go (default: chaos-tests/reports of the workspace).
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// Where the cluster runs.
    #[arg(long, value_enum, default_value_t = Backend::Local)]
    backend: Backend,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("chaos: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<bool> {
    if cli.list {
        for s in scenarios::all() {
            let note = s
                .unavailable(cli.backend)
                .map(|why| format!("  [not available: {why}]"))
                .unwrap_or_default();
            println!("{:<24} {}{note}", s.name, s.about);
        }
        return Ok(true);
    }
    if cli.seconds < 10 || cli.rate.is_nan() || cli.rate <= 0.0 {
        bail!("--seconds must be at least 10 and --rate above 0");
    }
    let chosen = if cli.scenario == "all" {
        scenarios::all().to_vec()
    } else {
        match scenarios::find(&cli.scenario) {
            Some(s) => vec![s],
            None => bail!("no scenario {:?} (see --list)", cli.scenario),
        }
    };
    let params = Params {
        seconds: cli.seconds,
        rate: cli.rate,
        report_dir: cli.report_dir.unwrap_or_else(default_report_dir),
        backend: cli.backend,
    };
    let reports = run_all(&chosen, &params)?;
    println!();
    print!("{}", summary_table(&reports));
    Ok(reports.iter().all(|r| r.is_ok()))
}
