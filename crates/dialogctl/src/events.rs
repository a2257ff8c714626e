//! `dialogctl events`: opens a `WatchEvents` stream and prints each event as it arrives (one
//! line, or one JSON object per line with `--json`), until `--count` events were printed, the
//! server ends the stream, or an error (then the server's message, as every command).

use std::io::Write as _;

use dialogd_api::{Client, ClientOptions, EventFilter};
use dialogd_dialog::ProfileKey;
use tonic::Code;

use crate::cli::EventsArgs;
use crate::commands::Failure;
use crate::output::events::event_line;

/// The filter `args` ask for; a bad dialog id fails before connecting.
pub fn filter(args: &EventsArgs) -> Result<EventFilter, Failure> {
    let did = args
        .dialog
        .as_deref()
        .map(|id| {
            id.parse().map_err(|e| Failure {
                code: Code::InvalidArgument,
                message: format!("dialog: {e}"),
            })
        })
        .transpose()?;
    Ok(EventFilter {
        kinds: args.kinds.clone(),
        call_id: args.call_id.clone(),
        profile: args.profile.clone().map(|name| ProfileKey {
            name,
            value: args.value.clone(),
        }),
        did,
    })
}

/// Follows the events of the node at `addr`, printing them on stdout as they come.
pub async fn follow(
    addr: &str,
    options: &ClientOptions,
    args: &EventsArgs,
    json: bool,
) -> Result<(), Failure> {
    let filter = filter(args)?;
    if args.count == Some(0) {
        return Ok(());
    }
    let client = Client::connect_options(addr, options).await?;
    let mut stream = client.watch_events(&filter).await?;
    let mut printed = 0;
    let mut stdout = std::io::stdout();
    while let Some(event) = stream.next().await? {
        let line = event_line(&event, json);
        // A closed pipe (`dialogctl events | head`) ends the command quietly.
        if stdout
            .write_all(line.as_bytes())
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return Ok(());
        }
        printed += 1;
        if args.count.is_some_and(|n| printed >= n) {
            break;
        }
    }
    Ok(())
}
