//! Unit tests of `output.rs`.

use std::collections::BTreeMap;

use dialogd_dialog::{DialogState, EndCause};

use super::*;

fn dialog() -> DialogSnapshot {
    DialogSnapshot {
        did: DialogId::new(1, 0x2a),
        call_id: "abc@host".into(),
        state: DialogState::Confirmed,
        caller: LegView {
            uri: "sip:alice@a.example".into(),
            tag: Some("t1".into()),
            ..Default::default()
        },
        callee: LegView {
            uri: "sip:bob@b.example".into(),
            ..Default::default()
        },
        request_uri: "sip:bob@b.example".into(),
        start_unix_ms: 1_000_000,
        answer_unix_ms: Some(1_002_000),
        timeout_secs: 3600,
        timeout_left_secs: Some(3725),
        bye_on_timeout: true,
        timeout_noreset: false,
        flags: 5,
        vars: BTreeMap::from([("k".into(), "v".into())]),
        profiles: vec![
            ProfileKey::with_value("caller", "alice"),
            ProfileKey::plain("trunk"),
        ],
        owner_node: 1,
        end_cause: None,
        triggers: Vec::new(),
    }
}

#[test]
fn table_aligns_columns() {
    let out = table(
        &["ID", "NAME", "N"],
        &[
            vec!["1".into(), "alpha".into(), "10".into()],
            vec!["200".into(), "b".into(), "3".into()],
        ],
    );
    assert_eq!(out, "ID   NAME   N\n1    alpha  10\n200  b      3\n");
    assert_eq!(table(&["ID"], &[]), "ID\n");
}

#[test]
fn durations() {
    let cases = [
        (0, "0s"),
        (59, "59s"),
        (61, "1m01s"),
        (3600, "1h00m00s"),
        (3725, "1h02m05s"),
    ];
    for (secs, want) in cases {
        assert_eq!(duration(secs), want);
    }
}

#[test]
fn stats_json_has_every_counter() {
    let s = Stats {
        active: 1,
        early: 2,
        processed: 3,
        expired: 4,
        failed: 5,
    };
    let v: Value = serde_json::from_str(&stats(9, &s, None, true)).unwrap();
    assert_eq!(
        v,
        json!({"node_id": 9, "active": 1, "early": 2, "processed": 3, "expired": 4, "failed": 5,
               "cluster": null})
    );
    assert_eq!(
        stats(9, &s, None, false),
        "node_id    9\nactive     1\nearly      2\nprocessed  3\nexpired    4\nfailed     5\n"
    );
    let v: Value = serde_json::from_str(&stats(9, &s, Some(&s), true)).unwrap();
    assert_eq!(v["cluster"]["processed"], 3);
    assert!(stats(9, &s, Some(&s), false).contains("cluster failed     5\n"));
}

#[test]
fn dialog_json_fields() {
    let mut d = dialog();
    let v = dialog_json(&d);
    assert_eq!(v["id"], "000100000000002a");
    assert_eq!(v["state"], "confirmed");
    assert_eq!(v["state_code"], 4);
    assert_eq!(v["caller"]["tag"], "t1");
    assert_eq!(v["vars"]["k"], "v");
    assert_eq!(
        v["profiles"][0],
        json!({"name": "caller", "value": "alice"})
    );
    assert_eq!(v["profiles"][1], json!({"name": "trunk", "value": null}));
    assert_eq!(v["end_cause"], Value::Null);
    d.end_cause = Some(EndCause::Failed(486));
    assert_eq!(dialog_json(&d)["end_cause"], "failed(486)");
}

#[test]
fn dialog_list_table_row() {
    let out = dialog_list(&[dialog()], 1_065_000, false);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with("ID                STATE      CALL-ID"),
        "{out}"
    );
    let cells: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "000100000000002a",
            "confirmed",
            "abc@host",
            "sip:alice@a.example",
            "sip:bob@b.example",
            "1m05s",
            "1h02m05s",
            "1",
            "caller/alice,trunk"
        ]
    );
    let v: Value = serde_json::from_str(&dialog_list(&[dialog()], 0, true)).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(1));
}

#[test]
fn dialog_show_lists_fields() {
    let out = dialog_show(&dialog(), 1_065_000, false);
    for want in [
        "id               000100000000002a",
        "state            confirmed (4)",
        "caller           sip:alice@a.example tag=t1 cseq=0",
        "answered_after   2s",
        "flags            0x00000005",
        "vars             k=v",
        "end_cause        -",
    ] {
        assert!(out.lines().any(|l| l == want), "{want:?} in\n{out}");
    }
}

#[test]
fn profile_outputs() {
    let v: Value = serde_json::from_str(&profile_size("caller", Some("alice"), 5, true)).unwrap();
    assert_eq!(v, json!({"name": "caller", "value": "alice", "size": 5}));
    let v: Value = serde_json::from_str(&profile_size("trunk", None, 2, true)).unwrap();
    assert_eq!(v, json!({"name": "trunk", "value": null, "size": 2}));
    assert_eq!(
        profile_size("caller", None, 3, false),
        "PROFILE  VALUE  SIZE\ncaller   -      3\n"
    );

    let ids = [DialogId(1), DialogId(2)];
    let v: Value = serde_json::from_str(&profile_dialogs("p", None, &ids, true)).unwrap();
    assert_eq!(v["ids"], json!(["0000000000000001", "0000000000000002"]));
    assert_eq!(
        profile_dialogs("p", None, &ids, false),
        "ID\n0000000000000001\n0000000000000002\n"
    );

    let values = [(Some("alice".to_owned()), 2), (None, 1)];
    let v: Value = serde_json::from_str(&profile_values("caller", &values, true)).unwrap();
    assert_eq!(
        v["values"],
        json!([{"value": "alice", "count": 2}, {"value": null, "count": 1}])
    );
    assert_eq!(
        profile_values("caller", &values, false),
        "VALUE  COUNT\nalice  2\n-      1\n"
    );
}

#[test]
fn ended_output() {
    let v: Value = serde_json::from_str(&ended(DialogId(0x1f), EndSide::Caller, true)).unwrap();
    assert_eq!(
        v,
        json!({"id": "000000000000001f", "side": "caller", "ended": true})
    );
    assert_eq!(
        ended(DialogId(0x1f), EndSide::Both, false),
        "dialog 000000000000001f ended (BYE to both)\n"
    );
}
