//! Call life, downstream forking, direction and tag checks and failures before answer, as
//! tables of inputs at given seconds and what the dialog answers and emits. The helpers here
//! are shared with `dialog_end_tests.rs`.

use DialogState::*;
use Leg::{Callee, Caller};

use super::*;
use crate::test_call::*;

pub(super) const N: u32 = INVITE_CSEQ;

/// (second, input, verdict, outputs). The state must follow the `StateChanged` outputs.
pub(super) type Row = (u64, Input, Option<RequestVerdict>, Vec<DialogOutput>);

pub(super) fn run(call: &mut TestCall, rows: Vec<Row>) {
    let mut state = call.dialog.state();
    for (i, (secs, input, verdict, outputs)) in rows.into_iter().enumerate() {
        let p = call.step(secs, input.clone());
        assert_eq!(p.verdict, verdict, "row {i}: {input:?}");
        assert_eq!(p.outputs, outputs, "row {i}: {input:?}");
        for o in &outputs {
            if let DialogOutput::StateChanged { from, to } = o {
                assert_eq!(*from, state, "row {i}: reported from");
                state = *to;
            }
        }
        assert_eq!(call.dialog.state(), state, "row {i}: {input:?}");
    }
}

pub(super) fn rsp(status: u16, tag: &str) -> Input {
    Input::Response(response(status, Some(tag)))
}

pub(super) fn req(r: RequestFacts) -> Input {
    Input::Request(r)
}

pub(super) fn by_caller(method: &str, to_tag: &str, cseq: u32) -> Input {
    req(from_caller(method, to_tag, cseq))
}

pub(super) fn by_callee(method: &str, from_tag: &str, cseq: u32) -> Input {
    req(from_callee(method, from_tag, cseq))
}

pub(super) fn fwd(from: Leg) -> Option<RequestVerdict> {
    forward(from, None)
}

pub(super) fn no_dialog() -> Option<RequestVerdict> {
    rejected(481, "Call/Transaction Does Not Exist")
}

pub(super) fn out_of_order() -> Option<RequestVerdict> {
    rejected(500, "CSeq Out Of Order")
}

/// The output of one state change.
pub(super) fn moved(from: DialogState, to: DialogState) -> Vec<DialogOutput> {
    vec![changed(from, to)]
}

/// The last two outputs of a dialog that ends.
pub(super) fn ended(from: DialogState, cause: EndCause) -> Vec<DialogOutput> {
    vec![changed(from, Deleted), DialogOutput::Ended(cause)]
}

/// The generated requests among `outputs` as (leg, method, CSeq, request-URI).
pub(super) fn sent(outputs: &[DialogOutput]) -> Vec<(Leg, Method, u32, String)> {
    let generated = |o: &DialogOutput| match o {
        DialogOutput::SendRequest(g) => {
            Some((g.leg, g.method.clone(), g.cseq, g.request_uri.clone()))
        }
        _ => None,
    };
    outputs.iter().filter_map(generated).collect()
}

/// The BYEs among `outputs` as (leg, CSeq).
pub(super) fn byes(outputs: &[DialogOutput]) -> Vec<(Leg, u32)> {
    let bye = |(leg, method, cseq, _)| (method == Method::Bye).then_some((leg, cseq));
    sent(outputs).into_iter().filter_map(bye).collect()
}

#[test]
fn full_call_life_ends_with_a_bye_from_either_side() {
    let hangups = [
        (from_caller("BYE", "b", N + 1), Caller, EndCause::ByeCaller),
        (from_callee("BYE", "b", 1), Callee, EndCause::ByeCallee),
    ];
    for (bye, leg, cause) in hangups {
        let mut c = TestCall::new(settings());
        let ack = || by_caller("ACK", "b", N);
        run(
            &mut c,
            vec![
                (0, Input::Response(response(100, None)), None, vec![]),
                (0, rsp(180, "b"), None, moved(Unconfirmed, Early)),
                (0, rsp(180, "b"), None, vec![]),
            ],
        );
        assert_eq!(c.dialog.poll_timeout(), None, "early: no deadline");
        run(
            &mut c,
            vec![
                (2, rsp(200, "b"), None, moved(Early, ConfirmedNoAck)),
                // The 2xx is retransmitted until the ACK: no second confirmation.
                (2, rsp(200, "b"), None, vec![]),
                (2, ack(), fwd(Caller), moved(ConfirmedNoAck, Confirmed)),
                (2, ack(), fwd(Caller), vec![]),
            ],
        );
        assert_eq!(c.dialog.callee_tag(), Some("b"));
        assert_eq!(c.deadline_secs(), Some(62), "2xx at 2 + 60 s");
        let bye_again = req(bye.clone());
        let by_call_id = req(RequestFacts {
            matched_by_did: false,
            ..bye.clone()
        });
        run(
            &mut c,
            vec![
                (30, req(bye), fwd(leg), ended(Confirmed, cause)),
                // The dialog is over: the same BYE names a dialog that no longer exists.
                (31, bye_again, no_dialog(), vec![]),
                (31, by_call_id, Some(RequestVerdict::NotMatched), vec![]),
            ],
        );
        assert_eq!(c.dialog.end_cause(), Some(cause));
        assert_eq!(c.dialog.poll_timeout(), None);
    }
}

