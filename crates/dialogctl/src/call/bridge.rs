//! `dialogctl call bridge`: click-to-dial — the proxy calls `--from` and, once it answers,
//! sends it to `--to`. Arguments (clap), the API call, and the new call's id and Call-ID.

use clap::Args;
use dialogd_api::{BridgeRequest, BridgeStarted, Client};
use serde_json::json;

use crate::commands::Failure;
use crate::output::json_line;

#[derive(Debug, Args)]
pub struct BridgeArgs {
    /// The party called first (sip: or sips: URI).
    #[arg(long, value_name = "URI")]
    pub from: String,
    /// Where it is sent once it answers (sip:, sips: or tel: URI).
    #[arg(long, value_name = "URI")]
    pub to: String,
    /// Send the INVITE through this proxy (sip: or sips: URI); default: resolved from --from.
    #[arg(long, value_name = "URI")]
    pub outbound_proxy: Option<String>,
    /// Extra header for the INVITE, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
}

pub async fn bridge(client: &Client, args: BridgeArgs, json: bool) -> Result<String, Failure> {
    let spec = BridgeRequest {
        from: args.from,
        to: args.to,
        outbound_proxy: args.outbound_proxy.filter(|p| !p.is_empty()),
        extra_headers: args.headers,
    };
    let outcome = client.call_bridge(&spec).await?;
    Ok(bridged(&spec, &outcome, json))
}

pub(super) fn bridged(spec: &BridgeRequest, outcome: &BridgeStarted, as_json: bool) -> String {
    if as_json {
        return json_line(&json!({
            "id": outcome.did.to_string(),
            "call_id": outcome.call_id,
            "from": spec.from,
            "to": spec.to,
        }));
    }
    format!(
        "call {} (Call-ID {}): calling {}, then sending it to {}\n",
        outcome.did, outcome.call_id, spec.from, spec.to
    )
}

#[cfg(test)]
mod tests {
    use dialogd_dialog::DialogId;

    use super::*;

    #[test]
    fn a_bridge_prints_the_new_call() {
        let spec = BridgeRequest {
            from: "sip:alice@a.example".into(),
            to: "tel:+15551234".into(),
            outbound_proxy: None,
            extra_headers: vec![],
        };
        let outcome = BridgeStarted {
            did: DialogId::new(1, 7),
            call_id: "b1@dialogd".into(),
        };
        assert_eq!(
            bridged(&spec, &outcome, false),
            "call 0001000000000007 (Call-ID b1@dialogd): calling sip:alice@a.example, \
             then sending it to tel:+15551234\n"
        );
        let v: serde_json::Value = serde_json::from_str(&bridged(&spec, &outcome, true)).unwrap();
        assert_eq!(
            (v["id"].as_str(), v["call_id"].as_str()),
            (Some("0001000000000007"), Some("b1@dialogd"))
        );
    }
}
