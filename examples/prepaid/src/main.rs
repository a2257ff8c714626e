//! `prepaid`: a prepaid-calling controller for dialogd's `Triggers` API, the "Simple PrePaid"
//! of the OpenSIPS 3.1 dialog-triggers article done from outside the proxy. It serves one
//! trigger name; a dialogd rule gives calls a short timeout and that name, and every timeout
//! asks this controller whether the caller may talk one more unit.
//!
//! Thin on purpose: it parses flags, connects (and reconnects), and hands each trigger to the
//! pure rules of `decide.rs`, saving the ledger (`ledger.rs`) before answering.

mod decide;
mod ledger;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use dialogd_api::{IncomingTrigger, TriggerController};
use dialogd_dialog::TriggerKind;

use crate::ledger::Ledger;

/// Wait before reconnecting after the stream ends or fails.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Prepaid calls over dialogd's Triggers API: extend each call by one unit while its account
/// has credit, let it expire when not, record each finished call.
#[derive(Debug, Parser)]
#[command(name = "prepaid")]
struct Args {
    /// dialogd gRPC address.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    addr: String,
    /// API bearer token (dialogd's `api.token`).
    #[arg(long, env = "DIALOGD_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Ledger JSON file: `{ "accounts": { "alice": 12 }, "calls": [] }` (credit in seconds).
    #[arg(long)]
    ledger: PathBuf,
    /// Trigger name served (the `triggers` of the dialogd rule).
    #[arg(long, default_value = "prepaid")]
    name: String,
    /// Seconds charged and granted per extension.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    unit_secs: u32,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let result = tokio::select! {
        result = run(&args) => result,
        _ = tokio::signal::ctrl_c() => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("prepaid: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Serves triggers until a ledger error (reconnecting whenever the stream ends).
async fn run(args: &Args) -> anyhow::Result<()> {
    let mut ledger = Ledger::load(&args.ledger)?;
    loop {
        match TriggerController::connect(&args.addr, args.token.as_deref(), &[&args.name]).await {
            Ok(mut controller) => {
                println!(
                    "prepaid: serving {:?} on node {} ({} accounts)",
                    controller.names(),
                    controller.node_id(),
                    ledger.accounts.len()
                );
                serve(args, &mut ledger, &mut controller).await?;
                eprintln!("prepaid: stream ended");
            }
            Err(e) => eprintln!("prepaid: {e}"),
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

/// Handles the triggers of one stream until it ends.
async fn serve(
    args: &Args,
    ledger: &mut Ledger,
    controller: &mut TriggerController,
) -> anyhow::Result<()> {
    while let Some(next) = controller.next().await {
        let trigger = match next {
            Ok(trigger) => trigger,
            Err(dialogd_api::Error::Status(status)) => {
                eprintln!("prepaid: {}", status.message());
                return Ok(());
            }
            Err(e) => {
                eprintln!("prepaid: skipped a trigger: {e}");
                continue;
            }
        };
        handle(args, ledger, controller, &trigger).await?;
    }
    Ok(())
}

/// One trigger: decide, save the ledger, then answer (so a charge is never lost).
async fn handle(
    args: &Args,
    ledger: &mut Ledger,
    controller: &TriggerController,
    t: &IncomingTrigger,
) -> anyhow::Result<()> {
    let did = t.dialog.did;
    let call_id = &t.dialog.call_id;
    match t.kind {
        TriggerKind::OnAnswer => println!("[{did}] {call_id} answered"),
        TriggerKind::OnTimeout => {
            let outcome = decide::on_timeout(
                ledger,
                &t.dialog,
                args.unit_secs,
                now_ms(),
                t.deadline_unix_ms,
            );
            ledger.save(&args.ledger)?;
            println!("[{did}] {call_id} on_timeout: {outcome}");
            if let Err(e) = controller.decide(t.trigger_id, outcome.decision).await {
                eprintln!("prepaid: [{did}] decision not sent: {e}");
            }
        }
        TriggerKind::OnHangup => {
            let call = decide::on_hangup(ledger, &t.dialog, now_ms());
            ledger.save(&args.ledger)?;
            println!(
                "[{did}] {call_id} ended ({}) after {} s, charged {} s",
                call.end_cause.as_deref().unwrap_or("?"),
                call.duration_secs,
                call.charged_secs
            );
        }
    }
    Ok(())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
