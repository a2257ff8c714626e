//! `dialogctl`: the operator CLI over dialogd's gRPC API. Thin: parse the command
//! line (`cli.rs`), run it (`commands.rs`; the commands that change dialogs' data in
//! `control.rs`; the `call` subcommands of the `CallControl` service in `call.rs`), print
//! tables or JSON (`output.rs`); `events`
//! follows a stream and prints as it goes (`events.rs`). On failure it
//! prints `dialogctl: <CODE>: <message>` on stderr and exits with 1 (2 for usage errors).

mod call;
mod cli;
mod commands;
mod control;
mod events;
mod output;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli).await {
        Ok(text) => {
            // A closed pipe (`dialogctl ... | head`) is not an error worth a panic.
            let _ = std::io::stdout().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!(
                "dialogctl: {}: {}",
                dialogd_api::status::code_name(failure.code),
                failure.message
            );
            ExitCode::FAILURE
        }
    }
}
