use dialogd_dialog::record::LegRecord;
use dialogd_dialog::{DialogId, DialogRecord, DialogState, ProfileKey};

use super::*;

fn record() -> DialogRecord {
    DialogRecord {
        did: DialogId(7),
        call_id: "a84b4c76e66710@pc33.atlanta.example.com".into(),
        state: DialogState::Confirmed,
        owner: 3,
        caller: LegRecord {
            header: "Alice <sip:alice@atlanta.example.com>;tag=1928301774".into(),
            uri: "sip:alice@atlanta.example.com".into(),
            tag: Some("1928301774".into()),
            contact: Some("sip:alice@pc33.atlanta.example.com".into()),
            route_set: vec!["<sip:p1.atlanta.example.com;lr>".into()],
            cseq: 314_159,
            source: Some("192.0.2.1:5060".into()),
        },
        callee: LegRecord {
            header: "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf".into(),
            uri: "sip:bob@biloxi.example.com".into(),
            tag: Some("a6c85cf".into()),
            contact: Some("sip:bob@192.0.2.4".into()),
            route_set: Vec::new(),
            cseq: 0,
            source: None,
        },
        request_uri: "sip:bob@biloxi.example.com".into(),
        invite_to: "Bob <sip:bob@biloxi.example.com>".into(),
        invite_cseq: 314_159,
        start_unix_ms: 1_700_000_000_000,
        answer_unix_ms: Some(1_700_000_001_000),
        timeout_secs: 3600,
        timeout_at_unix_ms: Some(1_700_003_601_000),
        timeout_noreset: false,
        bye_on_timeout: true,
        bye_extra_headers: vec!["Reason: Q.850;cause=102".into()],
        flags: 5,
        vars: [("account".to_owned(), "42".to_owned())].into(),
        profiles: vec![ProfileKey::with_value("caller", "alice")],
        triggers: vec!["on_hangup".into()],
        keepalive: None,
    }
}

#[test]
fn a_packed_record_unpacks_to_the_same_record_with_the_entry_owner_and_profiles() {
    let r = record();
    let stored = StoredRecord::pack(r.clone());
    assert_eq!(stored.call_id(), r.call_id);
    assert_eq!(stored.unpack(3, &r.profiles).unwrap(), r);
    // The owner and profiles come from the entry, not from the packed bytes.
    let moved = stored
        .unpack(9, &[ProfileKey::with_value("trunk", "t1")])
        .unwrap();
    assert_eq!(moved.owner, 9);
    assert_eq!(moved.profiles, vec![ProfileKey::with_value("trunk", "t1")]);
    assert_eq!(moved.callee, r.callee);
}

#[test]
fn a_packed_record_holds_little_more_than_its_text() {
    let r = record();
    let text: usize = [
        &r.call_id,
        &r.caller.header,
        &r.caller.uri,
        &r.callee.header,
        &r.callee.uri,
        &r.request_uri,
        &r.invite_to,
    ]
    .iter()
    .map(|s| s.len())
    .sum();
    let len = StoredRecord::pack(r).packed_len().unwrap();
    assert!(
        len < text * 2,
        "{len} bytes packed for {text} bytes of main text"
    );
}

#[test]
fn a_stored_record_serializes_as_the_plain_record() {
    let r = record();
    let stored = StoredRecord::pack(r.clone());
    let json = serde_json::to_value(&stored).unwrap();
    let mut plain = r.clone();
    plain.owner = 0;
    plain.profiles.clear();
    assert_eq!(json, serde_json::to_value(&plain).unwrap());
    // A record written by an earlier build (owner and profiles inside) reads back packed.
    let earlier = serde_json::to_vec(&r).unwrap();
    let read: StoredRecord = serde_json::from_slice(&earlier).unwrap();
    assert_eq!(read, stored);
}
