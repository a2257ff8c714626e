//! How `dialogctl` prints answers: plain aligned tables (or key/value lists) for people, JSON
//! for scripts. Pure functions from domain values to text; they never call the API, read the
//! clock (callers pass `now_unix_ms`) or print.

use dialogd_api::EndSide;
use dialogd_dialog::{DialogId, DialogSnapshot, LegView, ProfileKey, Stats};
use serde_json::{Value, json};

pub mod cluster;
pub mod control;
pub mod events;

/// Columns padded to their widest cell, two spaces apart; each line ends with a newline.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header_row: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header_row).chain(rows) {
        let last = row.len().saturating_sub(1);
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            line.push_str(cell);
            if i < last {
                let pad = w.saturating_sub(cell.chars().count()) + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `key  value` lines with the keys aligned.
fn key_values(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| format!("{k:width$}  {v}\n"))
        .collect()
}

pub(crate) fn json_line(value: &Value) -> String {
    format!("{value}\n")
}

pub fn stats(node_id: u64, s: &Stats, cluster: Option<&Stats>, as_json: bool) -> String {
    let figures = |s: &Stats| {
        json!({
            "active": s.active,
            "early": s.early,
            "processed": s.processed,
            "expired": s.expired,
            "failed": s.failed,
        })
    };
    if as_json {
        let mut v = figures(s);
        v["node_id"] = json!(node_id);
        v["cluster"] = cluster.map_or(Value::Null, figures);
        return json_line(&v);
    }
    let mut rows = vec![
        ("node_id", node_id.to_string()),
        ("active", s.active.to_string()),
        ("early", s.early.to_string()),
        ("processed", s.processed.to_string()),
        ("expired", s.expired.to_string()),
        ("failed", s.failed.to_string()),
    ];
    if let Some(c) = cluster {
        rows.extend([
            ("cluster active", c.active.to_string()),
            ("cluster early", c.early.to_string()),
            ("cluster processed", c.processed.to_string()),
            ("cluster expired", c.expired.to_string()),
            ("cluster failed", c.failed.to_string()),
        ]);
    }
    key_values(&rows)
}

fn leg_json(leg: &LegView) -> Value {
    json!({
        "uri": leg.uri,
        "tag": leg.tag,
        "contact": leg.contact,
        "cseq": leg.cseq,
        "route_set": leg.route_set,
        "source": leg.source,
    })
}

fn profile_json(key: &ProfileKey) -> Value {
    json!({ "name": key.name, "value": key.value })
}

/// A dialog as a JSON object (ids in hex, state by name and number).
pub fn dialog_json(d: &DialogSnapshot) -> Value {
    json!({
        "id": d.did.to_string(),
        "call_id": d.call_id,
        "state": d.state.as_str(),
        "state_code": d.state.number(),
        "caller": leg_json(&d.caller),
        "callee": leg_json(&d.callee),
        "request_uri": d.request_uri,
        "start_unix_ms": d.start_unix_ms,
        "answer_unix_ms": d.answer_unix_ms,
        "timeout_secs": d.timeout_secs,
        "timeout_left_secs": d.timeout_left_secs,
        "bye_on_timeout": d.bye_on_timeout,
        "timeout_noreset": d.timeout_noreset,
        "flags": d.flags,
        "vars": d.vars,
        "profiles": d.profiles.iter().map(profile_json).collect::<Vec<_>>(),
        "owner_node": d.owner_node,
        "end_cause": d.end_cause.map(|c| c.to_string()),
        "triggers": d.triggers,
    })
}

/// Seconds as `1h02m03s`, `4m05s` or `6s`.
fn duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s:02}s"),
        _ => format!("{h}h{m:02}m{s:02}s"),
    }
}

