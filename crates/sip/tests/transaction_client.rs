//! Client transactions (RFC 3261 §17.1, RFC 6026 §7.2) driven alone with time stepped by hand:
//! each scenario feeds responses at fixed offsets, fires every timer the machine asks for, and
//! compares the whole trace (offset in ms, what came out, state changes) with the RFC's.
//!
//! Timer values are `TimerConfig::default()`: T1 = 500 ms, T2 = 4 s, T4 = 5 s, so 64·T1 = 32 s.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::time::{Duration, Instant};

use common::{BYE, FORWARDED_INVITE, INVITE, Scenario, TO_TAG, client, parse, response, run};
use dialogd_sip::transaction::{InviteClientTransaction, TimerConfig, TransactionOutput};
use dialogd_sip::values::NameAddr;
use dialogd_sip::{HeaderName, Method, SipMessage};

/// The same kind of INVITE written with compact header names (RFC 3261 §7.3.3).
const COMPACT_INVITE: &str = "INVITE sip:bob@biloxi.example SIP/2.0\r\n\
v: SIP/2.0/UDP client.atlanta.example:5060;branch=z9hG4bKc0mp4c7\r\n\
Max-Forwards: 70\r\n\
f: <sip:alice@atlanta.example>;tag=c1\r\n\
t: <sip:bob@biloxi.example>\r\n\
i: compact-1@atlanta.example\r\n\
CSeq: 7 INVITE\r\n\
l: 0\r\n\r\n";

/// Each scenario's responses (offset ms, status code) to `request`, fed to its client
/// transaction, with the trace and leftover timer asserted.
fn check(scenarios: &[Scenario<u16>], request: &str) {
    for s in scenarios {
        let req = parse(request);
        let start = Instant::now();
        let mut m = client(start, &req, s.reliable);
        let r = run(m.as_mut(), start, s.inputs, s.horizon_ms, |m, now, code| {
            m.feed(now, &response(&req, *code));
        });
        s.assert_run(&r);
    }
}

const INVITE_RETRANSMITS_OVER_UDP: &[(u64, &str)] = &[
    (0, "tx INVITE"),
    (500, "tx INVITE"),
    (1500, "tx INVITE"),
    (3500, "tx INVITE"),
    (7500, "tx INVITE"),
    (15500, "tx INVITE"),
    (31500, "tx INVITE"),
    (32000, "timed out"),
    (32000, "terminated"),
    (32000, "state Terminated"),
];

