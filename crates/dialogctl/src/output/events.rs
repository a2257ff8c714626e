//! How `dialogctl events` prints each event: one line per event, columns separated by two
//! spaces for people (`time  node  #id  kind  dialog  state  call-id  details`), one JSON object
//! per line for scripts. Transfer and hold events add what the proxy did (`leg=callee
//! action=transfer state=notify status=180 ...`; in JSON a `control` object). Pure
//! functions; they never print.

use dialogd_api::WatchedEvent;
use dialogd_dialog::ControlEvent;
use serde_json::{Value, json};

use super::profile_json;

/// Unix milliseconds as `HH:MM:SS.mmm` (UTC).
fn clock(unix_ms: u64) -> String {
    let (secs, ms) = (unix_ms / 1000, unix_ms % 1000);
    let (h, m, s) = (secs / 3600 % 24, secs / 60 % 60, secs % 60);
    format!("{h:02}:{m:02}:{s:02}.{ms:03}")
}

fn control_json(c: &ControlEvent) -> Value {
    json!({
        "leg": c.leg.as_str(),
        "action": c.action,
        "state": c.state,
        "status": c.status,
        "destination": c.destination,
        "other_call_id": c.other_call_id,
    })
}

/// `leg=... action=... state=...` and the non-empty `status=`, `to=`, `other_call_id=`.
fn control_details(c: &ControlEvent) -> Vec<String> {
    let mut details = vec![
        format!("leg={}", c.leg.as_str()),
        format!("action={}", c.action),
        format!("state={}", c.state),
    ];
    for (key, value) in [
        ("status", &c.status),
        ("to", &c.destination),
        ("other_call_id", &c.other_call_id),
    ] {
        if !value.is_empty() {
            details.push(format!("{key}={value}"));
        }
    }
    details
}

