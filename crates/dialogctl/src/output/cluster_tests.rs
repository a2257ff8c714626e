//! Unit tests of `output/cluster.rs`.

use dialogd_test_support::memory_api::view_with_unreachable_learner;

use super::*;

/// Node 1 leads node 2 (a voter) and node 3 (an unreachable learner).
fn view() -> ClusterView {
    view_with_unreachable_learner()
}

#[test]
fn members_table_marks_leader_and_formats_last_seen() {
    assert_eq!(
        members(&view(), false),
        "\
NODE  ADDR                   ROLE     LEADER  REACHABLE  LAST-SEEN  MATCHED
1     http://10.0.0.1:50051  voter    *       yes        -          49
2     http://10.0.0.2:50051  voter    -       yes        350ms      48
3     http://10.0.0.3:50051  learner  -       no         1m05s      47
"
    );
}

#[test]
fn members_json_has_every_field() {
    let v: Value = serde_json::from_str(&members(&view(), true)).unwrap();
    assert_eq!(v["leader_id"], 1);
    assert_eq!(v["term"], 4);
    assert_eq!(v["this_node"], 1);
    assert_eq!(
        v["members"][0],
        json!({
            "node_id": 1,
            "addr": "http://10.0.0.1:50051",
            "role": "voter",
            "leader": true,
            "reachable": true,
            "last_seen_ms_ago": null,
            "matched_index": 49,
        })
    );
    assert_eq!(v["members"][2]["role"], "learner");
    assert_eq!(v["members"][2]["last_seen_ms_ago"], 65_000);
}

#[test]
fn leader_names_id_and_addr_or_dashes_when_unknown() {
    assert_eq!(
        leader(&view(), false),
        "leader_id  1\naddr       http://10.0.0.1:50051\nterm       4\n"
    );
    let v: Value = serde_json::from_str(&leader(&view(), true)).unwrap();
    assert_eq!(
        v,
        json!({"leader_id": 1, "addr": "http://10.0.0.1:50051", "term": 4})
    );

    let unknown = ClusterView {
        leader_id: None,
        ..view()
    };
    assert_eq!(
        leader(&unknown, false),
        "leader_id  -\naddr       -\nterm       4\n"
    );
    let v: Value = serde_json::from_str(&leader(&unknown, true)).unwrap();
    assert_eq!(v, json!({"leader_id": null, "addr": null, "term": 4}));
}

#[test]
fn changed_prints_summary_then_table_or_the_view_json() {
    let out = changed("node 3 added as learner", &view(), false);
    assert!(
        out.starts_with("node 3 added as learner\nNODE  ADDR"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 5);
    let v: Value = serde_json::from_str(&changed("x", &view(), true)).unwrap();
    assert_eq!(v, view_json(&view()));
}
