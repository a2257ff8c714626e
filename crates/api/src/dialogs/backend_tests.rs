//! Unit tests of `backend.rs`.

use std::collections::BTreeMap;

use super::*;

fn dialog(
    id: u64,
    call_id: &str,
    tag: &str,
    state: DialogState,
    profiles: &[ProfileKey],
) -> DialogSnapshot {
    DialogSnapshot {
        did: DialogId(id),
        call_id: call_id.into(),
        state,
        caller: dialogd_dialog::LegView {
            tag: Some(tag.into()),
            ..Default::default()
        },
        callee: Default::default(),
        request_uri: "sip:bob@example.com".into(),
        start_unix_ms: 0,
        answer_unix_ms: None,
        timeout_secs: 60,
        timeout_left_secs: None,
        bye_on_timeout: false,
        timeout_noreset: false,
        flags: 0,
        vars: BTreeMap::new(),
        profiles: profiles.to_vec(),
        owner_node: 1,
        end_cause: None,
        triggers: Vec::new(),
    }
}

#[test]
fn filter_matches_each_criterion() {
    let d = dialog(
        5,
        "c1",
        "t1",
        DialogState::Confirmed,
        &[
            ProfileKey::with_value("caller", "alice"),
            ProfileKey::plain("trunk"),
        ],
    );
    let cases: Vec<(DialogFilter, bool)> = vec![
        (DialogFilter::default(), true),
        (
            DialogFilter {
                call_id: Some("c1".into()),
                ..Default::default()
            },
            true,
        ),
        (
            DialogFilter {
                call_id: Some("c2".into()),
                ..Default::default()
            },
            false,
        ),
        (
            DialogFilter {
                from_tag: Some("t1".into()),
                ..Default::default()
            },
            true,
        ),
        (
            DialogFilter {
                from_tag: Some("t2".into()),
                ..Default::default()
            },
            false,
        ),
        (
            DialogFilter {
                state: Some(DialogState::Confirmed),
                ..Default::default()
            },
            true,
        ),
        (
            DialogFilter {
                state: Some(DialogState::Early),
                ..Default::default()
            },
            false,
        ),
        (
            DialogFilter {
                owner_node: Some(1),
                ..Default::default()
            },
            true,
        ),
        (
            DialogFilter {
                owner_node: Some(2),
                ..Default::default()
            },
            false,
        ),
        (
            DialogFilter {
                after: Some(DialogId(4)),
                ..Default::default()
            },
            true,
        ),
        (
            DialogFilter {
                after: Some(DialogId(5)),
                ..Default::default()
            },
            false,
        ),
        (
            DialogFilter {
                profile: Some(ProfileKey::plain("caller")),
                ..Default::default()
            },
            true,
        ),
        (
            DialogFilter {
                profile: Some(ProfileKey::with_value("caller", "alice")),
                ..Default::default()
            },
            true,
        ),
        (
            DialogFilter {
                profile: Some(ProfileKey::with_value("caller", "bob")),
                ..Default::default()
            },
            false,
        ),
        (
            DialogFilter {
                profile: Some(ProfileKey::plain("trunk")),
                ..Default::default()
            },
            true,
        ),
        (
            DialogFilter {
                profile: Some(ProfileKey::plain("callee")),
                ..Default::default()
            },
            false,
        ),
        (
            DialogFilter {
                limit: Some(0),
                ..Default::default()
            },
            true,
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(filter.matches(&d), want, "{filter:?}");
    }
}

#[test]
fn end_side_legs() {
    assert_eq!(EndSide::default(), EndSide::Both);
    assert_eq!(EndSide::Both.legs(), &[Leg::Caller, Leg::Callee]);
    assert_eq!(EndSide::Caller.legs(), &[Leg::Caller]);
    assert_eq!(EndSide::Callee.legs(), &[Leg::Callee]);
}