/// One event as one line (with its newline).
pub fn event_line(event: &WatchedEvent, as_json: bool) -> String {
    match (event, as_json) {
        (
            WatchedEvent::Lagged {
                dropped,
                unix_ms,
                node_id,
            },
            true,
        ) => format!(
            "{}\n",
            json!({ "kind": "lagged", "dropped": dropped, "unix_ms": unix_ms, "node_id": node_id })
        ),
        (
            WatchedEvent::Lagged {
                dropped,
                unix_ms,
                node_id,
            },
            false,
        ) => format!(
            "{}  node {node_id}  lagged: {dropped} events dropped\n",
            clock(*unix_ms)
        ),
        (WatchedEvent::Dialog(e), true) => format!(
            "{}\n",
            json!({
                "event_id": e.id,
                "unix_ms": e.unix_ms,
                "node_id": e.node_id,
                "dialog_id": e.did.to_string(),
                "call_id": e.call_id,
                "kind": e.kind.as_str(),
                "failed_code": e.failed_code,
                "end_cause": e.end_cause.map(|c| c.as_str()),
                "state": e.state.as_str(),
                "profiles": e.profiles.iter().map(profile_json).collect::<Vec<_>>(),
                "timeout_secs": e.timeout.as_secs(),
                "control": e.control.as_ref().map(control_json),
            })
        ),
        (WatchedEvent::Dialog(e), false) => {
            let mut details = Vec::new();
            if let Some(code) = e.failed_code {
                details.push(format!("code={code}"));
            }
            if let Some(cause) = e.end_cause {
                details.push(format!("cause={cause}"));
            }
            if e.kind == dialogd_dialog::EventKind::TimeoutChanged {
                details.push(format!("timeout={}s", e.timeout.as_secs()));
            }
            if let Some(c) = &e.control {
                details.extend(control_details(c));
            }
            if !e.profiles.is_empty() {
                let names: Vec<String> = e.profiles.iter().map(ToString::to_string).collect();
                details.push(format!("profiles={}", names.join(",")));
            }
            let line = format!(
                "{}  node {}  #{}  {:<15}  {}  {:<12}  {}  {}",
                clock(e.unix_ms),
                e.node_id,
                e.id,
                e.kind.as_str(),
                e.did,
                e.state.as_str(),
                e.call_id,
                details.join(" ")
            );
            format!("{}\n", line.trim_end())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use dialogd_dialog::{
        DialogEvent, DialogId, DialogState, EndCause, EventKind, Leg, ProfileKey,
    };

    use super::*;

    fn deleted() -> WatchedEvent {
        WatchedEvent::Dialog(DialogEvent {
            id: 42,
            unix_ms: 3_723_004,
            node_id: 1,
            did: DialogId::new(1, 0x2a),
            call_id: "c1@host".into(),
            kind: EventKind::Deleted,
            failed_code: None,
            end_cause: Some(EndCause::ByeCaller),
            state: DialogState::Deleted,
            profiles: vec![ProfileKey::with_value("caller", "alice")],
            timeout: Duration::from_secs(60),
            control: None,
        })
    }

    fn transfer_notify() -> WatchedEvent {
        WatchedEvent::Dialog(DialogEvent {
            id: 43,
            unix_ms: 3_723_005,
            node_id: 1,
            did: DialogId::new(1, 0x2a),
            call_id: "c1@host".into(),
            kind: EventKind::Transfer,
            failed_code: None,
            end_cause: None,
            state: DialogState::Confirmed,
            profiles: vec![],
            timeout: Duration::from_secs(60),
            control: Some(ControlEvent {
                leg: Leg::Callee,
                action: "transfer",
                state: "notify",
                status: "180".into(),
                destination: "sip:carol@example.com".into(),
                other_call_id: String::new(),
            }),
        })
    }

    #[test]
    fn transfer_and_hold_events_show_what_the_proxy_did() {
        let line = event_line(&transfer_notify(), false);
        assert!(
            line.starts_with("01:02:03.005  node 1  #43  transfer "),
            "{line}"
        );
        assert!(
            line.ends_with(
                "  c1@host  leg=callee action=transfer state=notify status=180 \
                 to=sip:carol@example.com\n"
            ),
            "{line}"
        );
        let v: serde_json::Value =
            serde_json::from_str(&event_line(&transfer_notify(), true)).unwrap();
        assert_eq!(v["kind"], "transfer");
        assert_eq!(v["control"]["leg"], "callee");
        assert_eq!(v["control"]["state"], "notify");
        assert_eq!(v["control"]["status"], "180");
        assert_eq!(v["control"]["other_call_id"], "");
        let v: serde_json::Value = serde_json::from_str(&event_line(&deleted(), true)).unwrap();
        assert_eq!(v["control"], serde_json::Value::Null);
    }

    #[test]
    fn a_person_reads_one_line_per_event() {
        let line = event_line(&deleted(), false);
        assert!(
            line.starts_with("01:02:03.004  node 1  #42  deleted"),
            "{line}"
        );
        assert!(
            line.contains("  c1@host  cause=bye_caller profiles="),
            "{line}"
        );
        let lagged = WatchedEvent::Lagged {
            dropped: 7,
            unix_ms: 0,
            node_id: 2,
        };
        assert_eq!(
            event_line(&lagged, false),
            "00:00:00.000  node 2  lagged: 7 events dropped\n"
        );
    }

    #[test]
    fn a_script_reads_one_json_object_per_line() {
        let v: serde_json::Value = serde_json::from_str(&event_line(&deleted(), true)).unwrap();
        assert_eq!(v["kind"], "deleted");
        assert_eq!(v["end_cause"], "bye_caller");
        assert_eq!(v["dialog_id"], DialogId::new(1, 0x2a).to_string());
        assert_eq!(v["profiles"][0]["value"], "alice");
        let lagged = WatchedEvent::Lagged {
            dropped: 7,
            unix_ms: 0,
            node_id: 2,
        };
        let v: serde_json::Value = serde_json::from_str(&event_line(&lagged, true)).unwrap();
        assert_eq!(
            (v["kind"].as_str(), v["dropped"].as_u64()),
            (Some("lagged"), Some(7))
        );
    }
}