#[test]
fn forking_follows_the_first_2xx_and_proxies_losing_branches_untouched() {
    let mut c = TestCall::new(settings());
    run(
        &mut c,
        vec![
            (0, rsp(180, "b1"), None, moved(Unconfirmed, Early)),
            (0, rsp(183, "b2"), None, vec![]),
            // Each early dialog has its own CSeq order: b2's PRACK may be lower than b1's,
            // but within b1 (and within b2) the order holds.
            (0, by_caller("PRACK", "b1", N + 2), fwd(Caller), vec![]),
            (0, by_caller("PRACK", "b1", N + 1), out_of_order(), vec![]),
            (0, by_caller("PRACK", "b2", N + 1), fwd(Caller), vec![]),
            (0, by_callee("UPDATE", "b2", 7), fwd(Callee), vec![]),
            (0, by_callee("UPDATE", "b2", 6), out_of_order(), vec![]),
            // A BYE on an early dialog is proxied; the INVITE's final response decides.
            (0, by_caller("BYE", "b1", N + 3), fwd(Caller), vec![]),
            (0, by_caller("INFO", "zz", N + 3), no_dialog(), vec![]),
            (1, rsp(200, "b2"), None, moved(Early, ConfirmedNoAck)),
            // b2's orders became the dialog's.
            (1, by_caller("INFO", "b2", N + 1), fwd(Caller), vec![]),
            (1, by_caller("INFO", "b2", N), out_of_order(), vec![]),
            (1, by_callee("INFO", "b2", 6), out_of_order(), vec![]),
            // Another branch answers too: forwarded upstream, the dialog keeps b2.
            (1, rsp(200, "b3"), None, vec![]),
            // The caller ACKs and BYEs the losing branches: proxied, nothing changes, not
            // even the CSeq order (high CSeqs towards b1 leave b2's order alone).
            (1, by_caller("ACK", "b3", N), fwd(Caller), vec![]),
            (1, by_caller("BYE", "b3", N + 1), fwd(Caller), vec![]),
            (1, by_caller("BYE", "b1", N + 90), fwd(Caller), vec![]),
            (1, by_callee("BYE", "b1", 1000), fwd(Callee), vec![]),
            (
                1,
                by_caller("ACK", "b2", N),
                fwd(Caller),
                moved(ConfirmedNoAck, Confirmed),
            ),
        ],
    );
    assert_eq!(c.dialog.callee_tag(), Some("b2"));
    assert_eq!(c.dialog.branches().lost_tags(), ["b1", "b3"]);
    // Losing-branch requests did not reset the timeout either: it still runs from the 2xx.
    assert_eq!(c.deadline_secs(), Some(61));
    let snap = c.dialog.snapshot(c.at(1), 1);
    assert_eq!(snap.callee.tag.as_deref(), Some("b2"));
    assert_eq!((snap.caller.cseq, snap.callee.cseq), (N + 1, 7));
    assert!(
        c.dialog.cseq_map.is_identity(),
        "forwarding numbers nothing"
    );
}

#[test]
fn requests_are_told_apart_by_direction_and_known_tags() {
    // (Call-ID, From tag, To tag, sender once answered by b with b1 lost; None: not ours)
    let table: [(&str, &str, &str, Option<Leg>); 9] = [
        (CALL_ID, CALLER_TAG, "b", Some(Caller)),
        (CALL_ID, "b", CALLER_TAG, Some(Callee)),
        (CALL_ID, CALLER_TAG, "b1", Some(Caller)),
        (CALL_ID, "b1", CALLER_TAG, Some(Callee)),
        (CALL_ID, "b", "b", None),
        (CALL_ID, "b", "b1", None),
        (CALL_ID, CALLER_TAG, CALLER_TAG, None),
        (CALL_ID, CALLER_TAG, "zz", None),
        ("other@host", CALLER_TAG, "b", None),
    ];
    for ((call_id, from_tag, to_tag, sender), by_did) in table
        .into_iter()
        .flat_map(|row| [(row, true), (row, false)])
    {
        let r = RequestFacts {
            call_id: call_id.to_owned(),
            from_tag: Some(from_tag.to_owned()),
            to_tag: Some(to_tag.to_owned()),
            matched_by_did: by_did,
            ..from_caller("OPTIONS", "b", N + 1)
        };
        let unmatched = match by_did {
            true => no_dialog(),
            false => Some(RequestVerdict::NotMatched),
        };
        // Before any tagged reply, no request with a To tag is the dialog's.
        let mut fresh = TestCall::new(settings());
        run(
            &mut fresh,
            vec![(0, req(r.clone()), unmatched.clone(), vec![])],
        );

        let mut c = TestCall::new(settings());
        c.step(0, rsp(180, "b1"));
        c.step(1, rsp(200, "b"));
        let verdict = sender.map_or(unmatched, fwd);
        run(&mut c, vec![(2, req(r), verdict, vec![])]);
    }
}

