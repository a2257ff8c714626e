//! The prepaid rules as tables: a ledger and a dialog in, a decision and a ledger out.

use std::collections::BTreeMap;

use dialogd_dialog::{DialogId, DialogState, EndCause, LegView};

use super::*;

const ANSWER_MS: u64 = 1_700_000_000_000;

fn dialog(seq: u64, caller: &str, vars: &[(&str, &str)]) -> DialogSnapshot {
    DialogSnapshot {
        did: DialogId::new(1, seq),
        call_id: format!("call-{seq}"),
        state: DialogState::Confirmed,
        caller: LegView {
            uri: caller.into(),
            ..LegView::default()
        },
        callee: LegView::default(),
        request_uri: "sip:bob@example.com".into(),
        start_unix_ms: ANSWER_MS - 2_000,
        answer_unix_ms: Some(ANSWER_MS),
        timeout_secs: 5,
        timeout_left_secs: Some(0),
        bye_on_timeout: true,
        timeout_noreset: false,
        flags: 0,
        vars: vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        profiles: vec![],
        owner_node: 1,
        end_cause: None,
        triggers: vec!["prepaid".into()],
    }
}

fn ledger(accounts: &[(&str, u64)]) -> Ledger {
    Ledger {
        accounts: accounts
            .iter()
            .map(|(a, c)| ((*a).to_owned(), *c))
            .collect::<BTreeMap<_, _>>(),
        ..Ledger::default()
    }
}

fn extend(secs: u64) -> TimeoutDecision {
    TimeoutDecision::Extend(Duration::from_secs(secs))
}

#[test]
fn the_account_is_the_var_else_the_caller_user() {
    let cases = [
        ("sip:alice@atlanta.example.com", &[][..], Some("alice")),
        (
            "sips:bob@biloxi.example.com;transport=tls",
            &[],
            Some("bob"),
        ),
        ("\"Carol\" <sip:carol;x=y@host>;tag=1", &[], Some("carol")),
        ("tel:+15551234@gw", &[], Some("+15551234")),
        ("sip:alice@host", &[("account", "acme")], Some("acme")),
        ("sip:alice@host", &[("account", "")], Some("alice")),
        ("sip:host.example.com", &[], None),
        ("garbage", &[], None),
    ];
    for (uri, vars, want) in cases {
        let got = account_of(&dialog(1, uri, vars));
        assert_eq!(got.as_deref(), want, "{uri} {vars:?}");
    }
}

#[test]
fn credit_12_extends_twice_then_expires_with_10_s_charged() {
    let mut l = ledger(&[("alice", 12)]);
    let d = dialog(1, "sip:alice@host", &[]);
    let steps = [
        (5_000, extend(5), 5, Some(7)),
        (10_000, extend(5), 10, Some(2)),
        (15_000, TimeoutDecision::Expire, 10, Some(2)),
    ];
    for (at, decision, charged, credit) in steps {
        let out = on_timeout(&mut l, &d, 5, ANSWER_MS + at, Some(ANSWER_MS + at + 2_000));
        assert_eq!(
            (out.decision, out.charged_secs, out.credit_secs),
            (decision, charged, credit),
            "at {at} ms: {out}"
        );
    }
    assert_eq!(l.accounts["alice"], 2);

    let mut ended = d.clone();
    ended.state = DialogState::Deleted;
    ended.end_cause = Some(EndCause::Timeout);
    let record = on_hangup(&mut l, &ended, ANSWER_MS + 15_040);
    let want = CallRecord {
        dialog: d.did.to_string(),
        call_id: "call-1".into(),
        account: Some("alice".into()),
        charged_secs: 10,
        duration_secs: 15,
        end_cause: Some("timeout".into()),
    };
    assert_eq!(record, want);
    assert_eq!(l.calls, [want]);
    assert!(l.open.is_empty());
}

#[test]
fn unknown_account_or_late_trigger_expires_without_charge() {
    let mut l = ledger(&[("alice", 100)]);
    let stranger = dialog(1, "sip:mallory@host", &[]);
    let out = on_timeout(&mut l, &stranger, 5, ANSWER_MS, None);
    assert_eq!(
        (out.decision, out.reason),
        (TimeoutDecision::Expire, "unknown account")
    );
    let anonymous = dialog(2, "sip:host", &[]);
    assert_eq!(
        on_timeout(&mut l, &anonymous, 5, ANSWER_MS, None).decision,
        TimeoutDecision::Expire
    );

    let alice = dialog(3, "sip:alice@host", &[]);
    let late = on_timeout(
        &mut l,
        &alice,
        5,
        ANSWER_MS + 3_000,
        Some(ANSWER_MS + 2_000),
    );
    assert_eq!(
        (late.decision, late.reason),
        (TimeoutDecision::Expire, "past the deadline")
    );
    assert_eq!(l.accounts["alice"], 100);
    assert!(l.open.is_empty());
}

#[test]
fn calls_are_charged_apart_from_one_account() {
    let mut l = ledger(&[("acme", 10)]);
    let a = dialog(1, "sip:alice@host", &[("account", "acme")]);
    let b = dialog(2, "sip:bob@host", &[("account", "acme")]);
    assert_eq!(
        on_timeout(&mut l, &a, 5, ANSWER_MS, None).decision,
        extend(5)
    );
    assert_eq!(
        on_timeout(&mut l, &b, 5, ANSWER_MS, None).decision,
        extend(5)
    );
    assert_eq!(
        on_timeout(&mut l, &a, 5, ANSWER_MS, None).decision,
        TimeoutDecision::Expire
    );
    let hung_up_b = on_hangup(&mut l, &b, ANSWER_MS + 7_000);
    assert_eq!((hung_up_b.charged_secs, hung_up_b.duration_secs), (5, 7));
    assert_eq!(l.open.len(), 1);
}

#[test]
fn a_call_never_charged_is_recorded_with_zero() {
    let mut l = ledger(&[]);
    let mut d = dialog(1, "sip:alice@host", &[]);
    d.answer_unix_ms = None;
    d.end_cause = Some(EndCause::Cancelled);
    let record = on_hangup(&mut l, &d, ANSWER_MS);
    assert_eq!((record.charged_secs, record.duration_secs), (0, 0));
    assert_eq!(record.account.as_deref(), Some("alice"));
    assert_eq!(record.end_cause.as_deref(), Some("cancelled"));
}
