//! `dialogctl call ...`: the `CallControl` service — end a call towards one side or
//! both, REFER a leg, set the keep-alive, transfer a leg and link the new call
//! (`call/transfer.rs`), hold and resume (`call/hold.rs`), click-to-dial (`call/bridge.rs`).
//! Parses its arguments (clap), makes one API call and returns the text to print (a sentence,
//! or one JSON object with `--json`). Never prints. A call is named by its dialog id (hex).
//!
//! ```text
//!  dialogctl call end ID [--side caller|callee|both] [-H 'X: y']...
//!  dialogctl call refer ID --side caller|callee --to sip:... [-H 'X: y']...
//!  dialogctl call keepalive ID [--caller] [--callee] [--interval 30]   (no leg: off)
//!  dialogctl call transfer ID --side caller|callee --to URI [--link param|callid|manual] [-H ..]
//!  dialogctl call transfer ID --side caller|callee --replaces ID2 --replaces-side caller|callee
//!                             [--to URI] [--link param|callid|manual] [-H 'X: y']...
//!  dialogctl call link OLD_ID NEW_ID
//!  dialogctl call hold ID [--inactive]
//!  dialogctl call unhold ID
//!  dialogctl call bridge --from sip:... --to URI [--outbound-proxy sip:...] [-H 'X: y']...
//! ```

pub mod bridge;
pub mod hold;
pub mod transfer;

use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use dialogd_api::{Client, EndSide};
use dialogd_dialog::{DEFAULT_FAILED_LIMIT, DialogId, KeepaliveConfig, Leg};
use serde_json::json;

use crate::cli::Side;
use crate::commands::{Failure, parse_id};
use crate::output::json_line;
use bridge::BridgeArgs;
use hold::{HoldArgs, UnholdArgs};
use transfer::{LinkArgs, TransferArgs};

#[derive(Debug, Subcommand)]
pub enum CallCommand {
    /// End an answered call: BYE to both legs, or to one only (the other leg gets no BYE).
    End(EndCallArgs),
    /// Send a REFER to one leg of an answered call; prints the leg's 2xx status.
    Refer(ReferArgs),
    /// Probe the legs with in-dialog OPTIONS; 481 or no answer ends the call (no leg: off).
    Keepalive(KeepaliveArgs),
    /// Transfer one leg of an answered call: blind (--to) or attended (--replaces a leg of
    /// another call); the proxy follows the NOTIFYs and ends the old call once the new one
    /// is answered. Prints the REFER's status and the Refer-To sent.
    Transfer(TransferArgs),
    /// Link a new call to the call it transfers (after `transfer --link manual`).
    Link(LinkArgs),
    /// Put both legs of an answered call on hold (re-INVITE, a=sendonly); one line per leg.
    Hold(HoldArgs),
    /// Resume a call put on hold by `call hold`; one line per leg.
    Unhold(UnholdArgs),
    /// Click-to-dial: call --from, then send it to --to once it answers; prints the new
    /// call's id and Call-ID.
    Bridge(BridgeArgs),
}

impl CallCommand {
    /// The dialog ids the command names (checked before connecting).
    pub fn dialog_ids(&self) -> Vec<&str> {
        match self {
            CallCommand::End(a) => vec![&a.id],
            CallCommand::Refer(a) => vec![&a.id],
            CallCommand::Keepalive(a) => vec![&a.id],
            CallCommand::Transfer(a) => std::iter::once(a.id.as_str())
                .chain(a.replaces.as_deref())
                .collect(),
            CallCommand::Link(a) => vec![&a.old_id, &a.new_id],
            CallCommand::Hold(a) => vec![&a.id],
            CallCommand::Unhold(a) => vec![&a.id],
            CallCommand::Bridge(_) => vec![],
        }
    }
}

#[derive(Debug, Args)]
pub struct EndCallArgs {
    /// Dialog id (hex).
    pub id: String,
    /// Which leg(s) get the BYE.
    #[arg(long, value_enum, default_value_t = Side::Both)]
    pub side: Side,
    /// Extra header for the BYE, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
}

/// `--side` of a REFER or a transfer, `--replaces-side`: one leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LegArg {
    Caller,
    Callee,
}

impl From<LegArg> for Leg {
    fn from(leg: LegArg) -> Leg {
        match leg {
            LegArg::Caller => Leg::Caller,
            LegArg::Callee => Leg::Callee,
        }
    }
}

