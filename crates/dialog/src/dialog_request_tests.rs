//! In-dialog requests on an answered call: `validate_dialog` (CSeq order per direction),
//! forged requests, target refresh and the CSeq mapping after the proxy's own requests.

use super::*;
use crate::config::MatchMode;
use crate::matching::{DidCookie, MatchOutcome};
use crate::test_call::*;

const OUT_OF_ORDER: Option<RequestVerdict> = Some(RequestVerdict::Reject {
    code: 500,
    reason: "CSeq Out Of Order",
});
const NO_DIALOG: Option<RequestVerdict> = Some(RequestVerdict::Reject {
    code: 481,
    reason: "Call/Transaction Does Not Exist",
});

#[test]
fn cseq_must_not_go_down_in_either_direction() {
    let mut c = TestCall::confirmed(settings());
    let n = INVITE_CSEQ;
    let table = [
        (from_caller("INFO", "b", n + 1), forward(Leg::Caller, None)),
        (from_caller("INFO", "b", n + 1), forward(Leg::Caller, None)), // retransmission
        (from_caller("INFO", "b", n), OUT_OF_ORDER),
        (from_caller("ACK", "b", n + 1), NO_DIALOG), // no INVITE with that CSeq
        (from_callee("INFO", "b", 100), forward(Leg::Callee, None)), // callee's own space
        (from_callee("INFO", "b", 99), OUT_OF_ORDER),
        (from_callee("ACK", "b", 100), NO_DIALOG),
        (
            from_caller("INVITE", "b", n + 5),
            forward(Leg::Caller, None),
        ),
        (from_caller("ACK", "b", n + 5), forward(Leg::Caller, None)),
        (
            from_caller("CANCEL", "b", n + 5),
            forward(Leg::Caller, None),
        ),
        (from_caller("CANCEL", "b", n + 4), NO_DIALOG),
        (from_caller("OPTIONS", "b", n + 2), OUT_OF_ORDER),
    ];
    for (i, (req, want)) in table.into_iter().enumerate() {
        let p = c.step(2, Input::Request(req.clone()));
        assert_eq!(p.verdict, want, "row {i}: {req:?}");
        assert_eq!(p.outputs, vec![], "row {i}");
        assert_eq!(c.dialog.state(), DialogState::Confirmed, "row {i}");
    }
    let snap = c.dialog.snapshot(c.at(2), 1);
    assert_eq!((snap.caller.cseq, snap.callee.cseq), (n + 5, 100));
    // An out-of-order BYE does not end the call; an in-order one does.
    assert_eq!(
        c.step(3, Input::Request(from_caller("BYE", "b", n + 4)))
            .verdict,
        OUT_OF_ORDER
    );
    assert_eq!(c.dialog.state(), DialogState::Confirmed);
    let p = c.step(3, Input::Request(from_caller("BYE", "b", n + 6)));
    assert_eq!(p.verdict, forward(Leg::Caller, None));
    assert_eq!(c.dialog.end_cause(), Some(EndCause::ByeCaller));
}

#[test]
fn forged_requests_are_rejected_without_touching_the_dialog() {
    let bye = || from_caller("BYE", "b", INVITE_CSEQ + 1);
    let table: Vec<(&str, RequestFacts)> = vec![
        (
            "wrong Call-ID",
            RequestFacts {
                call_id: "other@host".into(),
                ..bye()
            },
        ),
        (
            "wrong From tag",
            RequestFacts {
                from_tag: Some("mallory".into()),
                ..bye()
            },
        ),
        (
            "wrong To tag",
            RequestFacts {
                to_tag: Some("mallory".into()),
                ..bye()
            },
        ),
        (
            "no tags",
            RequestFacts {
                from_tag: None,
                to_tag: None,
                ..bye()
            },
        ),
        (
            "callee BYE naming an unknown caller",
            RequestFacts {
                to_tag: Some("x".into()),
                ..from_callee("BYE", "b", 1)
            },
        ),
        ("callee tag unknown", from_callee("BYE", "mallory", 1)),
    ];
    for (what, forged) in table {
        for (by_did, want) in [(true, NO_DIALOG), (false, Some(RequestVerdict::NotMatched))] {
            let mut c = TestCall::confirmed(settings());
            let deadline = c.dialog.poll_timeout();
            let req = RequestFacts {
                matched_by_did: by_did,
                ..forged.clone()
            };
            let p = c.step(30, Input::Request(req));
            assert_eq!(p.verdict, want, "{what}, by did: {by_did}");
            assert_eq!(p.outputs, vec![], "{what}");
            assert_eq!(c.dialog.state(), DialogState::Confirmed, "{what}");
            assert_eq!(
                c.dialog.poll_timeout(),
                deadline,
                "{what}: timeout must not move"
            );
        }
    }
}

