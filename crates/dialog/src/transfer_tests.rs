//! Transfers: the Refer-To of blind and attended transfers (link parameter, Replaces escaped
//! for Call-IDs and tags full of `@`, `;`, `%`), the link taken back out of a new INVITE's
//! request-URI, sipfrag statuses and the state transitions as input sequences.

use dialogd_sip::ParseError;
use dialogd_sip::sipfrag::sipfrag_status;

use super::*;
use TransferFailure::*;

#[test]
fn blind_refer_to_carries_the_link_parameter_in_the_uri() {
    // (destination, token, Refer-To)
    let table = [
        (
            "sip:bob@example.com",
            Some("9f2c01"),
            "<sip:bob@example.com;dlgd_xfer=9f2c01>",
        ),
        (
            "<sip:bob@example.com:5070;transport=tcp>",
            Some("9f2c01"),
            "<sip:bob@example.com:5070;transport=tcp;dlgd_xfer=9f2c01>",
        ),
        (
            "sip:bob@example.com;dlgd_xfer=old?Subject=x",
            Some("new"),
            "<sip:bob@example.com;dlgd_xfer=new?Subject=x>",
        ),
        (
            "sip:bob@example.com",
            Some("a;b=c"),
            "<sip:bob@example.com;dlgd_xfer=a%3Bb%3Dc>",
        ),
        ("sip:bob@example.com", None, "<sip:bob@example.com>"),
    ];
    for (destination, token, want) in table {
        assert_eq!(blind_refer_to(destination, token), want, "{destination}");
    }
}

#[test]
fn the_link_comes_back_in_the_request_uri_and_is_stripped() {
    // What the transferred party sends: the Refer-To URI as its request-URI.
    let refer_to = blind_refer_to("sip:bob@example.com;user=phone", Some("did-42"));
    let ruri = refer_to.trim_start_matches('<').trim_end_matches('>');
    assert_eq!(
        take_link(ruri),
        Some((
            "sip:bob@example.com;user=phone".to_owned(),
            "did-42".to_owned()
        ))
    );
    // (request-URI, link)
    let table = [
        (
            "sip:bob@10.0.0.2:5060;DLGD_XFER=t1;lr",
            Some(("sip:bob@10.0.0.2:5060;lr", "t1")),
        ),
        ("sip:bob@example.com", None),
        ("sip:dlgd_xfer=t1@example.com", None), // the user part is not a parameter
        ("sip:bob@example.com;dlgd_xfer_x=t1", None),
    ];
    for (ruri, want) in table {
        let want = want.map(|(u, t)| (u.to_owned(), t.to_owned()));
        assert_eq!(take_link(ruri), want, "{ruri}");
    }
}

#[test]
fn attended_refer_to_names_the_target_dialog_as_the_target_sees_it() {
    let other = |leg| ReplacedLeg {
        call_id: "98asjd8@pc.carol.example",
        caller_tag: "a1",
        callee_tag: "c2",
        leg,
    };
    // The callee of the other call is the target: to-tag is the callee's own.
    assert_eq!(
        attended_refer_to("sip:carol@192.0.2.7", &other(Leg::Callee)),
        "<sip:carol@192.0.2.7?Replaces=98asjd8%40pc.carol.example%3Bto-tag%3Dc2%3Bfrom-tag%3Da1>"
    );
    assert_eq!(
        attended_refer_to("<sip:alice@192.0.2.8;transport=tcp>", &other(Leg::Caller)),
        "<sip:alice@192.0.2.8;transport=tcp?Replaces=98asjd8%40pc.carol.example%3Bto-tag%3Da1%3Bfrom-tag%3Dc2>"
    );
}

#[test]
fn call_ids_and_tags_are_escaped_for_the_uri_header() {
    // (call-id, callee tag, Replaces as escaped in the URI)
    let table = [
        ("abc@host", "t", "abc%40host%3Bto-tag%3Dt%3Bfrom-tag%3Df"),
        ("a;b", "t", "a%3Bb%3Bto-tag%3Dt%3Bfrom-tag%3Df"),
        ("100%@h", "t", "100%25%40h%3Bto-tag%3Dt%3Bfrom-tag%3Df"),
        (
            "x=y?z&w",
            "t=1",
            "x%3Dy%3Fz%26w%3Bto-tag%3Dt%3D1%3Bfrom-tag%3Df",
        ),
        ("spa ce", "t", "spa%20ce%3Bto-tag%3Dt%3Bfrom-tag%3Df"),
    ];
    for (call_id, callee_tag, escaped) in table {
        let leg = ReplacedLeg {
            call_id,
            caller_tag: "f",
            callee_tag,
            leg: Leg::Callee,
        };
        let got = attended_refer_to("sip:c@h", &leg);
        assert_eq!(got, format!("<sip:c@h?Replaces={escaped}>"), "{call_id}");
        // Nothing but the closing bracket ends the URI: no raw ';', '@', '?' after the '?'.
        let header = &got["<sip:c@h?".len()..got.len() - 1];
        assert!(!header.contains([';', '@', '?', '&', ' ']), "{header}");
    }
}

