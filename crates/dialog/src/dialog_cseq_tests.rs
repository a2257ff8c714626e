//! CSeq spaces when the proxy sends in-dialog requests of its own (keep-alive, hold,
//! REFER): the endpoints' later requests reach their peer shifted past the proxy's numbers,
//! the responses go back with the sender's own numbers, and each direction is independent.

use super::*;
use crate::test_call::*;
use Leg::{Callee, Caller};

const N: u32 = INVITE_CSEQ;

/// The CSeq of a request the proxy sends to `leg` now.
fn generated(c: &mut TestCall, leg: Leg, method: Method) -> u32 {
    match c.dialog.request_towards(leg, method, vec![]) {
        Some(g) => g.cseq,
        None => panic!("no request towards {leg:?}"),
    }
}

#[test]
fn two_proxy_requests_to_the_callee_shift_the_callers_reinvite_and_bye_by_two() {
    let mut c = TestCall::confirmed(settings());
    // Keep-alive OPTIONS, then a hold re-INVITE, both towards the callee.
    assert_eq!(generated(&mut c, Callee, Method::Options), N + 1);
    assert_eq!(generated(&mut c, Callee, Method::Invite), N + 2);
    // (request from the caller with its own CSeq, CSeq the callee gets)
    let table = [
        (from_caller("INVITE", "b", N + 1), Some(N + 3)),
        (from_caller("ACK", "b", N + 1), Some(N + 3)), // the ACK names the re-INVITE
        (from_caller("INFO", "b", N + 2), Some(N + 4)),
        (from_caller("BYE", "b", N + 3), Some(N + 5)),
    ];
    for (i, (req, want)) in table.into_iter().enumerate() {
        let p = c.step(10 + i as u64, Input::Request(req.clone()));
        assert_eq!(p.verdict, forward(Caller, want), "{req:?}");
    }
    // The responses to the re-INVITE, the INFO and the BYE go back with the caller's numbers;
    // responses to the proxy's own requests are the proxy's (nothing to unmap).
    let back = [
        (N + 3, Some(N + 1)),
        (N + 4, Some(N + 2)),
        (N + 5, Some(N + 3)),
        (N + 1, None),
        (N + 2, None),
        (N, None),
    ];
    for (sent, want) in back {
        assert_eq!(c.dialog.response_cseq(Caller, sent), want, "{sent}");
    }
    assert_eq!(c.dialog.state(), DialogState::Deleted);
}

#[test]
fn the_callees_space_is_independent_of_the_callers() {
    let mut c = TestCall::confirmed(settings());
    assert_eq!(generated(&mut c, Callee, Method::Options), N + 1);
    assert_eq!(generated(&mut c, Callee, Method::Options), N + 2);
    // The callee's requests are not shifted by what the proxy sent towards it.
    let p = c.step(5, Input::Request(from_callee("INFO", "b", 1)));
    assert_eq!(p.verdict, forward(Callee, None));
    assert_eq!(c.dialog.response_cseq(Callee, 1), None);
    // A request towards the caller is numbered in the callee's space, after its 1 ...
    assert_eq!(generated(&mut c, Caller, Method::Invite), 2);
    // ... and shifts only the callee's later requests, while the caller's keep their +2.
    let table = [
        (from_callee("INVITE", "b", 2), forward(Callee, Some(3))),
        (from_callee("ACK", "b", 2), forward(Callee, Some(3))),
        (
            from_caller("INFO", "b", N + 1),
            forward(Caller, Some(N + 3)),
        ),
    ];
    for (req, want) in table {
        assert_eq!(
            c.step(6, Input::Request(req.clone())).verdict,
            want,
            "{req:?}"
        );
    }
    assert_eq!(c.dialog.response_cseq(Callee, 3), Some(2));
    assert_eq!(c.dialog.response_cseq(Caller, N + 3), Some(N + 1));
}

#[test]
fn keepalive_probes_over_a_quiet_call_keep_numbering_upwards() {
    let mut c = TestCall::confirmed(settings());
    // An hour of probes every 30 s to both legs of a call where nobody speaks.
    for i in 0..120 {
        assert_eq!(generated(&mut c, Callee, Method::Options), N + 1 + i);
        assert_eq!(generated(&mut c, Caller, Method::Options), 1 + i);
    }
    // Then the caller hangs up with its own next number.
    let p = c.step(3600, Input::Request(from_caller("BYE", "b", N + 1)));
    assert_eq!(p.verdict, forward(Caller, Some(N + 121)));
    assert_eq!(c.dialog.response_cseq(Caller, N + 121), Some(N + 1));
}