fn profiles_text(profiles: &[ProfileKey]) -> String {
    if profiles.is_empty() {
        return "-".into();
    }
    profiles
        .iter()
        .map(ProfileKey::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".into())
}

pub fn dialog_list(dialogs: &[DialogSnapshot], now_unix_ms: u64, as_json: bool) -> String {
    if as_json {
        return json_line(&Value::Array(dialogs.iter().map(dialog_json).collect()));
    }
    let rows: Vec<Vec<String>> = dialogs
        .iter()
        .map(|d| {
            vec![
                d.did.to_string(),
                d.state.as_str().into(),
                d.call_id.clone(),
                d.caller.uri.clone(),
                d.callee.uri.clone(),
                duration(now_unix_ms.saturating_sub(d.start_unix_ms) / 1000),
                or_dash(d.timeout_left_secs.map(duration)),
                d.owner_node.to_string(),
                profiles_text(&d.profiles),
            ]
        })
        .collect();
    table(
        &[
            "ID", "STATE", "CALL-ID", "CALLER", "CALLEE", "AGE", "LEFT", "OWNER", "PROFILES",
        ],
        &rows,
    )
}

fn leg_text(leg: &LegView) -> String {
    let mut parts = vec![leg.uri.clone()];
    parts.push(format!("tag={}", or_dash(leg.tag.clone())));
    parts.push(format!("cseq={}", leg.cseq));
    if let Some(contact) = &leg.contact {
        parts.push(format!("contact={contact}"));
    }
    if let Some(source) = &leg.source {
        parts.push(format!("source={source}"));
    }
    if !leg.route_set.is_empty() {
        parts.push(format!("routes={}", leg.route_set.join(",")));
    }
    parts.join(" ")
}

pub fn dialog_show(d: &DialogSnapshot, now_unix_ms: u64, as_json: bool) -> String {
    if as_json {
        return json_line(&dialog_json(d));
    }
    let vars = if d.vars.is_empty() {
        "-".to_owned()
    } else {
        d.vars
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    key_values(&[
        ("id", d.did.to_string()),
        ("call_id", d.call_id.clone()),
        (
            "state",
            format!("{} ({})", d.state.as_str(), d.state.number()),
        ),
        ("caller", leg_text(&d.caller)),
        ("callee", leg_text(&d.callee)),
        ("request_uri", d.request_uri.clone()),
        (
            "age",
            duration(now_unix_ms.saturating_sub(d.start_unix_ms) / 1000),
        ),
        (
            "answered_after",
            or_dash(
                d.answer_unix_ms
                    .map(|a| duration(a.saturating_sub(d.start_unix_ms) / 1000)),
            ),
        ),
        ("timeout", duration(u64::from(d.timeout_secs))),
        ("timeout_left", or_dash(d.timeout_left_secs.map(duration))),
        ("bye_on_timeout", d.bye_on_timeout.to_string()),
        ("timeout_noreset", d.timeout_noreset.to_string()),
        ("flags", format!("{:#010x}", d.flags)),
        ("vars", vars),
        ("profiles", profiles_text(&d.profiles)),
        ("owner_node", d.owner_node.to_string()),
        (
            "triggers",
            or_dash((!d.triggers.is_empty()).then(|| d.triggers.join(","))),
        ),
        ("end_cause", or_dash(d.end_cause.map(|c| c.to_string()))),
    ])
}

pub fn ended(id: DialogId, side: EndSide, as_json: bool) -> String {
    if as_json {
        return json_line(&json!({ "id": id.to_string(), "side": side.as_str(), "ended": true }));
    }
    format!("dialog {id} ended (BYE to {})\n", side.as_str())
}

pub fn timeout_set(id: DialogId, seconds: u32, as_json: bool) -> String {
    if as_json {
        return json_line(&json!({ "id": id.to_string(), "timeout_secs": seconds }));
    }
    format!("dialog {id} times out in {seconds} s\n")
}

pub fn profile_size(name: &str, value: Option<&str>, size: u64, as_json: bool) -> String {
    if as_json {
        return json_line(&json!({ "name": name, "value": value, "size": size }));
    }
    table(
        &["PROFILE", "VALUE", "SIZE"],
        &[vec![
            name.to_owned(),
            value.unwrap_or("-").to_owned(),
            size.to_string(),
        ]],
    )
}

pub fn profile_dialogs(name: &str, value: Option<&str>, ids: &[DialogId], as_json: bool) -> String {
    if as_json {
        let ids: Vec<String> = ids.iter().map(DialogId::to_string).collect();
        return json_line(&json!({ "name": name, "value": value, "ids": ids }));
    }
    let rows: Vec<Vec<String>> = ids.iter().map(|id| vec![id.to_string()]).collect();
    table(&["ID"], &rows)
}

pub fn profile_values(name: &str, values: &[(Option<String>, u64)], as_json: bool) -> String {
    if as_json {
        let values: Vec<Value> = values
            .iter()
            .map(|(v, count)| json!({ "value": v, "count": count }))
            .collect();
        return json_line(&json!({ "name": name, "values": values }));
    }
    let rows: Vec<Vec<String>> = values
        .iter()
        .map(|(v, count)| vec![or_dash(v.clone()), count.to_string()])
        .collect();
    table(&["VALUE", "COUNT"], &rows)
}

#[cfg(test)]
#[path = "output_tests.rs"]
mod tests;
