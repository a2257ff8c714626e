//! The `on_timeout` trigger: asked once when the timeout fires on a dialog with triggers,
//! the timer resting until the decision, which extends or expires the dialog — and a dialog
//! without triggers times out as it always did.

use super::*;
use crate::test_call::*;
use crate::trigger::TimeoutDecision;

/// 60 s timeout (answered at 1: due at 61), BYE on timeout, trigger `prepaid`.
fn with_triggers() -> DialogSettings {
    DialogSettings {
        triggers: vec!["prepaid".to_owned()],
        ..settings()
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// What a step did to the dialog: its outputs, then its deadline (seconds from the origin).
fn decide(c: &mut TestCall, at: u64, d: TimeoutDecision) -> (Vec<DialogOutput>, Option<u64>) {
    c.dialog.decide_timeout(c.at(at), d);
    (c.drain(), c.deadline_secs())
}

fn is_bye(o: &DialogOutput) -> bool {
    matches!(o, DialogOutput::SendRequest(r) if r.method == Method::Bye)
}

#[test]
fn the_trigger_is_asked_once_and_the_timer_rests_meanwhile() {
    let mut c = TestCall::confirmed(with_triggers());
    assert_eq!(c.dialog.triggers(), ["prepaid".to_owned()]);
    // (second, outputs of handle_timeout, deadline afterwards)
    let table: [(u64, Vec<DialogOutput>, Option<u64>); 4] = [
        (60, vec![], Some(61)),
        (61, vec![DialogOutput::TimeoutTrigger], None),
        (62, vec![], None),
        (500, vec![], None),
    ];
    for (at, outputs, deadline) in table {
        assert_eq!(c.step(at, Input::Timeout).outputs, outputs, "at {at}");
        assert_eq!(c.deadline_secs(), deadline, "at {at}");
    }
    assert!(c.dialog.is_timeout_pending());
    assert_eq!(c.dialog.state(), DialogState::Confirmed, "still up");
}

#[test]
fn decisions_extend_or_expire() {
    let expired = vec![
        changed(DialogState::Confirmed, DialogState::Deleted),
        DialogOutput::Ended(EndCause::Timeout),
    ];
    // (bye_on_timeout, decision at 65, BYEs sent, end cause, deadline afterwards)
    type Row = (bool, TimeoutDecision, usize, Option<EndCause>, Option<u64>);
    let table: [Row; 3] = [
        (true, TimeoutDecision::Extend(secs(30)), 0, None, Some(95)),
        (
            true,
            TimeoutDecision::Expire,
            2,
            Some(EndCause::Timeout),
            None,
        ),
        (
            false,
            TimeoutDecision::Expire,
            0,
            Some(EndCause::Timeout),
            None,
        ),
    ];
    for (bye_on_timeout, decision, byes, cause, deadline) in table {
        let mut c = TestCall::confirmed(DialogSettings {
            bye_on_timeout,
            ..with_triggers()
        });
        c.step(61, Input::Timeout);
        let (outputs, after) = decide(&mut c, 65, decision);
        let what = format!("{decision:?}, bye_on_timeout {bye_on_timeout}");
        assert_eq!(outputs.iter().filter(|o| is_bye(o)).count(), byes, "{what}");
        let rest: Vec<_> = outputs.into_iter().filter(|o| !is_bye(o)).collect();
        match decision {
            TimeoutDecision::Extend(d) => {
                assert_eq!(
                    rest,
                    vec![DialogOutput::TimeoutChanged { timeout: d }],
                    "{what}"
                );
                assert_eq!(c.dialog.timeout(), d);
            }
            TimeoutDecision::Expire => assert_eq!(rest, expired, "{what}"),
        }
        assert_eq!(
            (c.dialog.end_cause(), after, c.dialog.is_timeout_pending()),
            (cause, deadline, false),
            "{what}"
        );
        let again = decide(&mut c, 66, TimeoutDecision::Expire);
        assert_eq!(
            again,
            (vec![], deadline),
            "a second decision is ignored: {what}"
        );
    }
}

#[test]
fn an_extended_dialog_asks_again_at_its_new_deadline() {
    let mut c = TestCall::confirmed(with_triggers());
    c.step(61, Input::Timeout);
    decide(&mut c, 61, TimeoutDecision::Extend(secs(10)));
    assert_eq!(c.step(70, Input::Timeout).outputs, vec![]);
    assert_eq!(
        c.step(71, Input::Timeout).outputs,
        vec![DialogOutput::TimeoutTrigger]
    );
}

#[test]
fn a_decision_after_the_dialog_ended_or_unasked_is_ignored() {
    let mut c = TestCall::confirmed(with_triggers());
    c.step(61, Input::Timeout);
    c.step(62, Input::Request(from_callee("BYE", "b", 1)));
    assert_eq!(c.dialog.end_cause(), Some(EndCause::ByeCallee));
    assert_eq!(decide(&mut c, 63, TimeoutDecision::Expire), (vec![], None));
    assert_eq!(
        decide(&mut c, 63, TimeoutDecision::Extend(secs(9))),
        (vec![], None)
    );
    assert_eq!(c.dialog.end_cause(), Some(EndCause::ByeCallee));

    // Never asked: nothing to decide.
    let mut c = TestCall::confirmed(with_triggers());
    assert_eq!(
        decide(&mut c, 5, TimeoutDecision::Expire),
        (vec![], Some(61))
    );
}

#[test]
fn without_triggers_the_timeout_expires_as_before() {
    // (settings, triggers set afterwards): none from the start, or cleared again.
    let table = [(settings(), None), (with_triggers(), Some(Vec::new()))];
    for (settings, later) in table {
        let mut c = TestCall::confirmed(settings);
        if let Some(t) = later {
            c.dialog.set_triggers(t);
        }
        assert_eq!(c.step(60, Input::Timeout).outputs, vec![], "not yet");
        let out = c.step(61, Input::Timeout).outputs;
        assert_eq!(out.iter().filter(|o| is_bye(o)).count(), 2);
        assert_eq!(out.last(), Some(&DialogOutput::Ended(EndCause::Timeout)));
        assert!(!out.contains(&DialogOutput::TimeoutTrigger));
        assert!(!c.dialog.is_timeout_pending());
    }
}

#[test]
fn a_restored_dialog_asks_anew() {
    let mut c = TestCall::confirmed(with_triggers());
    c.step(61, Input::Timeout);
    assert!(c.dialog.is_timeout_pending());
    let rec = c.dialog.record(1, c.at(62), 1_700_000_062_000);
    let mut adopted = Dialog::restore(&rec, c.at(62), 1_700_000_062_000);
    assert!(!adopted.is_timeout_pending());
    assert_eq!(adopted.triggers(), ["prepaid".to_owned()]);
    assert_eq!(
        adopted.poll_timeout(),
        Some(c.at(62)),
        "overdue: due at once"
    );
    adopted.handle_timeout(c.at(62));
    assert_eq!(adopted.poll_output(), Some(DialogOutput::TimeoutTrigger));
}
