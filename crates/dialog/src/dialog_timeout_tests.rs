//! The dialog timeout, the BYEs the proxy sends (timeout and API end), commands (timeout,
//! flags, vars, profiles) and the API snapshot.

use std::collections::BTreeMap;

use super::*;
use crate::error::Error;
use crate::profile::ProfileKey;
use crate::snapshot::{DialogSnapshot, LegView};
use crate::test_call::*;

fn reason() -> Vec<String> {
    settings().bye_extra_headers
}

fn bye_to_caller(cseq: u32, extra: Vec<String>) -> DialogOutput {
    DialogOutput::SendRequest(GeneratedRequest {
        leg: Leg::Caller,
        method: Method::Bye,
        request_uri: CALLER_CONTACT.to_owned(),
        route_set: vec![P1.to_owned()],
        from: callee_to("b"),
        to: FROM.to_owned(),
        call_id: CALL_ID.to_owned(),
        cseq,
        extra_headers: extra,
        body: None,
    })
}

fn bye_to_callee(cseq: u32, extra: Vec<String>) -> DialogOutput {
    DialogOutput::SendRequest(GeneratedRequest {
        leg: Leg::Callee,
        method: Method::Bye,
        request_uri: CALLEE_CONTACT.to_owned(),
        // P3, P2 above ours in the 2xx: nearest first is P2.
        route_set: vec![P2.to_owned(), P3.to_owned()],
        from: FROM.to_owned(),
        to: callee_to("b"),
        call_id: CALL_ID.to_owned(),
        cseq,
        extra_headers: extra,
        body: None,
    })
}

fn expired() -> [DialogOutput; 2] {
    [
        changed(DialogState::Confirmed, DialogState::Deleted),
        DialogOutput::Ended(EndCause::Timeout),
    ]
}

#[test]
fn early_dialogs_never_time_out() {
    let mut c = TestCall::new(settings());
    c.step(0, Input::Response(response(183, Some("b"))));
    assert_eq!(c.dialog.poll_timeout(), None);
    assert_eq!(c.step(1_000_000, Input::Timeout).outputs, vec![]);
    assert_eq!(c.dialog.state(), DialogState::Early);
}

#[test]
fn timeout_sends_bye_to_both_legs_through_their_route_sets() {
    let n = INVITE_CSEQ;
    // (requests before the timeout as (second, request), expected deadline, BYE CSeqs to
    // the caller and to the callee)
    type Row = (Vec<(u64, RequestFacts)>, u64, u32, u32);
    let table: Vec<Row> = vec![
        // The callee never sent a request: its space starts at 1 for the caller.
        (vec![], 61, 1, n + 1),
        (
            vec![
                (10, from_callee("INFO", "b", 5)),
                (20, from_caller("INFO", "b", n + 1)),
            ],
            80,
            6,
            n + 2,
        ),
    ];
    for (requests, deadline, to_caller, to_callee) in table {
        let mut c = TestCall::confirmed(settings());
        for (at, req) in requests {
            assert!(matches!(
                c.step(at, Input::Request(req)).verdict,
                Some(RequestVerdict::Forward { .. })
            ));
        }
        assert_eq!(c.deadline_secs(), Some(deadline));
        assert_eq!(
            c.step(deadline - 1, Input::Timeout).outputs,
            vec![],
            "not yet"
        );
        let mut want = vec![
            bye_to_caller(to_caller, reason()),
            bye_to_callee(to_callee, reason()),
        ];
        want.extend(expired());
        assert_eq!(c.step(deadline, Input::Timeout).outputs, want);
        assert_eq!(c.dialog.end_cause(), Some(EndCause::Timeout));
        assert_eq!(c.dialog.poll_timeout(), None);
        assert_eq!(
            c.step(deadline + 1, Input::Timeout).outputs,
            vec![],
            "fires once"
        );
    }
}

