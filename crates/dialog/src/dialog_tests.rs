//! Call life, downstream forking and failures before answer, as tables of inputs at given
//! seconds and what the dialog answers and emits.

use DialogState::*;

use super::*;
use crate::test_call::*;

type Row = (
    u64,
    Input,
    Option<RequestVerdict>,
    Vec<DialogOutput>,
    DialogState,
);

fn run(call: &mut TestCall, rows: Vec<Row>) {
    for (i, (secs, input, verdict, outputs, state)) in rows.into_iter().enumerate() {
        let p = call.step(secs, input.clone());
        assert_eq!(p.verdict, verdict, "row {i}: {input:?}");
        assert_eq!(p.outputs, outputs, "row {i}: {input:?}");
        assert_eq!(call.dialog.state(), state, "row {i}: {input:?}");
    }
}

#[test]
fn full_call_life_ends_with_a_bye_from_either_side() {
    let byes = [
        (
            from_caller("BYE", "b", INVITE_CSEQ + 1),
            Leg::Caller,
            EndCause::ByeCaller,
        ),
        (from_callee("BYE", "b", 1), Leg::Callee, EndCause::ByeCallee),
    ];
    for (bye, leg, cause) in byes {
        let mut c = TestCall::new(settings());
        run(
            &mut c,
            vec![
                (
                    0,
                    Input::Response(response(100, None)),
                    None,
                    vec![],
                    Unconfirmed,
                ),
                (
                    0,
                    Input::Response(response(180, Some("b"))),
                    None,
                    vec![changed(Unconfirmed, Early)],
                    Early,
                ),
                (
                    0,
                    Input::Response(response(180, Some("b"))),
                    None,
                    vec![],
                    Early,
                ),
            ],
        );
        assert_eq!(c.dialog.poll_timeout(), None);
        run(
            &mut c,
            vec![
                (
                    2,
                    Input::Response(response(200, Some("b"))),
                    None,
                    vec![changed(Early, ConfirmedNoAck)],
                    ConfirmedNoAck,
                ),
                // The 2xx is retransmitted until the ACK: no second confirmation.
                (
                    2,
                    Input::Response(response(200, Some("b"))),
                    None,
                    vec![],
                    ConfirmedNoAck,
                ),
                (
                    2,
                    Input::Request(from_caller("ACK", "b", INVITE_CSEQ)),
                    forward(Leg::Caller, None),
                    vec![changed(ConfirmedNoAck, Confirmed)],
                    Confirmed,
                ),
                (
                    2,
                    Input::Request(from_caller("ACK", "b", INVITE_CSEQ)),
                    forward(Leg::Caller, None),
                    vec![],
                    Confirmed,
                ),
            ],
        );
        assert_eq!(c.dialog.callee_tag(), Some("b"));
        assert_eq!(c.deadline_secs(), Some(62));
        run(
            &mut c,
            vec![(
                30,
                Input::Request(bye.clone()),
                forward(leg, None),
                vec![changed(Confirmed, Deleted), DialogOutput::Ended(cause)],
                Deleted,
            )],
        );
        assert_eq!(c.dialog.end_cause(), Some(cause));
        assert_eq!(c.dialog.poll_timeout(), None);
        // The dialog is over: the same BYE again names a dialog that no longer exists.
        let p = c.step(31, Input::Request(bye.clone()));
        assert_eq!(p.verdict, rejected(481, "Call/Transaction Does Not Exist"));
        let mut by_call_id = bye;
        by_call_id.matched_by_did = false;
        assert_eq!(
            c.step(31, Input::Request(by_call_id)).verdict,
            Some(RequestVerdict::NotMatched)
        );
    }
}