#[test]
fn target_refresh_moves_the_request_uri_of_later_byes() {
    // (request, contact it carries, BYE target towards caller, towards callee)
    let table = [
        (
            from_caller("INVITE", "b", INVITE_CSEQ + 1),
            "sip:alice@203.0.113.9",
            "sip:alice@203.0.113.9",
            CALLEE_CONTACT,
        ),
        (
            from_callee("UPDATE", "b", 1),
            "sip:bob@203.0.113.7",
            CALLER_CONTACT,
            "sip:bob@203.0.113.7",
        ),
        (
            from_caller("INFO", "b", INVITE_CSEQ + 1),
            "sip:alice@elsewhere",
            CALLER_CONTACT,
            CALLEE_CONTACT,
        ),
    ];
    for (req, contact, to_caller, to_callee) in table {
        let mut c = TestCall::confirmed(settings());
        let req = RequestFacts {
            contact: Some(contact.to_owned()),
            ..req
        };
        assert!(matches!(
            c.step(5, Input::Request(req)).verdict,
            Some(RequestVerdict::Forward { .. })
        ));
        let p = c.step(
            6,
            Input::End(EndCause::Api, vec![Leg::Caller, Leg::Callee], vec![]),
        );
        let targets: Vec<(Leg, String)> = p
            .outputs
            .iter()
            .filter_map(|o| match o {
                DialogOutput::SendRequest(g) => Some((g.leg, g.request_uri.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            targets,
            [
                (Leg::Caller, to_caller.to_owned()),
                (Leg::Callee, to_callee.to_owned())
            ],
            "{contact}"
        );
    }
}

#[test]
fn the_proxys_own_requests_shift_later_cseqs_and_their_responses_back() {
    let mut c = TestCall::confirmed(settings());
    let n = INVITE_CSEQ;
    assert_eq!(
        c.dialog
            .request_towards(Leg::Callee, Method::Invite, vec![])
            .map(|g| g.cseq),
        Some(n + 1)
    );
    assert_eq!(
        c.dialog
            .request_towards(Leg::Caller, Method::Options, vec![])
            .map(|g| g.cseq),
        Some(1)
    );
    let table = [
        (
            from_caller("INFO", "b", n + 1),
            forward(Leg::Caller, Some(n + 2)),
        ),
        (from_caller("ACK", "b", n), forward(Leg::Caller, None)), // the INVITE before the mark
        (from_callee("INFO", "b", 1), forward(Leg::Callee, Some(2))),
        (from_callee("INFO", "b", 1), forward(Leg::Callee, Some(2))),
    ];
    for (req, want) in table {
        assert_eq!(
            c.step(2, Input::Request(req.clone())).verdict,
            want,
            "{req:?}"
        );
    }
    assert_eq!(c.dialog.response_cseq(Leg::Caller, n + 2), Some(n + 1));
    assert_eq!(c.dialog.response_cseq(Leg::Callee, 2), Some(1));
    assert_eq!(c.dialog.response_cseq(Leg::Caller, n), None);
    // The next generated request continues above what each side has seen.
    assert_eq!(
        c.dialog
            .request_towards(Leg::Callee, Method::Bye, vec![])
            .map(|g| g.cseq),
        Some(n + 3)
    );
    assert_eq!(
        c.dialog
            .request_towards(Leg::Caller, Method::Bye, vec![])
            .map(|g| g.cseq),
        Some(3)
    );
}

#[test]
fn nothing_is_generated_before_the_answer() {
    let mut c = TestCall::new(settings());
    c.step(0, Input::Response(response(180, Some("b"))));
    assert_eq!(
        c.dialog.request_towards(Leg::Callee, Method::Bye, vec![]),
        None
    );
    let p = c.step(
        1,
        Input::End(EndCause::Api, vec![Leg::Caller, Leg::Callee], vec![]),
    );
    assert_eq!(p.ended, Some(false));
    assert_eq!(p.outputs, vec![]);
    assert_eq!(c.dialog.state(), DialogState::Early);
}

#[test]
fn matches_applies_the_mode_and_the_tight_check() {
    let mut c = TestCall::confirmed(settings());
    c.step(1, Input::Response(response(200, Some("late"))));
    let table = [
        (
            MatchMode::DidOnly,
            DidCookie::Valid(DID),
            from_caller("BYE", "b", 9),
            MatchOutcome::Matched(Leg::Caller),
        ),
        (
            MatchMode::DidOnly,
            DidCookie::Valid(DID),
            from_caller("BYE", "late", 9),
            MatchOutcome::Matched(Leg::Caller),
        ),
        (
            MatchMode::DidOnly,
            DidCookie::Valid(DID),
            from_caller("BYE", "x", 9),
            MatchOutcome::Forged,
        ),
        (
            MatchMode::DidOnly,
            DidCookie::Absent,
            from_caller("BYE", "b", 9),
            MatchOutcome::NotMatched,
        ),
        (
            MatchMode::DidFallback,
            DidCookie::Absent,
            from_callee("BYE", "b", 9),
            MatchOutcome::Matched(Leg::Callee),
        ),
        (
            MatchMode::DidFallback,
            DidCookie::Invalid,
            from_callee("BYE", "b", 9),
            MatchOutcome::Forged,
        ),
        (
            MatchMode::DidNone,
            DidCookie::Absent,
            from_callee("BYE", "x", 9),
            MatchOutcome::NotMatched,
        ),
    ];
    for (mode, cookie, req, want) in table {
        assert_eq!(
            c.dialog.matches(mode, cookie, &req),
            want,
            "{mode:?} {cookie:?} {req:?}"
        );
    }
}
