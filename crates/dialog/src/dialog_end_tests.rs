//! How calls end besides a plain BYE, and what is left afterwards: an answer never
//! acknowledged, the target of the timeout BYE after a callee's target refresh, the marks the
//! proxy's own BYEs leave in the [`CseqMap`], and a deleted dialog that ignores every input.

use DialogState::*;
use Leg::{Callee, Caller};

use super::tests::*;
use super::*;
use crate::test_call::*;

#[test]
fn an_answer_never_acknowledged_still_ends_by_bye_timeout_or_api() {
    let keepalive = Input::End(EndCause::Keepalive, vec![Caller], vec![]);
    // (bye_on_timeout, second, input, BYEs sent as (leg, CSeq), cause); answered at 1.
    let table = [
        (
            true,
            30,
            by_callee("BYE", "b", 1),
            vec![],
            EndCause::ByeCallee,
        ),
        (
            true,
            30,
            by_caller("BYE", "b", N + 1),
            vec![],
            EndCause::ByeCaller,
        ),
        (
            true,
            61,
            Input::Timeout,
            vec![(Caller, 1), (Callee, N + 1)],
            EndCause::Timeout,
        ),
        (false, 61, Input::Timeout, vec![], EndCause::Timeout),
        (false, 30, keepalive, vec![(Caller, 1)], EndCause::Keepalive),
    ];
    for (bye_on_timeout, at, input, want, cause) in table {
        let mut c = TestCall::new(DialogSettings {
            bye_on_timeout,
            ..settings()
        });
        c.step(1, rsp(200, "b"));
        assert_eq!(
            c.step(at - 1, Input::Timeout).outputs,
            vec![],
            "{input:?}: not yet"
        );
        let p = c.step(at, input.clone());
        assert_eq!(byes(&p.outputs), want, "{input:?}");
        assert_eq!(
            p.outputs[want.len()..],
            ended(ConfirmedNoAck, cause),
            "{input:?}"
        );
    }
}

#[test]
fn a_callee_re_invite_moves_the_target_of_its_timeout_bye() {
    const NEW: &str = "sip:bob@203.0.113.7";
    let old = CALLEE_CONTACT;
    // (callee request at 10 after its INFO 5 at 2, Contact on it, verdict, target of the
    // BYE to the callee afterwards, CSeq of the BYE to the caller)
    let table = [
        (
            from_callee("INVITE", "b", 6),
            Some(NEW),
            fwd(Callee),
            NEW,
            7,
        ),
        (
            from_callee("UPDATE", "b", 6),
            Some(NEW),
            fwd(Callee),
            NEW,
            7,
        ),
        // Out of order: rejected before anything is learnt from it.
        (
            from_callee("INVITE", "b", 4),
            Some(NEW),
            out_of_order(),
            old,
            6,
        ),
        (from_callee("INVITE", "b", 6), None, fwd(Callee), old, 7),
        // Not a target refresh request.
        (from_callee("INFO", "b", 6), Some(NEW), fwd(Callee), old, 7),
        // A losing branch refreshes nothing of the dialog, nor moves its CSeq.
        (
            from_callee("INVITE", "b1", 6),
            Some(NEW),
            fwd(Callee),
            old,
            6,
        ),
    ];
    for (r, contact, verdict, target, to_caller) in table {
        let mut c = TestCall::confirmed(settings());
        c.step(1, rsp(183, "b1"));
        c.step(2, by_callee("INFO", "b", 5));
        let r = RequestFacts {
            contact: contact.map(str::to_owned),
            ..r
        };
        assert_eq!(c.step(10, req(r.clone())).verdict, verdict, "{r:?}");
        let snap = c.dialog.snapshot(c.at(10), 1);
        assert_eq!(snap.callee.contact.as_deref(), Some(target), "{r:?}");
        let due = c.deadline_secs().unwrap_or_default();
        let want = vec![
            (Caller, Method::Bye, to_caller, CALLER_CONTACT.to_owned()),
            (Callee, Method::Bye, N + 1, target.to_owned()),
        ];
        assert_eq!(sent(&c.step(due, Input::Timeout).outputs), want, "{r:?}");
    }
}