#[test]
fn without_bye_on_timeout_the_dialog_just_expires() {
    let mut c = TestCall::confirmed(DialogSettings {
        bye_on_timeout: false,
        ..settings()
    });
    assert_eq!(c.step(61, Input::Timeout).outputs, expired());
}

#[test]
fn sequential_requests_but_ack_reset_the_timeout_unless_noreset() {
    let n = INVITE_CSEQ;
    // (timeout_noreset, request at second 30, deadline afterwards); answered at 1, 60 s.
    let table = [
        (false, from_caller("INVITE", "b", n + 1), 90),
        (false, from_callee("INFO", "b", 1), 90),
        (false, from_caller("ACK", "b", n), 61),
        (false, from_caller("INFO", "b", n - 1), 61), // rejected: out of order
        (false, from_caller("INFO", "other-branch", n + 1), 61), // not this dialog
        (true, from_caller("INVITE", "b", n + 1), 61),
        (true, from_callee("UPDATE", "b", 1), 61),
    ];
    for (noreset, req, deadline) in table {
        let mut c = TestCall::confirmed(DialogSettings {
            timeout_noreset: noreset,
            ..settings()
        });
        c.step(30, Input::Request(req.clone()));
        assert_eq!(
            c.deadline_secs(),
            Some(deadline),
            "noreset {noreset}: {req:?}"
        );
    }
}

#[test]
fn api_end_sends_bye_to_the_chosen_legs() {
    let n = INVITE_CSEQ;
    let extra = vec!["X-Ended-By: api".to_owned()];
    let mut with_extra = reason();
    with_extra.extend(extra.clone());
    let table = [
        (
            vec![Leg::Caller, Leg::Callee],
            vec![
                bye_to_caller(1, with_extra.clone()),
                bye_to_callee(n + 1, with_extra.clone()),
            ],
        ),
        (
            vec![Leg::Callee],
            vec![bye_to_callee(n + 1, with_extra.clone())],
        ),
        (vec![], vec![]),
    ];
    for (legs, byes) in table {
        let mut c = TestCall::confirmed(settings());
        let p = c.step(5, Input::End(EndCause::Api, legs.clone(), extra.clone()));
        assert_eq!(p.ended, Some(true));
        let mut want = byes;
        want.push(changed(DialogState::Confirmed, DialogState::Deleted));
        want.push(DialogOutput::Ended(EndCause::Api));
        assert_eq!(p.outputs, want, "{legs:?}");
        let again = c.step(6, Input::End(EndCause::Api, legs, extra.clone()));
        assert_eq!((again.ended, again.outputs), (Some(false), vec![]));
    }
}

#[test]
fn set_timeout_restarts_a_running_deadline_and_is_reported() {
    let mut c = TestCall::new(DialogSettings {
        timeout: None,
        ..settings()
    });
    assert_eq!(c.dialog.timeout(), TIMEOUT * 10, "the node default");
    c.dialog.set_timeout(c.at(0), Duration::from_secs(10));
    let changed_to = |s| DialogOutput::TimeoutChanged {
        timeout: Duration::from_secs(s),
    };
    assert_eq!(c.drain(), vec![changed_to(10)]);
    assert_eq!(
        c.dialog.poll_timeout(),
        None,
        "not running before the answer"
    );
    c.step(2, Input::Response(response(200, Some("b"))));
    assert_eq!(c.deadline_secs(), Some(12));
    c.dialog.set_timeout(c.at(5), Duration::from_secs(100));
    assert_eq!(c.drain(), vec![changed_to(100)]);
    assert_eq!(c.deadline_secs(), Some(105));
    c.step(6, Input::Request(from_caller("BYE", "b", INVITE_CSEQ + 1)));
    c.dialog.set_timeout(c.at(7), Duration::from_secs(1));
    assert_eq!(c.drain(), vec![]);
    assert_eq!(c.dialog.poll_timeout(), None);
}

