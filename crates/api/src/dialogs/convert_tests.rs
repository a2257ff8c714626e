//! Unit tests of `convert.rs`.

use std::collections::BTreeMap;

use super::*;

fn full_dialog(end_cause: Option<EndCause>, state: DialogState) -> DialogSnapshot {
    DialogSnapshot {
        did: DialogId::new(3, 0xabc),
        call_id: "a84b4c76e66710@pc33".into(),
        state,
        caller: LegView {
            uri: "sip:alice@atlanta.example.com".into(),
            tag: Some("1928301774".into()),
            contact: Some("<sip:alice@192.0.2.1>".into()),
            cseq: 314159,
            route_set: vec!["<sip:p1.example.com;lr>".into()],
            source: Some("udp:192.0.2.1:5060".into()),
        },
        callee: LegView {
            uri: "sip:bob@biloxi.example.com".into(),
            tag: Some("a6c85cf".into()),
            contact: None,
            cseq: 0,
            route_set: vec![],
            source: None,
        },
        request_uri: "sip:bob@biloxi.example.com".into(),
        start_unix_ms: 1_700_000_000_000,
        answer_unix_ms: Some(1_700_000_003_000),
        timeout_secs: 43200,
        timeout_left_secs: Some(43197),
        bye_on_timeout: true,
        timeout_noreset: false,
        flags: 0b1010,
        vars: BTreeMap::from([("account".into(), "42".into())]),
        profiles: vec![
            ProfileKey::with_value("caller", "alice"),
            ProfileKey::plain("trunk"),
        ],
        owner_node: 3,
        end_cause,
        triggers: vec!["prepaid".into()],
    }
}

#[test]
fn dialog_round_trips_through_proto() {
    let cases = [
        (None, DialogState::Unconfirmed),
        (None, DialogState::Early),
        (None, DialogState::ConfirmedNoAck),
        (None, DialogState::Confirmed),
        (Some(EndCause::ByeCaller), DialogState::Deleted),
        (Some(EndCause::ByeCallee), DialogState::Deleted),
        (Some(EndCause::Timeout), DialogState::Deleted),
        (Some(EndCause::Api), DialogState::Deleted),
        (Some(EndCause::Keepalive), DialogState::Deleted),
        (Some(EndCause::TakeoverLost), DialogState::Deleted),
        (Some(EndCause::Transfer), DialogState::Deleted),
        (Some(EndCause::Cancelled), DialogState::Deleted),
        (Some(EndCause::Failed(486)), DialogState::Deleted),
    ];
    for (cause, state) in cases {
        let d = full_dialog(cause, state);
        let p = pb::Dialog::from(&d);
        assert_eq!(
            p.state,
            i32::from(state.number()),
            "state numbers follow OpenSIPS"
        );
        assert_eq!(p.state_name, state.as_str());
        assert_eq!(DialogSnapshot::try_from(p).unwrap(), d);
    }
}

#[test]
fn dialog_fields_in_proto() {
    let p = pb::Dialog::from(&full_dialog(
        Some(EndCause::Failed(486)),
        DialogState::Deleted,
    ));
    assert_eq!(p.id, "0003000000000abc");
    assert_eq!(p.end_cause, pb::EndCause::Failed as i32);
    assert_eq!(p.end_code, 486);
    assert_eq!(p.end_cause_name, "failed(486)");
    assert_eq!(p.vars.get("account").map(String::as_str), Some("42"));
}

#[test]
fn bad_proto_dialogs_are_rejected() {
    let good = pb::Dialog::from(&full_dialog(None, DialogState::Confirmed));
    let cases = [
        pb::Dialog {
            id: "zz".into(),
            ..good.clone()
        },
        pb::Dialog {
            id: String::new(),
            ..good.clone()
        },
        pb::Dialog {
            state: 0,
            ..good.clone()
        },
        pb::Dialog {
            state: 6,
            ..good.clone()
        },
        pb::Dialog {
            end_cause: 42,
            ..good.clone()
        },
        pb::Dialog {
            end_cause: pb::EndCause::Failed as i32,
            end_code: 70000,
            ..good.clone()
        },
    ];
    for bad in cases {
        assert!(
            matches!(
                DialogSnapshot::try_from(bad.clone()),
                Err(Error::BadReply { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn enums_from_proto_numbers() {
    let states = [
        (0, None),
        (1, Some(DialogState::Unconfirmed)),
        (2, Some(DialogState::Early)),
        (3, Some(DialogState::ConfirmedNoAck)),
        (4, Some(DialogState::Confirmed)),
        (5, Some(DialogState::Deleted)),
        (6, None),
        (-1, None),
    ];
    for (n, want) in states {
        assert_eq!(state_from_proto(n), want, "state {n}");
    }
    let sides = [
        (0, Some(EndSide::Both)),
        (1, Some(EndSide::Both)),
        (2, Some(EndSide::Caller)),
        (3, Some(EndSide::Callee)),
        (4, None),
    ];
    for (n, want) in sides {
        assert_eq!(end_side_from_proto(n), want, "side {n}");
    }
    for side in [EndSide::Both, EndSide::Caller, EndSide::Callee] {
        assert_eq!(
            end_side_from_proto(end_side_to_proto(side) as i32),
            Some(side)
        );
    }
}

#[test]
fn stats_and_list_request() {
    let s = Stats {
        active: 1,
        early: 2,
        processed: 3,
        expired: 4,
        failed: 5,
    };
    assert_eq!(stats_from_proto(&stats_to_proto(9, &s, None)), (9, s));
    let with_cluster = stats_to_proto(9, &s, Some(&s));
    assert_eq!(
        crate::dialogs::convert::cluster_stats_from_proto(&with_cluster),
        Some(s)
    );
    assert_eq!(
        crate::dialogs::convert::cluster_stats_from_proto(&stats_to_proto(9, &s, None)),
        None
    );

    let filter = DialogFilter {
        call_id: Some("c".into()),
        from_tag: None,
        state: Some(DialogState::Early),
        profile: Some(ProfileKey::with_value("caller", "alice")),
        owner_node: Some(2),
        after: Some(DialogId(0x10)),
        limit: Some(50),
    };
    let req = list_request(&filter);
    assert_eq!(req.call_id.as_deref(), Some("c"));
    assert_eq!(req.state, 2);
    assert_eq!(req.profile.as_deref(), Some("caller"));
    assert_eq!(req.profile_value.as_deref(), Some("alice"));
    assert_eq!(req.owner_node, Some(2));
    assert_eq!(req.page_size, 50);
    assert_eq!(req.page_token, "0000000000000010");
    assert_eq!(list_request(&DialogFilter::default()).page_size, 0);
    assert_eq!(list_request(&DialogFilter::default()).page_token, "");
}

#[test]
fn transfer_end_cause_is_number_9_both_ways() {
    assert_eq!(
        end_cause_to_proto(Some(EndCause::Transfer)),
        (pb::EndCause::Transfer, 0)
    );
    assert_eq!(pb::EndCause::Transfer as i32, 9);
    assert_eq!(
        end_cause_from_proto(9, 0).unwrap(),
        Some(EndCause::Transfer)
    );
    let p = pb::Dialog::from(&full_dialog(Some(EndCause::Transfer), DialogState::Deleted));
    assert_eq!(p.end_cause_name, "transfer");
}
