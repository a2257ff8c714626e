//! `dialogd`: the node binary, kept thin — command line (clap), logging set-up (tracing,
//! `RUST_LOG`, human or JSON), loading the configuration, and the exit code. Everything else
//! is a library call into `dialogd-node`.
//!
//! Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM) or a good `--check-config`; 2 when the
//! configuration (or the command line) is wrong; 1 when the node cannot start (a port in use,
//! an unwritable `data_dir`, …); 74 (EX_IOERR) when a write of the Raft store failed while it
//! ran (a full disk, an I/O error); 70 (EX_SOFTWARE) when openraft's core stopped with another
//! fatal error. After 74 or 70 the node has reported NOT_SERVING and shut down: a supervisor
//! restarts it, and the store is opened afresh. Errors go to stderr as `dialogd: <error>`.

/// jemalloc instead of glibc's malloc: a proxy allocates and frees many small objects per
/// call (messages, transactions) between long-lived ones (dialogs); glibc keeps the freed
/// holes of that interleaving as resident memory, while jemalloc's size classes and its
/// decay-based purging give them back (docs/benchmarks.md, "Memory per held dialog").
/// The `system-alloc` feature keeps glibc's, for heap profilers that hook malloc (heaptrack).
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use dialogd_node::{Config, Listeners, NodeError, Overrides};
use tracing_subscriber::EnvFilter;

/// Exit code for a configuration that cannot be used.
const EXIT_CONFIG: u8 = 2;
/// Exit code for a failure at run time.
const EXIT_RUNTIME: u8 = 1;
/// Exit code when the Raft store failed while the node ran (sysexits.h EX_IOERR).
const EXIT_STORAGE: u8 = 74;
/// Exit code when openraft's core stopped on another fatal error (sysexits.h EX_SOFTWARE).
const EXIT_RAFT: u8 = 70;
/// Log filter when `RUST_LOG` is not set.
const DEFAULT_LOG_FILTER: &str = "info,openraft=warn";

/// dialogd: a clustered, dialog-stateful SIP proxy.
///
/// Settings come from the built-in defaults, then the TOML file of --config, then DIALOGD_*
/// environment variables (nested with "__", e.g. DIALOGD_DIALOG__DEFAULT_TIMEOUT=3600), then
/// the flags below.
#[derive(Debug, Parser)]
#[command(name = "dialogd", version)]
struct Args {
    /// TOML configuration file (see deploy/dialogd.example.toml).
    #[arg(long, env = "DIALOGD_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// SIP listen address, UDP and TCP (e.g. 127.0.0.1:5060).
    #[arg(long, value_name = "ADDR")]
    sip_listen: Option<String>,
    /// host[:port] written in Record-Route instead of this node's address: a name every
    /// member answers to (e.g. sip.example.net), so in-dialog requests survive a node.
    #[arg(long, value_name = "HOST[:PORT]")]
    sip_record_route: Option<String>,
    /// gRPC API listen address (e.g. 127.0.0.1:50051).
    #[arg(long, value_name = "ADDR")]
    grpc_listen: Option<String>,
    /// Prometheus /metrics and /healthz listen address (e.g. 127.0.0.1:9090).
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<String>,
    /// Directory for the node's state.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// This node's id in the cluster (1..=65535).
    #[arg(long, value_name = "ID")]
    node_id: Option<u64>,
    /// Join the cluster through this member's gRPC URL (e.g. http://10.0.0.1:50051);
    /// repeatable. Sets cluster.join.
    #[arg(long, value_name = "URL")]
    join: Vec<String>,
    /// Log format on stderr.
    #[arg(long, value_enum, env = "DIALOGD_LOG_FORMAT", default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// Load and validate the configuration, print OK and exit.
    #[arg(long)]
    check_config: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

impl Args {
    fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            sip_listen: self.sip_listen.clone(),
            sip_record_route: self.sip_record_route.clone(),
            grpc_listen: self.grpc_listen.clone(),
            metrics_listen: self.metrics_listen.clone(),
            data_dir: self.data_dir.clone(),
            node_id: self.node_id,
            join: self.join.clone(),
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    init_tracing(args.log_format);
    let config = match Config::load(&args.overrides()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("dialogd: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if args.check_config {
        println!("OK");
        return ExitCode::SUCCESS;
    }
    match run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dialogd: {e}");
            ExitCode::from(match e {
                NodeError::Config(_) => EXIT_CONFIG,
                NodeError::StorageFailed(_) => EXIT_STORAGE,
                NodeError::RaftStopped(_) => EXIT_RAFT,
                _ => EXIT_RUNTIME,
            })
        }
    }
}

fn init_tracing(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn run(config: Config) -> Result<(), NodeError> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if config.worker_threads > 0 {
        builder.worker_threads(config.worker_threads);
    }
    let runtime = builder.enable_all().build().map_err(NodeError::Runtime)?;
    runtime.block_on(async move {
        let listeners = Listeners::bind(&config).await?;
        dialogd_node::run(config, listeners, shutdown_signal()).await?;
        tracing::info!("dialogd stopped");
        Ok(())
    })
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}