#[test]
fn the_proxys_byes_leave_marks_in_the_cseq_map() {
    let end = |legs| Input::End(EndCause::Api, legs, vec![]);
    // (requests generated before, how it ends at 62, BYEs as (leg, CSeq), marks in the
    // caller's and in the callee's space). The caller sent INFO N+1 at 2, the callee nothing.
    type Case = (Vec<Leg>, Input, Vec<(Leg, u32)>, (usize, usize));
    let table: Vec<Case> = vec![
        (vec![], end(vec![Callee]), vec![(Callee, N + 2)], (1, 0)),
        (vec![], end(vec![Caller]), vec![(Caller, 1)], (0, 1)),
        (
            vec![],
            Input::Timeout,
            vec![(Caller, 1), (Callee, N + 2)],
            (1, 1),
        ),
        (
            vec![Callee],
            end(vec![Caller, Callee]),
            vec![(Caller, 1), (Callee, N + 3)],
            (2, 1),
        ),
        (
            vec![Caller, Caller],
            end(vec![Caller]),
            vec![(Caller, 3)],
            (0, 3),
        ),
    ];
    for (before, input, want, marks) in table {
        let mut c = TestCall::confirmed(settings());
        c.step(2, by_caller("INFO", "b", N + 1));
        for leg in before {
            assert!(
                c.dialog
                    .request_towards(leg, Method::Options, vec![])
                    .is_some()
            );
        }
        let got = byes(&c.step(62, input.clone()).outputs);
        assert_eq!(got, want, "{input:?}");
        let map = &c.dialog.cseq_map;
        let generated = (map.generated_in(Caller), map.generated_in(Callee));
        assert_eq!(generated, marks, "{input:?}");
        // The INFO was forwarded before any mark: its response goes back unchanged; numbers
        // only the proxy used are never mapped back.
        assert_eq!(c.dialog.response_cseq(Caller, N + 1), None, "{input:?}");
        for (leg, cseq) in got {
            assert_eq!(c.dialog.response_cseq(leg.other(), cseq), None, "{input:?}");
        }
    }
}

#[test]
fn a_deleted_dialog_ignores_everything() {
    let mut c = TestCall::confirmed(settings());
    c.step(10, by_caller("BYE", "b", N + 1));
    let snap = c.dialog.snapshot(c.at(10), 1);
    run(
        &mut c,
        vec![
            (11, rsp(200, "b"), None, vec![]),
            (11, rsp(200, "c"), None, vec![]),
            (11, rsp(486, "b"), None, vec![]),
            (11, Input::Fail(408), None, vec![]),
            (11, by_callee("INFO", "b", 1), no_dialog(), vec![]),
            (11, by_caller("ACK", "b", N), no_dialog(), vec![]),
            (61, Input::Timeout, None, vec![]),
        ],
    );
    assert!(
        !c.dialog
            .end(c.at(61), EndCause::Api, &[Caller, Callee], &[])
    );
    for leg in [Caller, Callee] {
        let late = c.dialog.request_towards(leg, Method::Options, vec![]);
        assert_eq!(late, None, "nothing is sent into a finished call");
    }
    assert!(c.dialog.cseq_map.is_identity(), "and nothing is numbered");
    c.dialog.set_timeout(c.at(62), Duration::from_secs(5));
    assert_eq!(c.drain(), vec![]);
    assert_eq!(c.dialog.poll_timeout(), None);
    assert_eq!(c.dialog.end_cause(), Some(EndCause::ByeCaller));
    assert_eq!(c.dialog.snapshot(c.at(10), 1), snap);
    assert!(
        c.dialog.branches().lost_tags().is_empty(),
        "nothing noted after the end"
    );
}
