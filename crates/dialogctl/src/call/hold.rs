//! `dialogctl call hold` and `dialogctl call unhold`: put both legs of an answered call on hold
//! (re-INVITE with sendonly or inactive) and resume them. Arguments (clap), the API call, and
//! the text to print: one line per leg with its status or why it did not accept.

use clap::Args;
use dialogd_api::{Client, HoldMode, LegResult};
use dialogd_dialog::DialogId;
use serde_json::json;

use crate::commands::Failure;
use crate::output::json_line;

#[derive(Debug, Args)]
pub struct HoldArgs {
    /// Dialog id (hex).
    pub id: String,
    /// Offer a=inactive (no media either way) instead of a=sendonly.
    #[arg(long)]
    pub inactive: bool,
}

#[derive(Debug, Args)]
pub struct UnholdArgs {
    /// Dialog id (hex).
    pub id: String,
}

pub async fn hold(
    client: &Client,
    id: DialogId,
    args: HoldArgs,
    json: bool,
) -> Result<String, Failure> {
    let mode = if args.inactive {
        HoldMode::Inactive
    } else {
        HoldMode::SendOnly
    };
    let legs = client.call_hold(id, mode).await?;
    Ok(leg_lines(id, "hold", Some(mode), &legs, json))
}

pub async fn unhold(client: &Client, id: DialogId, json: bool) -> Result<String, Failure> {
    let legs = client.call_unhold(id).await?;
    Ok(leg_lines(id, "unhold", None, &legs, json))
}

/// One line per leg (`call ID: caller held (200)`), or one JSON object with every leg.
pub(super) fn leg_lines(
    id: DialogId,
    action: &str,
    mode: Option<HoldMode>,
    legs: &[LegResult],
    as_json: bool,
) -> String {
    if as_json {
        let legs: Vec<_> = legs
            .iter()
            .map(|l| json!({ "side": l.leg.as_str(), "status": l.status, "error": l.error }))
            .collect();
        return json_line(&json!({
            "id": id.to_string(),
            "action": action,
            "mode": mode.map(HoldMode::as_str),
            "legs": legs,
        }));
    }
    if legs.is_empty() {
        return format!("call {id}: no leg to {action}\n");
    }
    let done = match mode {
        Some(mode) => format!("held ({})", mode.as_str()),
        None => "resumed".to_owned(),
    };
    legs.iter()
        .map(|l| {
            let leg = l.leg.as_str();
            match &l.error {
                None => format!("call {id}: {leg} {done} ({})\n", l.status),
                Some(why) if l.status == 0 => format!("call {id}: {leg} not {done}: {why}\n"),
                Some(why) => format!("call {id}: {leg} not {done}: {why} ({})\n", l.status),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use dialogd_dialog::Leg;

    use super::*;

    fn legs() -> Vec<LegResult> {
        vec![
            LegResult {
                leg: Leg::Caller,
                status: 200,
                error: None,
            },
            LegResult {
                leg: Leg::Callee,
                status: 0,
                error: Some("no final response within 4 s".into()),
            },
        ]
    }

    #[test]
    fn one_line_per_leg_for_people_one_object_for_scripts() {
        let id = DialogId::new(1, 2);
        assert_eq!(
            leg_lines(id, "hold", Some(HoldMode::Inactive), &legs(), false),
            "call 0001000000000002: caller held (inactive) (200)\n\
             call 0001000000000002: callee not held (inactive): no final response within 4 s\n"
        );
        let refused = [LegResult {
            leg: Leg::Callee,
            status: 488,
            error: Some("refused".into()),
        }];
        assert_eq!(
            leg_lines(id, "unhold", None, &refused, false),
            "call 0001000000000002: callee not resumed: refused (488)\n"
        );
        let v: serde_json::Value = serde_json::from_str(&leg_lines(
            id,
            "hold",
            Some(HoldMode::SendOnly),
            &legs(),
            true,
        ))
        .unwrap();
        assert_eq!(v["mode"], "sendonly");
        assert_eq!(v["legs"][0]["status"], 200);
        assert_eq!(v["legs"][0]["error"], serde_json::Value::Null);
        assert_eq!(v["legs"][1]["side"], "callee");
    }
}