#[test]
fn forking_follows_the_first_2xx_and_proxies_losing_branches_untouched() {
    let mut c = TestCall::new(settings());
    let prack_b1 = from_caller("PRACK", "b1", INVITE_CSEQ + 2);
    let prack_b2 = from_caller("PRACK", "b2", INVITE_CSEQ + 1);
    run(
        &mut c,
        vec![
            (
                0,
                Input::Response(response(180, Some("b1"))),
                None,
                vec![changed(Unconfirmed, Early)],
                Early,
            ),
            (
                0,
                Input::Response(response(183, Some("b2"))),
                None,
                vec![],
                Early,
            ),
            // Each early dialog has its own CSeq order: b2's PRACK may be lower than b1's.
            (
                0,
                Input::Request(prack_b1),
                forward(Leg::Caller, None),
                vec![],
                Early,
            ),
            (
                0,
                Input::Request(prack_b2),
                forward(Leg::Caller, None),
                vec![],
                Early,
            ),
            (
                0,
                Input::Request(from_callee("UPDATE", "b2", 7)),
                forward(Leg::Callee, None),
                vec![],
                Early,
            ),
            // A BYE on an early dialog is proxied; the INVITE's final response decides.
            (
                0,
                Input::Request(from_caller("BYE", "b1", INVITE_CSEQ + 3)),
                forward(Leg::Caller, None),
                vec![],
                Early,
            ),
            (
                1,
                Input::Response(response(200, Some("b2"))),
                None,
                vec![changed(Early, ConfirmedNoAck)],
                ConfirmedNoAck,
            ),
            // b2's orders became the dialog's.
            (
                1,
                Input::Request(from_caller("INFO", "b2", INVITE_CSEQ + 1)),
                forward(Leg::Caller, None),
                vec![],
                ConfirmedNoAck,
            ),
            (
                1,
                Input::Request(from_caller("INFO", "b2", INVITE_CSEQ)),
                rejected(500, "CSeq Out Of Order"),
                vec![],
                ConfirmedNoAck,
            ),
            (
                1,
                Input::Request(from_callee("INFO", "b2", 6)),
                rejected(500, "CSeq Out Of Order"),
                vec![],
                ConfirmedNoAck,
            ),
            // Another branch answers too: forwarded upstream, the dialog keeps b2.
            (
                1,
                Input::Response(response(200, Some("b3"))),
                None,
                vec![],
                ConfirmedNoAck,
            ),
            // The caller ACKs and BYEs the losing branches: proxied, nothing changes.
            (
                1,
                Input::Request(from_caller("ACK", "b3", INVITE_CSEQ)),
                forward(Leg::Caller, None),
                vec![],
                ConfirmedNoAck,
            ),
            (
                1,
                Input::Request(from_caller("BYE", "b3", INVITE_CSEQ + 1)),
                forward(Leg::Caller, None),
                vec![],
                ConfirmedNoAck,
            ),
            (
                1,
                Input::Request(from_callee("BYE", "b1", 1)),
                forward(Leg::Callee, None),
                vec![],
                ConfirmedNoAck,
            ),
            (
                1,
                Input::Request(from_caller("ACK", "b2", INVITE_CSEQ)),
                forward(Leg::Caller, None),
                vec![changed(ConfirmedNoAck, Confirmed)],
                Confirmed,
            ),
        ],
    );
    assert_eq!(c.dialog.callee_tag(), Some("b2"));
    assert_eq!(c.dialog.branches().lost_tags(), ["b1", "b3"]);
    // Losing-branch requests did not reset the timeout either: it still runs from the 2xx.
    assert_eq!(c.deadline_secs(), Some(61));
    let snap = c.dialog.snapshot(c.at(1), 1);
    assert_eq!(snap.callee.tag.as_deref(), Some("b2"));
    assert_eq!(snap.callee.cseq, 7);
}

#[test]
fn failures_before_answer_end_the_dialog() {
    let early = || Input::Response(response(180, Some("b")));
    let final_ = |code| Input::Response(response(code, Some("b")));
    let table: Vec<(Vec<Input>, Vec<DialogOutput>, Option<EndCause>)> = vec![
        (
            vec![early(), final_(486)],
            vec![
                changed(Unconfirmed, Early),
                changed(Early, Deleted),
                DialogOutput::Ended(EndCause::Failed(486)),
            ],
            Some(EndCause::Failed(486)),
        ),
        // CANCEL: the callee answers the INVITE with 487.
        (
            vec![early(), final_(487)],
            vec![
                changed(Unconfirmed, Early),
                changed(Early, Deleted),
                DialogOutput::Ended(EndCause::Cancelled),
            ],
            Some(EndCause::Cancelled),
        ),
        // A provisional without tag opens no early dialog.
        (
            vec![
                Input::Response(response(180, None)),
                Input::Response(response(603, None)),
            ],
            vec![
                changed(Unconfirmed, Deleted),
                DialogOutput::Ended(EndCause::Failed(603)),
            ],
            Some(EndCause::Failed(603)),
        ),
        // Timer B or an unreachable next hop.
        (
            vec![Input::Fail(408)],
            vec![
                changed(Unconfirmed, Deleted),
                DialogOutput::Ended(EndCause::Failed(408)),
            ],
            Some(EndCause::Failed(408)),
        ),
        // After the 2xx, neither a final error of another branch nor a late failure counts.
        (
            vec![
                final_(200),
                Input::Response(response(486, Some("c"))),
                Input::Fail(408),
            ],
            vec![changed(Unconfirmed, ConfirmedNoAck)],
            None,
        ),
        // Responses to other requests are not the INVITE's.
        (
            vec![Input::Response(ResponseFacts {
                cseq: INVITE_CSEQ + 1,
                ..response(486, Some("b"))
            })],
            vec![],
            None,
        ),
        (
            vec![Input::Response(ResponseFacts {
                cseq_method: Some(Method::Prack),
                ..response(486, Some("b"))
            })],
            vec![],
            None,
        ),
    ];
    for (i, (inputs, outputs, cause)) in table.into_iter().enumerate() {
        let mut c = TestCall::new(settings());
        let got: Vec<DialogOutput> = inputs
            .into_iter()
            .flat_map(|inp| c.step(0, inp).outputs)
            .collect();
        assert_eq!(got, outputs, "row {i}");
        assert_eq!(c.dialog.end_cause(), cause, "row {i}");
        assert_eq!(
            c.dialog.poll_timeout().is_some(),
            c.dialog.state().is_confirmed(),
            "row {i}"
        );
    }
}

#[test]
fn a_2xx_without_to_tag_still_confirms_so_the_dialog_can_end() {
    let mut c = TestCall::new(settings());
    c.step(0, Input::Response(response(200, None)));
    assert_eq!(c.dialog.state(), ConfirmedNoAck);
    assert_eq!(c.dialog.callee_tag(), Some(""));
    let mut ack = from_caller("ACK", "", INVITE_CSEQ);
    ack.to_tag = None;
    assert_eq!(
        c.step(0, Input::Request(ack)).verdict,
        forward(Leg::Caller, None)
    );
    assert_eq!(c.dialog.state(), Confirmed);
}