#[test]
fn sipfrag_statuses_classify_and_garbage_is_an_error() {
    // (NOTIFY body, class)
    let table: [(&[u8], Result<NotifyClass, ()>); 7] = [
        (b"SIP/2.0 100 Trying\r\n", Ok(NotifyClass::Progress)),
        (b"SIP/2.0 180 Ringing\r\n", Ok(NotifyClass::Progress)),
        (b"SIP/2.0 200 OK\r\n", Ok(NotifyClass::Success)),
        (
            b"SIP/2.0 302 Moved Temporarily\r\n",
            Ok(NotifyClass::Failure),
        ),
        (b"SIP/2.0 603 Declined", Ok(NotifyClass::Failure)),
        (b"OK", Err(())),
        (b"", Err(())),
    ];
    for (body, want) in table {
        let got = sipfrag_status(body).map(NotifyClass::of);
        match want {
            Ok(class) => assert_eq!(got, Ok(Some(class)), "{body:?}"),
            Err(()) => assert!(matches!(got, Err(ParseError::Sipfrag(_))), "{body:?}"),
        }
    }
    assert_eq!(NotifyClass::of(99), None);
    assert_eq!(NotifyClass::of(700), None);
}

/// One input of a transfer.
#[derive(Debug, Clone, Copy)]
enum In {
    ReferResponse(u16),
    ReferTimeout,
    Notify(u16),
    Terminated,
    Abandon,
}

fn feed(state: &mut TransferState, input: In) -> Option<TransferState> {
    match input {
        In::ReferResponse(code) => state.on_refer_response(code),
        In::ReferTimeout => state.on_refer_timeout(),
        In::Notify(code) => state.on_notify(code),
        In::Terminated => state.on_subscription_terminated(),
        In::Abandon => state.abandon(),
    }
}

#[test]
fn transfers_go_from_start_through_notifies_to_ok_or_fail() {
    use TransferState::{Fail, Notify, Ok, Start};
    // (inputs from Start, the event each gives, final state)
    let table: Vec<(Vec<In>, Vec<Option<TransferState>>, TransferState)> = vec![
        (
            vec![
                In::ReferResponse(202),
                In::Notify(100),
                In::Notify(180),
                In::Notify(200),
            ],
            vec![None, Some(Notify(100)), Some(Notify(180)), Some(Ok)],
            Ok,
        ),
        // A NOTIFY before the 202 (reordered), and retransmitted 1xx NOTIFYs.
        (
            vec![
                In::Notify(100),
                In::ReferResponse(202),
                In::Notify(100),
                In::Notify(200),
            ],
            vec![Some(Notify(100)), None, Some(Notify(100)), Some(Ok)],
            Ok,
        ),
        (
            vec![In::ReferResponse(403), In::Notify(200)],
            vec![Some(Fail(Refused(403))), None],
            Fail(Refused(403)),
        ),
        (
            vec![In::ReferTimeout, In::Abandon],
            vec![Some(Fail(ReferTimeout)), None],
            Fail(ReferTimeout),
        ),
        (
            vec![
                In::ReferResponse(202),
                In::Notify(100),
                In::Notify(486),
                In::Notify(200),
            ],
            vec![None, Some(Notify(100)), Some(Fail(CallFailed(486))), None],
            Fail(CallFailed(486)),
        ),
        (
            vec![In::Notify(100), In::Terminated],
            vec![Some(Notify(100)), Some(Fail(SubscriptionEnded))],
            Fail(SubscriptionEnded),
        ),
        (
            vec![
                In::Notify(200),
                In::Terminated,
                In::Abandon,
                In::ReferResponse(500),
            ],
            vec![Some(Ok), None, None, None],
            Ok,
        ),
        (
            vec![
                In::ReferResponse(100),
                In::Notify(99),
                In::Notify(700),
                In::Abandon,
            ],
            vec![None, None, None, Some(Fail(Abandoned))],
            Fail(Abandoned),
        ),
    ];
    for (inputs, events, last) in table {
        let mut state = Start;
        let got: Vec<_> = inputs.iter().map(|i| feed(&mut state, *i)).collect();
        assert_eq!(got, events, "{inputs:?}");
        assert_eq!(state, last, "{inputs:?}");
        assert!(state.is_final());
    }
}

#[test]
fn event_names_and_failure_texts() {
    let names: Vec<_> = [
        TransferState::Start,
        TransferState::Notify(180),
        TransferState::Ok,
        TransferState::Fail(Abandoned),
    ]
    .iter()
    .map(TransferState::as_str)
    .collect();
    assert_eq!(names, ["start", "notify", "ok", "fail"]);
    let texts: Vec<_> = [
        Refused(405),
        ReferTimeout,
        CallFailed(486),
        SubscriptionEnded,
        Abandoned,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(
        texts,
        [
            "refer refused (405)",
            "refer timeout",
            "call failed (486)",
            "subscription ended",
            "abandoned"
        ]
    );
}