#[derive(Debug, Args)]
pub struct ReferArgs {
    /// Dialog id (hex).
    pub id: String,
    /// The leg that receives the REFER.
    #[arg(long, value_enum)]
    pub side: LegArg,
    /// The Refer-To URI (sip:, sips: or tel:).
    #[arg(long, value_name = "URI")]
    pub to: String,
    /// Extra header for the REFER, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KeepaliveArgs {
    /// Dialog id (hex).
    pub id: String,
    /// Probe the caller.
    #[arg(long)]
    pub caller: bool,
    /// Probe the callee.
    #[arg(long)]
    pub callee: bool,
    /// Seconds between probes to a leg (1 to 86400).
    #[arg(long, default_value_t = 30)]
    pub interval: u32,
}

/// Runs a `call` subcommand.
pub async fn run(client: &Client, command: CallCommand, json: bool) -> Result<String, Failure> {
    match command {
        CallCommand::Transfer(args) => {
            transfer::transfer(client, parse_id(&args.id)?, args, json).await
        }
        CallCommand::Link(args) => transfer::link(client, args, json).await,
        CallCommand::Hold(args) => hold::hold(client, parse_id(&args.id)?, args, json).await,
        CallCommand::Unhold(args) => hold::unhold(client, parse_id(&args.id)?, json).await,
        CallCommand::Bridge(args) => bridge::bridge(client, args, json).await,
        CallCommand::End(args) => {
            let id = parse_id(&args.id)?;
            let side: EndSide = args.side.into();
            client.call_end(id, side, args.headers).await?;
            Ok(ended(id, side, json))
        }
        CallCommand::Refer(args) => {
            let id = parse_id(&args.id)?;
            let leg: Leg = args.side.into();
            let status = client.call_refer(id, leg, &args.to, args.headers).await?;
            Ok(referred(id, leg, &args.to, status, json))
        }
        CallCommand::Keepalive(args) => {
            let id = parse_id(&args.id)?;
            let config = (args.caller || args.callee).then_some(KeepaliveConfig {
                caller: args.caller,
                callee: args.callee,
                interval: Duration::from_secs(u64::from(args.interval)),
                failed_limit: DEFAULT_FAILED_LIMIT,
            });
            client.call_set_keepalive(id, config).await?;
            Ok(keepalive_set(id, &args, json))
        }
    }
}

fn ended(id: DialogId, side: EndSide, as_json: bool) -> String {
    if as_json {
        return json_line(&json!({ "id": id.to_string(), "side": side.as_str(), "ended": true }));
    }
    format!("call {id} ended (BYE to {})\n", side.as_str())
}

fn referred(id: DialogId, leg: Leg, to: &str, status: u16, as_json: bool) -> String {
    let leg = leg.as_str();
    if as_json {
        return json_line(
            &json!({ "id": id.to_string(), "side": leg, "refer_to": to, "status": status }),
        );
    }
    format!("call {id}: the {leg} answered the REFER to {to} with {status}\n")
}

fn keepalive_set(id: DialogId, a: &KeepaliveArgs, as_json: bool) -> String {
    let on = a.caller || a.callee;
    if as_json {
        return json_line(&json!({
            "id": id.to_string(), "caller": a.caller, "callee": a.callee,
            "interval_secs": if on { Some(a.interval) } else { None },
        }));
    }
    if !on {
        return format!("call {id}: keep-alive off\n");
    }
    let legs: Vec<&str> = [(a.caller, "caller"), (a.callee, "callee")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    format!(
        "call {id}: keep-alive to the {} every {} s\n",
        legs.join(" and "),
        a.interval
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_and_json_say_what_was_done() {
        let id = DialogId::new(1, 2);
        assert_eq!(
            ended(id, EndSide::Callee, false),
            "call 0001000000000002 ended (BYE to callee)\n"
        );
        assert_eq!(
            referred(id, Leg::Caller, "sip:x@y", 202, true),
            "{\"id\":\"0001000000000002\",\"refer_to\":\"sip:x@y\",\"side\":\"caller\",\"status\":202}\n"
        );
        let ka = |caller, callee| KeepaliveArgs {
            id: String::new(),
            caller,
            callee,
            interval: 2,
        };
        assert_eq!(
            keepalive_set(id, &ka(true, true), false),
            "call 0001000000000002: keep-alive to the caller and callee every 2 s\n"
        );
        assert_eq!(
            keepalive_set(id, &ka(false, false), false),
            "call 0001000000000002: keep-alive off\n"
        );
    }
}