#[test]
fn flags_vars_and_profiles_are_bookkeeping() {
    let mut c = TestCall::confirmed(DialogSettings {
        flags: 0b10,
        ..settings()
    });
    let d = &mut c.dialog;
    assert_eq!(d.set_flag(31), Ok(()));
    assert_eq!(d.reset_flag(1), Ok(()));
    assert_eq!(d.set_flag(32), Err(Error::FlagOutOfRange(32)));
    assert_eq!(
        (d.flags(), d.is_flag_set(31), d.is_flag_set(1)),
        (0x8000_0000, Ok(true), Ok(false))
    );

    assert_eq!(d.set_var("billing", "gold"), Ok(()));
    assert_eq!(d.set_var("tmp", "x"), Ok(()));
    assert_eq!(d.set_var("", "x"), Err(Error::EmptyVarName));
    assert_eq!(d.unset_var("tmp").as_deref(), Some("x"));
    assert_eq!(d.unset_var("tmp"), None);
    assert_eq!(d.var("billing"), Some("gold"));

    let caller = ProfileKey::with_value("caller", "alice");
    assert!(d.add_profile(caller.clone()));
    assert!(!d.add_profile(caller.clone()));
    assert!(d.add_profile(ProfileKey::plain("trunk")));
    assert!(d.remove_profile(&ProfileKey::plain("trunk")));
    assert!(!d.remove_profile(&ProfileKey::plain("trunk")));
    assert_eq!(d.profiles(), [caller]);
    assert_eq!(
        d.state(),
        DialogState::Confirmed,
        "bookkeeping changes no state"
    );
    assert_eq!(c.drain(), vec![]);
}

#[test]
fn snapshot_fills_every_field() {
    let mut c = TestCall::confirmed(DialogSettings {
        flags: 0b101,
        vars: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
        profiles: vec![ProfileKey::with_value("caller", "alice")],
        ..settings()
    });
    c.step(3, Input::Request(from_callee("INFO", "b", 9)));
    c.dialog
        .set_source(Leg::Callee, Some("udp:192.0.2.4:5060".to_owned()));
    let want = DialogSnapshot {
        did: DID,
        call_id: CALL_ID.to_owned(),
        state: DialogState::Confirmed,
        caller: LegView {
            uri: "sip:alice@atlanta.example.com".to_owned(),
            tag: Some(CALLER_TAG.to_owned()),
            contact: Some(CALLER_CONTACT.to_owned()),
            cseq: INVITE_CSEQ,
            route_set: vec![P1.to_owned()],
            source: Some("udp:192.0.2.10:5060".to_owned()),
        },
        callee: LegView {
            uri: "sip:bob@biloxi.example.com".to_owned(),
            tag: Some("b".to_owned()),
            contact: Some(CALLEE_CONTACT.to_owned()),
            cseq: 9,
            route_set: vec![P2.to_owned(), P3.to_owned()],
            source: Some("udp:192.0.2.4:5060".to_owned()),
        },
        request_uri: "sip:bob@biloxi.example.com".to_owned(),
        start_unix_ms: 1_700_000_000_000,
        answer_unix_ms: Some(1_700_000_001_000),
        timeout_secs: 60,
        timeout_left_secs: Some(50),
        bye_on_timeout: true,
        timeout_noreset: false,
        flags: 0b101,
        vars: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
        profiles: vec![ProfileKey::with_value("caller", "alice")],
        owner_node: 3,
        end_cause: None,
        triggers: Vec::new(),
    };
    // INFO at 3 moved the deadline to 63; at 13, 50 s are left.
    assert_eq!(c.dialog.snapshot(c.at(13), 3), want);

    let fresh = TestCall::new(settings()).dialog.snapshot(Instant::now(), 1);
    assert_eq!(
        (fresh.state, fresh.callee.tag, fresh.answer_unix_ms),
        (DialogState::Unconfirmed, None, None)
    );
    assert_eq!(
        (fresh.timeout_left_secs, fresh.callee.route_set.len()),
        (None, 0)
    );
}