#[test]
fn invite_client_follows_rfc3261_and_rfc6026_timers() {
    let scenarios = [
        Scenario {
            name: "udp, no answer: timer A doubles from T1 without cap until B times out at 64·T1",
            reliable: false,
            inputs: &[],
            horizon_ms: 60_000,
            expected: INVITE_RETRANSMITS_OVER_UDP,
            next_timer_ms: None,
        },
        Scenario {
            name: "tcp, no answer: nothing retransmitted, B still times out",
            reliable: true,
            inputs: &[],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx INVITE"),
                (32000, "timed out"),
                (32000, "terminated"),
                (32000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp, 180: delivered, Proceeding, A stops and B is cancelled (none armed)",
            reliable: false,
            inputs: &[(1000, 180), (2000, 180)],
            horizon_ms: 20_000,
            expected: &[
                (0, "tx INVITE"),
                (500, "tx INVITE"),
                (1000, "deliver 180"),
                (1000, "state Proceeding"),
                (2000, "deliver 180"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp, 180 then 404 long after B would have fired: ACKed and Completed",
            reliable: false,
            inputs: &[(100, 180), (40_000, 404)],
            horizon_ms: 80_000,
            expected: &[
                (0, "tx INVITE"),
                (100, "deliver 180"),
                (100, "state Proceeding"),
                (40000, "tx ACK"),
                (40000, "deliver 404"),
                (40000, "state Completed"),
                (72000, "terminated"),
                (72000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp, 200: Accepted, retransmitted 2xx delivered again, late 486 dropped, M ends",
            reliable: false,
            inputs: &[(700, 200), (1700, 200), (2000, 486)],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx INVITE"),
                (500, "tx INVITE"),
                (700, "deliver 200"),
                (700, "state Accepted"),
                (1700, "deliver 200"),
                (32700, "terminated"),
                (32700, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "tcp, 180 then 200: Proceeding then Accepted, M still runs over tcp",
            reliable: true,
            inputs: &[(1000, 180), (3000, 200)],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx INVITE"),
                (1000, "deliver 180"),
                (1000, "state Proceeding"),
                (3000, "deliver 200"),
                (3000, "state Accepted"),
                (35000, "terminated"),
                (35000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp, 486: ACK then delivered, Completed, retransmitted 486 ACKed again, D = 32 s",
            reliable: false,
            inputs: &[(700, 486), (1700, 486), (20_000, 200)],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx INVITE"),
                (500, "tx INVITE"),
                (700, "tx ACK"),
                (700, "deliver 486"),
                (700, "state Completed"),
                (1700, "tx ACK"),
                (32700, "terminated"),
                (32700, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "tcp, 486: ACK, delivered, D = 0 ends it at once",
            reliable: true,
            inputs: &[(700, 486)],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx INVITE"),
                (700, "tx ACK"),
                (700, "deliver 486"),
                (700, "state Completed"),
                (700, "terminated"),
                (700, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp, horizon before B: the next A is still armed at 8·T1 doubling",
            reliable: false,
            inputs: &[],
            horizon_ms: 5_000,
            expected: &[
                (0, "tx INVITE"),
                (500, "tx INVITE"),
                (1500, "tx INVITE"),
                (3500, "tx INVITE"),
            ],
            next_timer_ms: Some(7500),
        },
    ];
    check(&scenarios, INVITE);
}

#[test]
fn non_invite_client_follows_rfc3261_timers() {
    let scenarios = [
        Scenario {
            name: "udp, no answer: E doubles from T1 capped at T2 until F times out",
            reliable: false,
            inputs: &[],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx BYE"),
                (500, "tx BYE"),
                (1500, "tx BYE"),
                (3500, "tx BYE"),
                (7500, "tx BYE"),
                (11500, "tx BYE"),
                (15500, "tx BYE"),
                (19500, "tx BYE"),
                (23500, "tx BYE"),
                (27500, "tx BYE"),
                (31500, "tx BYE"),
                (32000, "timed out"),
                (32000, "terminated"),
                (32000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "tcp, no answer: nothing retransmitted, F times out",
            reliable: true,
            inputs: &[],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx BYE"),
                (32000, "timed out"),
                (32000, "terminated"),
                (32000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp, 100 before the first E: Proceeding retransmits every T2 until F",
            reliable: false,
            inputs: &[(200, 100)],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx BYE"),
                (200, "deliver 100"),
                (200, "state Proceeding"),
                (500, "tx BYE"),
                (4500, "tx BYE"),
                (8500, "tx BYE"),
                (12500, "tx BYE"),
                (16500, "tx BYE"),
                (20500, "tx BYE"),
                (24500, "tx BYE"),
                (28500, "tx BYE"),
                (32000, "timed out"),
                (32000, "terminated"),
                (32000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp, 180 then 481: the E armed in Trying fires, then T2; final completes",
            reliable: false,
            inputs: &[(600, 180), (5000, 481)],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx BYE"),
                (500, "tx BYE"),
                (600, "deliver 180"),
                (600, "state Proceeding"),
                (1500, "tx BYE"),
                (5000, "deliver 481"),
                (5000, "state Completed"),
                (10000, "terminated"),
                (10000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp, 200: delivered, Completed, retransmitted 200 absorbed, K = T4",
            reliable: false,
            inputs: &[(1000, 200), (2000, 200)],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx BYE"),
                (500, "tx BYE"),
                (1000, "deliver 200"),
                (1000, "state Completed"),
                (6000, "terminated"),
                (6000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "tcp, 200: delivered, K = 0 ends it at once",
            reliable: true,
            inputs: &[(1000, 200)],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx BYE"),
                (1000, "deliver 200"),
                (1000, "state Completed"),
                (1000, "terminated"),
                (1000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
    ];
    check(&scenarios, BYE);
}

/// Every transmission of the request is the request's bytes, unchanged.
#[test]
fn retransmissions_are_the_request_bytes() {
    for request in [INVITE, BYE] {
        let req = parse(request);
        let start = Instant::now();
        let mut m = client(start, &req, false);
        let r = run(
            m.as_mut(),
            start,
            &[] as &[(u64, ())],
            10_000,
            |_, _, ()| {},
        );
        assert!(r.sent.len() > 3, "{request}");
        for bytes in &r.sent {
            assert_eq!(bytes, &req.wire_bytes(), "{request}");
        }
    }
}

/// RFC 3261 §17.1.1.3: the ACK of a non-2xx final response has the INVITE's request-URI,
/// Call-ID, From, CSeq number and Route, its top Via only, and the response's To (with tag).
#[test]
fn ack_of_a_non_2xx_response_is_built_from_the_invite_and_the_response() {
    let cases = [
        ("udp, plain INVITE", INVITE, false, 486),
        ("tcp, plain INVITE", INVITE, true, 404),
        (
            "udp, forwarded INVITE with Via lines below ours and a route set",
            FORWARDED_INVITE,
            false,
            486,
        ),
        ("tcp, forwarded INVITE", FORWARDED_INVITE, true, 603),
        (
            "udp, INVITE with compact header names",
            COMPACT_INVITE,
            false,
            480,
        ),
    ];
    for (name, text, reliable, code) in cases {
        let invite = parse(text);
        let resp = response(&invite, code);
        let start = Instant::now();
        let mut ict =
            InviteClientTransaction::new(start, &invite, reliable, TimerConfig::default());
        assert!(
            matches!(ict.poll_output(), Some(TransactionOutput::Transmit(_))),
            "{name}"
        );
        let at = start + Duration::from_millis(100);
        ict.handle_response(at, &resp);
        let Some(TransactionOutput::Transmit(ack_bytes)) = ict.poll_output() else {
            panic!("{name}: the ACK comes first");
        };
        let Some(TransactionOutput::Deliver(delivered)) = ict.poll_output() else {
            panic!("{name}: then the response is delivered");
        };
        assert_eq!(delivered.status(), Some(code), "{name}");

        let ack = SipMessage::parse(ack_bytes.clone()).unwrap();
        assert_eq!(ack.method(), Some(&Method::Ack), "{name}");
        assert_eq!(ack.request_uri(), invite.request_uri(), "{name}");
        assert_eq!(ack.cseq().number, invite.cseq().number, "{name}");
        assert_eq!(ack.cseq().method, Method::Ack, "{name}");
        assert_eq!(ack.call_id(), invite.call_id(), "{name}");
        assert_eq!(ack.from_tag(), invite.from_tag(), "{name}");
        assert_eq!(ack.to_tag().as_deref(), Some(TO_TAG), "{name}");
        assert_eq!(ack.to_tag(), resp.to_tag(), "{name}");
        assert_eq!(ack.top_via(), invite.top_via(), "{name}");
        assert_eq!(ack.top_via().branch(), invite.top_via().branch(), "{name}");
        assert_eq!(ack.list(&HeaderName::Via).len(), 1, "{name}: only our Via");
        let routes = |m: &SipMessage| -> Vec<String> {
            m.list(&HeaderName::Route)
                .iter()
                .map(|e| m.element(e).into_owned())
                .collect()
        };
        assert_eq!(routes(&ack), routes(&invite), "{name}");
        let to = NameAddr::parse(&ack.header(&HeaderName::To).unwrap()).unwrap();
        assert_eq!(to.uri, invite.to().uri, "{name}");

        // A retransmitted final response gets the very same ACK and is not delivered again.
        ict.handle_response(at + Duration::from_millis(500), &resp);
        let again: Vec<_> = std::iter::from_fn(|| ict.poll_output()).collect();
        assert!(
            matches!(again.as_slice(), [TransactionOutput::Transmit(b)] if *b == ack_bytes),
            "{name}: {again:?}"
        );
    }
}
