#![allow(clippy::unwrap_used)]

use dialogd_test_support::serde_json::json;

use super::*;
use crate::calls::ByeSide;

fn member(stats: Value, values: Value, dialogs: Vec<Value>) -> MemberState {
    MemberState {
        node: 1,
        stats: Some(stats),
        profile_values: Some(values),
        dialogs: Some(dialogs),
        errors: Vec::new(),
    }
}

fn state(members: Vec<MemberState>) -> FinalState {
    FinalState {
        members,
        settled: true,
        waited_s: 0.0,
    }
}

fn zero_stats() -> Value {
    json!({"node_id": 1, "active": 0, "early": 0, "processed": 5, "expired": 1, "failed": 0,
           "cluster": {"active": 0, "early": 0, "processed": 9, "expired": 1, "failed": 2}})
}

#[test]
fn a_quiet_cluster_passes_the_state_checks() {
    let s = state(vec![member(
        zero_stats(),
        json!({"name": "caller", "values": [{"value": "chaos", "count": 0}]}),
        vec![],
    )]);
    for check in [counts_zero(&s), profiles_empty(&s), no_dialog_left(&s, &[])] {
        assert!(check.ok, "{check:?}");
    }
    assert!(counters_sane(&s, &LimitWatch::default()).ok);
}

#[test]
fn leftovers_break_the_state_checks() {
    let mut stats = zero_stats();
    stats["cluster"]["early"] = json!(1);
    stats["cluster"]["failed"] = json!(u64::MAX - 1);
    let s = state(vec![member(
        stats,
        json!({"name": "caller", "values": [{"value": "chaos", "count": 2}]}),
        vec![json!({"id": "ab", "state": "confirmed", "call_id": "c1", "owner_node": 2})],
    )]);
    let table = [
        (counts_zero(&s), "cluster early = 1"),
        (profiles_empty(&s), "caller/chaos = 2"),
        (
            no_dialog_left(&s, &[timed_call(&[], &[])]),
            "ab confirmed call c1 (timed call via node 1) owner 2",
        ),
        (counters_sane(&s, &LimitWatch::default()), "cluster failed"),
    ];
    for (check, text) in table {
        assert!(!check.ok, "{check:?}");
        assert!(check.detail.contains(text), "{check:?} should say {text}");
    }
}

#[test]
fn a_member_that_does_not_answer_breaks_the_counts() {
    let mut m = member(zero_stats(), json!({"values": []}), vec![]);
    m.errors.push("stats: refused".to_owned());
    m.stats = None;
    assert!(!counts_zero(&state(vec![m])).ok);
}

fn timed_call(caller_in: &[&str], callee_in: &[&str]) -> Call {
    let side = |received: &[&str]| ByeSide {
        received: received.iter().map(|s| s.to_string()).collect(),
        sent: Default::default(),
        completed: !received.is_empty(),
    };
    Call {
        call_id: "c1".to_owned(),
        stream: Stream::Timed,
        node: 0,
        invite_at: Some(1.0),
        answered_at: Some(1.1),
        caller_bye_at: None,
        caller_bye_answered_at: None,
        outcome: Outcome::Answered,
        last_answer: None,
        caller: side(caller_in),
        callee: side(callee_in),
    }
}

#[test]
fn timed_calls_want_exactly_one_bye_per_leg() {
    let table = [
        (timed_call(&["2 BYE"], &["1 BYE"]), true, true),
        (timed_call(&["2 BYE", "1002 BYE"], &["1 BYE"]), false, true),
        (timed_call(&[], &["1 BYE"]), false, false),
    ];
    for (call, one_bye, ended) in table {
        let calls = [call];
        assert_eq!(timed_one_bye_per_leg(&calls).ok, one_bye, "{calls:?}");
        assert_eq!(answered_calls_ended(&calls).ok, ended, "{calls:?}");
    }
}

#[test]
fn panics_and_limits_are_seen() {
    let logs = vec![
        String::new(),
        "x\nthread 'tokio' panicked at src/a.rs:1\n".to_owned(),
    ];
    let check = no_panic(&logs);
    assert!(!check.ok && check.detail.contains("node 2"), "{check:?}");
    let mut w = LimitWatch {
        reads: 3,
        ..LimitWatch::default()
    };
    assert!(limit_never_exceeded(&w).ok);
    w.violations = 1;
    assert!(!limit_never_exceeded(&w).ok);
    assert!(
        !limit_never_exceeded(&LimitWatch::default()).ok,
        "no read is no proof"
    );
}