#[test]
fn failures_before_answer_end_the_dialog() {
    let early = || rsp(180, "b");
    let early_then = |cause| [moved(Unconfirmed, Early), ended(Early, cause)].concat();
    let other_request = |r: ResponseFacts| Input::Response(r);
    type Case = (Vec<Input>, Vec<DialogOutput>, Option<EndCause>);
    let table: Vec<Case> = vec![
        (
            vec![early(), rsp(486, "b")],
            early_then(EndCause::Failed(486)),
            Some(EndCause::Failed(486)),
        ),
        // CANCEL: the callee answers the INVITE with 487, or the proxy gives up.
        (
            vec![early(), rsp(487, "b")],
            early_then(EndCause::Cancelled),
            Some(EndCause::Cancelled),
        ),
        (
            vec![early(), Input::Fail(487)],
            early_then(EndCause::Cancelled),
            Some(EndCause::Cancelled),
        ),
        // A provisional without tag opens no early dialog.
        (
            vec![
                Input::Response(response(180, None)),
                Input::Response(response(603, None)),
            ],
            ended(Unconfirmed, EndCause::Failed(603)),
            Some(EndCause::Failed(603)),
        ),
        // Timer B or an unreachable next hop.
        (
            vec![Input::Fail(408)],
            ended(Unconfirmed, EndCause::Failed(408)),
            Some(EndCause::Failed(408)),
        ),
        // After the 2xx, neither a final error of another branch nor a late failure counts.
        (
            vec![rsp(200, "b"), rsp(486, "c"), Input::Fail(408)],
            moved(Unconfirmed, ConfirmedNoAck),
            None,
        ),
        // Responses to other requests are not the INVITE's.
        (
            vec![other_request(ResponseFacts {
                cseq: N + 1,
                ..response(486, Some("b"))
            })],
            vec![],
            None,
        ),
        (
            vec![other_request(ResponseFacts {
                cseq_method: Some(Method::Prack),
                ..response(486, Some("b"))
            })],
            vec![],
            None,
        ),
    ];
    for (i, (inputs, outputs, cause)) in table.into_iter().enumerate() {
        let mut c = TestCall::new(settings());
        let got: Vec<_> = inputs
            .into_iter()
            .flat_map(|inp| c.step(0, inp).outputs)
            .collect();
        assert_eq!(got, outputs, "row {i}");
        assert_eq!(c.dialog.end_cause(), cause, "row {i}");
        let confirmed = c.dialog.state().is_confirmed();
        assert_eq!(c.dialog.poll_timeout().is_some(), confirmed, "row {i}");
    }
}

#[test]
fn a_2xx_without_to_tag_still_confirms_so_the_dialog_can_end() {
    let mut c = TestCall::new(settings());
    c.step(0, Input::Response(response(200, None)));
    assert_eq!(c.dialog.state(), ConfirmedNoAck);
    assert_eq!(c.dialog.callee_tag(), Some(""));
    let ack = req(RequestFacts {
        to_tag: None,
        ..from_caller("ACK", "", N)
    });
    run(
        &mut c,
        vec![(0, ack, fwd(Caller), moved(ConfirmedNoAck, Confirmed))],
    );
}

#[test]
fn only_the_callers_ack_confirms_the_answer() {
    let mut c = TestCall::new(settings());
    run(
        &mut c,
        vec![
            (1, rsp(200, "b"), None, moved(Unconfirmed, ConfirmedNoAck)),
            // The callee's own re-INVITE and its ACK, before the caller's ACK arrives.
            (2, by_callee("INVITE", "b", 1), fwd(Callee), vec![]),
            (2, by_callee("ACK", "b", 1), fwd(Callee), vec![]),
            // An ACK naming no INVITE of the caller, or another branch, confirms nothing.
            (2, by_caller("ACK", "b", N + 1), no_dialog(), vec![]),
            (2, rsp(200, "b2"), None, vec![]),
            (2, by_caller("ACK", "b2", N), fwd(Caller), vec![]),
            (
                3,
                by_caller("ACK", "b", N),
                fwd(Caller),
                moved(ConfirmedNoAck, Confirmed),
            ),
        ],
    );
    // ACKs never reset the timeout; the callee's re-INVITE at 2 did.
    assert_eq!(c.deadline_secs(), Some(62));
}
