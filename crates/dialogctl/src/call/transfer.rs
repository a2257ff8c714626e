//! `dialogctl call transfer` and `dialogctl call link`: transfer one leg of an answered call,
//! blind (`--to`) or attended (`--replaces` a leg of another call), and link a new call to the
//! call it transfers. Arguments (clap), the one API call, and the text to print.

use clap::{Args, ValueEnum};
use dialogd_api::{Client, LinkMode, TransferStarted, TransferTargetSpec};
use dialogd_dialog::{DialogId, Leg};
use serde_json::json;

use super::LegArg;
use crate::commands::{Failure, parse_id};
use crate::output::json_line;

/// `--link` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LinkArg {
    /// A parameter on the Refer-To URI names this call (its id).
    Param,
    /// A parameter on the Refer-To URI carries this call's Call-ID.
    Callid,
    /// No parameter: link the new call with `dialogctl call link`.
    Manual,
}

impl From<LinkArg> for LinkMode {
    fn from(link: LinkArg) -> LinkMode {
        match link {
            LinkArg::Param => LinkMode::Param,
            LinkArg::Callid => LinkMode::CallId,
            LinkArg::Manual => LinkMode::Manual,
        }
    }
}

#[derive(Debug, Args)]
pub struct TransferArgs {
    /// Dialog id (hex).
    pub id: String,
    /// The leg transferred (it receives the REFER).
    #[arg(long, value_enum)]
    pub side: LegArg,
    /// Blind: where the leg is sent (sip:, sips: or tel: URI). With --replaces: overrides the
    /// replaced leg's Contact.
    #[arg(long, value_name = "URI", required_unless_present = "replaces")]
    pub to: Option<String>,
    /// Attended: the other call (dialog id, hex) whose leg the transferred party replaces.
    #[arg(long, value_name = "ID", requires = "replaces_side")]
    pub replaces: Option<String>,
    /// Attended: the leg of the other call that gets the INVITE with Replaces.
    #[arg(long, value_enum, requires = "replaces")]
    pub replaces_side: Option<LegArg>,
    /// How the transferred party's new call is linked to this one.
    #[arg(long, value_enum, default_value_t = LinkArg::Param)]
    pub link: LinkArg,
    /// Extra header for the REFER, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
}

impl TransferArgs {
    /// Where the leg goes, as the API takes it (the other call's id checked).
    pub fn target(&self) -> Result<TransferTargetSpec, Failure> {
        match (&self.replaces, self.replaces_side, &self.to) {
            (Some(other), Some(leg), destination) => Ok(TransferTargetSpec::Attended {
                other: parse_id(other)?,
                leg: leg.into(),
                destination: destination.clone(),
            }),
            (None, _, Some(destination)) => Ok(TransferTargetSpec::Blind {
                destination: destination.clone(),
            }),
            _ => Err(Failure {
                code: tonic::Code::InvalidArgument,
                message: "give --to URI, or --replaces ID with --replaces-side".into(),
            }),
        }
    }
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The call being transferred (dialog id, hex).
    pub old_id: String,
    /// The new call the transferred party placed (dialog id, hex).
    pub new_id: String,
}

pub async fn transfer(
    client: &Client,
    id: DialogId,
    args: TransferArgs,
    json: bool,
) -> Result<String, Failure> {
    let target = args.target()?;
    let leg: Leg = args.side.into();
    let mode: LinkMode = args.link.into();
    let outcome = client
        .call_transfer(id, leg, &target, mode, args.headers)
        .await?;
    Ok(transferred(id, leg, &target, mode, &outcome, json))
}

pub async fn link(client: &Client, args: LinkArgs, json: bool) -> Result<String, Failure> {
    let (old, new) = (parse_id(&args.old_id)?, parse_id(&args.new_id)?);
    client.call_link_transfer(old, new).await?;
    Ok(linked(old, new, json))
}

pub(super) fn transferred(
    id: DialogId,
    leg: Leg,
    target: &TransferTargetSpec,
    mode: LinkMode,
    outcome: &TransferStarted,
    as_json: bool,
) -> String {
    let leg = leg.as_str();
    let replaces = match target {
        TransferTargetSpec::Blind { .. } => None,
        TransferTargetSpec::Attended { other, leg, .. } => Some((*other, leg.as_str())),
    };
    if as_json {
        return json_line(&json!({
            "id": id.to_string(),
            "side": leg,
            "replaces": replaces.map(|(other, side)| json!({ "id": other.to_string(), "side": side })),
            "link": mode.as_str(),
            "status": outcome.status,
            "refer_to": outcome.refer_to,
        }));
    }
    let kind = match replaces {
        None => "blind".to_owned(),
        Some((other, side)) => format!("attended, replacing the {side} of {other}"),
    };
    format!(
        "call {id}: the {leg} accepted the transfer ({kind}) with {}; Refer-To {}\n",
        outcome.status, outcome.refer_to
    )
}

pub(super) fn linked(old: DialogId, new: DialogId, as_json: bool) -> String {
    if as_json {
        return json_line(
            &json!({ "old_id": old.to_string(), "new_id": new.to_string(), "linked": true }),
        );
    }
    format!("call {new} linked to the call it transfers, {old}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transfer_says_who_accepted_what() {
        let id = DialogId::new(1, 2);
        let outcome = TransferStarted {
            status: 202,
            refer_to: "<sip:carol@example.com;dlgd_xfer=x>".into(),
        };
        let blind = TransferTargetSpec::Blind {
            destination: "sip:carol@example.com".into(),
        };
        assert_eq!(
            transferred(id, Leg::Caller, &blind, LinkMode::Param, &outcome, false),
            "call 0001000000000002: the caller accepted the transfer (blind) with 202; \
             Refer-To <sip:carol@example.com;dlgd_xfer=x>\n"
        );
        let attended = TransferTargetSpec::Attended {
            other: DialogId::new(1, 3),
            leg: Leg::Callee,
            destination: None,
        };
        let line = transferred(id, Leg::Callee, &attended, LinkMode::Manual, &outcome, true);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["status"], 202);
        assert_eq!(v["link"], "manual");
        assert_eq!(v["replaces"]["id"], "0001000000000003");
        assert_eq!(v["replaces"]["side"], "callee");
        assert_eq!(
            linked(DialogId::new(1, 2), DialogId::new(1, 9), false),
            "call 0001000000000009 linked to the call it transfers, 0001000000000002\n"
        );
    }
}
