//! How `dialogctl cluster` prints a [`ClusterView`]: a members table (or JSON), the leader as
//! key/value lines, and a one-line summary before the table after a membership change. Pure
//! functions, like the rest of `output`.

use dialogd_api::{ClusterView, MemberView};
use serde_json::{Value, json};

use super::{duration, json_line, key_values, or_dash, table};

/// Milliseconds as `350ms` below a second, else like other durations (`4m05s`).
fn since(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        duration(ms / 1000)
    }
}

fn member_json(m: &MemberView) -> Value {
    json!({
        "node_id": m.node_id,
        "addr": m.addr,
        "role": m.role.as_str(),
        "leader": m.leader,
        "reachable": m.reachable,
        "last_seen_ms_ago": m.last_seen_ms_ago,
        "matched_index": m.matched_index,
    })
}

/// The view as a JSON object (`leader_id` null while unknown, `last_seen_ms_ago` null for the
/// answering node and for members never heard from).
pub fn view_json(v: &ClusterView) -> Value {
    json!({
        "leader_id": v.leader_id,
        "term": v.term,
        "this_node": v.this_node,
        "members": v.members.iter().map(member_json).collect::<Vec<_>>(),
    })
}

pub fn members(v: &ClusterView, as_json: bool) -> String {
    if as_json {
        return json_line(&view_json(v));
    }
    let rows: Vec<Vec<String>> = v
        .members
        .iter()
        .map(|m| {
            vec![
                m.node_id.to_string(),
                m.addr.clone(),
                m.role.as_str().into(),
                if m.leader { "*" } else { "-" }.into(),
                if m.reachable { "yes" } else { "no" }.into(),
                or_dash(m.last_seen_ms_ago.map(since)),
                m.matched_index.to_string(),
            ]
        })
        .collect();
    table(
        &[
            "NODE",
            "ADDR",
            "ROLE",
            "LEADER",
            "REACHABLE",
            "LAST-SEEN",
            "MATCHED",
        ],
        &rows,
    )
}

pub fn leader(v: &ClusterView, as_json: bool) -> String {
    let addr = v.leader().map(|m| m.addr.clone());
    if as_json {
        return json_line(&json!({ "leader_id": v.leader_id, "addr": addr, "term": v.term }));
    }
    key_values(&[
        ("leader_id", or_dash(v.leader_id.map(|id| id.to_string()))),
        ("addr", or_dash(addr)),
        ("term", v.term.to_string()),
    ])
}

/// After `cluster add` or `cluster remove`: what changed, then the members (JSON: the view).
pub fn changed(summary: &str, v: &ClusterView, as_json: bool) -> String {
    if as_json {
        return json_line(&view_json(v));
    }
    format!("{summary}\n{}", members(v, false))
}

#[cfg(test)]
#[path = "cluster_tests.rs"]
mod tests;
