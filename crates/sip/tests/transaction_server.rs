//! Server transactions (RFC 3261 §17.2, RFC 6026 §7.1) driven alone with time stepped by hand:
//! each scenario has the TU respond and the peer retransmit or ACK at fixed offsets, fires every
//! timer the machine asks for, and compares the whole trace (offset in ms, what was transmitted,
//! state changes) with the RFC's.
//!
//! Timer values are `TimerConfig::default()`: T1 = 500 ms, T2 = 4 s, T4 = 5 s, so 64·T1 = 32 s.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::time::Instant;

use common::{BYE, INVITE, Scenario, ServerMachine, parse, response, response_bytes, run, server};
use dialogd_sip::builder::ack_for_non_2xx;
use dialogd_sip::transaction::{InviteServerTransaction, TimerConfig, TransactionOutput};
use dialogd_sip::{HeaderName, SipMessage};

/// What happens to the server transaction at one offset.
#[derive(Debug, Clone, Copy)]
enum In {
    /// The peer retransmits the request.
    Retransmit,
    /// The peer ACKs a non-2xx final response (hop-by-hop ACK, same branch).
    Ack,
    /// The TU sends a response through `send_response`.
    Respond(u16),
    /// The TU asks the INVITE server transaction for a 100 Trying (`send_trying`).
    Trying,
}

/// Each scenario's inputs applied to a server transaction for `request` made by `new`, with
/// the trace and leftover timer asserted, and every (re)transmission checked to be one of the
/// TU's responses.
fn check(
    scenarios: &[Scenario<In>],
    request: &str,
    new: fn(Instant, &SipMessage, bool) -> Box<dyn ServerMachine>,
) {
    for s in scenarios {
        let req = parse(request);
        let ack = SipMessage::parse(ack_for_non_2xx(&req, &response(&req, 486))).unwrap();
        let start = Instant::now();
        let mut m = new(start, &req, s.reliable);
        let r = run(
            m.as_mut(),
            start,
            s.inputs,
            s.horizon_ms,
            |m, now, input| match *input {
                In::Retransmit => m.request(now, &req),
                In::Ack => m.request(now, &ack),
                In::Respond(code) => m.respond(now, code, response_bytes(&req, code)),
                In::Trying => m.trying(now, &req),
            },
        );
        s.assert_run(&r);
        // Whatever is (re)transmitted is one of the TU's responses, byte for byte.
        for bytes in &r.sent {
            let code = SipMessage::parse(bytes.clone()).unwrap().status().unwrap();
            assert_eq!(bytes, &response_bytes(&req, code), "{}", s.name);
        }
    }
}

#[test]
fn invite_server_follows_rfc3261_and_rfc6026_timers() {
    use In::*;
    let scenarios = [
        Scenario {
            name: "udp, no ACK: 100 sent, answers retransmissions, 486 retransmitted by G \
                   (T1 doubling capped at T2) until H times out",
            reliable: false,
            inputs: &[(0, Respond(100)), (500, Retransmit), (1000, Respond(486))],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx 100"),
                (500, "tx 100"),
                (1000, "tx 486"),
                (1000, "state Completed"),
                (1500, "tx 486"),
                (2500, "tx 486"),
                (4500, "tx 486"),
                (8500, "tx 486"),
                (12500, "tx 486"),
                (16500, "tx 486"),
                (20500, "tx 486"),
                (24500, "tx 486"),
                (28500, "tx 486"),
                (32500, "tx 486"),
                (33000, "timed out"),
                (33000, "terminated"),
                (33000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp, ACK: retransmitted INVITE answered with 486, ACK stops G and H, \
                   Confirmed absorbs the rest, I = T4",
            reliable: false,
            inputs: &[
                (0, Respond(100)),
                (1000, Respond(486)),
                (1200, Retransmit),
                (3000, Ack),
                (3500, Retransmit),
                (4000, Ack),
                (4100, Respond(500)),
            ],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx 100"),
                (1000, "tx 486"),
                (1000, "state Completed"),
                (1200, "tx 486"),
                (1500, "tx 486"),
                (2500, "tx 486"),
                (3000, "state Confirmed"),
                (8000, "terminated"),
                (8000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "tcp, ACK: no G, I = 0 ends it at the ACK",
            reliable: true,
            inputs: &[(0, Respond(100)), (1000, Respond(486)), (2000, Ack)],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx 100"),
                (1000, "tx 486"),
                (1000, "state Completed"),
                (2000, "state Confirmed"),
                (2000, "terminated"),
                (2000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "tcp, no ACK: no G, H still times out",
            reliable: true,
            inputs: &[(1000, Respond(486))],
            horizon_ms: 60_000,
            expected: &[
                (1000, "tx 486"),
                (1000, "state Completed"),
                (33000, "timed out"),
                (33000, "terminated"),
                (33000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp, 2xx: Accepted absorbs INVITE retransmissions, passes the TU's 2xx \
                   retransmissions, ignores a late 486 and a late 100, passes a matching ACK up \
                   (RFC 6026 §7.1), L ends it",
            reliable: false,
            inputs: &[
                (0, Respond(100)),
                (1000, Respond(200)),
                (1500, Retransmit),
                (2000, Respond(200)),
                (2100, Respond(486)),
                (2200, Trying),
                (6000, Respond(200)),
                (6500, Ack),
            ],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx 100"),
                (1000, "tx 200"),
                (1000, "state Accepted"),
                (2000, "tx 200"),
                (6000, "tx 200"),
                (6500, "deliver ACK"),
                (33000, "terminated"),
                (33000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "tcp, 2xx: L runs over tcp too",
            reliable: true,
            inputs: &[(1000, Respond(200))],
            horizon_ms: 60_000,
            expected: &[
                (1000, "tx 200"),
                (1000, "state Accepted"),
                (33000, "terminated"),
                (33000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp, before any response: retransmissions absorbed, no timer; the last 1xx is \
                   the one sent again",
            reliable: false,
            inputs: &[
                (300, Retransmit),
                (400, Respond(100)),
                (600, Respond(180)),
                (800, Retransmit),
            ],
            horizon_ms: 60_000,
            expected: &[(400, "tx 100"), (600, "tx 180"), (800, "tx 180")],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp, the TU asks for a 100: sent once, answers retransmissions, no second 100 \
                   after a 180, none after the final response",
            reliable: false,
            inputs: &[
                (100, Retransmit),
                (150, Trying),
                (160, Trying),
                (400, Retransmit),
                (600, Respond(180)),
                (700, Trying),
                (800, Retransmit),
                (1000, Respond(486)),
                (1100, Trying),
                (1200, Ack),
            ],
            horizon_ms: 60_000,
            expected: &[
                (150, "tx 100"),
                (400, "tx 100"),
                (600, "tx 180"),
                (800, "tx 180"),
                (1000, "tx 486"),
                (1000, "state Completed"),
                (1200, "state Confirmed"),
                (6200, "terminated"),
                (6200, "state Terminated"),
            ],
            next_timer_ms: None,
        },
    ];
    check(&scenarios, INVITE, server);
}

fn new_ist_with_trying(now: Instant, req: &SipMessage, reliable: bool) -> Box<dyn ServerMachine> {
    Box::new(InviteServerTransaction::with_trying(
        now,
        req,
        reliable,
        TimerConfig::default(),
    ))
}

#[test]
fn invite_server_with_trying_sends_100_at_creation() {
    use In::*;
    let scenarios = [
        Scenario {
            name: "udp: 100 at 0 with no input, retransmission answered with it, asking again \
                   sends nothing",
            reliable: false,
            inputs: &[(300, Retransmit), (400, Trying), (2000, Respond(200))],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx 100"),
                (300, "tx 100"),
                (2000, "tx 200"),
                (2000, "state Accepted"),
                (34000, "terminated"),
                (34000, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "tcp: 100 at 0 as well (a proxy answers at once over any transport)",
            reliable: true,
            inputs: &[(1000, Respond(486)), (1100, Ack)],
            horizon_ms: 60_000,
            expected: &[
                (0, "tx 100"),
                (1000, "tx 486"),
                (1000, "state Completed"),
                (1100, "state Confirmed"),
                (1100, "terminated"),
                (1100, "state Terminated"),
            ],
            next_timer_ms: None,
        },
    ];
    check(&scenarios, INVITE, new_ist_with_trying);
}

/// The 100 Trying copies Via (all of them), From, To (no tag), Call-ID, CSeq and Timestamp
/// (RFC 3261 §8.2.6.1).
#[test]
fn trying_copies_the_request_fields_and_timestamp() {
    let text = INVITE.replace(
        "Via: SIP/2.0/UDP client.atlanta.example:5060;branch=z9hG4bK74bf9\r\n",
        "Via: SIP/2.0/UDP client.atlanta.example:5060;branch=z9hG4bK74bf9\r\n\
         Via: SIP/2.0/TCP first.example;branch=z9hG4bK1\r\nTimestamp: 54.2 0.5\r\n",
    );
    let req = parse(&text);
    let mut t =
        InviteServerTransaction::with_trying(Instant::now(), &req, false, TimerConfig::default());
    let Some(TransactionOutput::Transmit(bytes)) = t.poll_output() else {
        panic!("with_trying transmits first");
    };
    assert!(t.poll_output().is_none());
    let trying = SipMessage::parse(bytes).unwrap();
    assert_eq!(trying.status(), Some(100));
    assert_eq!(trying.reason(), Some("Trying"));
    assert_eq!(trying.list(&HeaderName::Via).len(), 2);
    assert_eq!(trying.top_via(), req.top_via());
    assert_eq!(trying.call_id(), req.call_id());
    assert_eq!(trying.cseq(), req.cseq());
    assert_eq!(trying.from_tag(), req.from_tag());
    assert_eq!(trying.to_tag(), None);
    assert_eq!(
        trying.header(&HeaderName::parse("Timestamp")).as_deref(),
        Some("54.2 0.5")
    );
}

#[test]
fn non_invite_server_follows_rfc3261_timers() {
    use In::*;
    let scenarios = [
        Scenario {
            name: "udp: retransmission absorbed in Trying, answered with the last response in \
                   Proceeding and Completed, J = 64·T1",
            reliable: false,
            inputs: &[
                (200, Retransmit),
                (300, Respond(100)),
                (400, Retransmit),
                (500, Respond(200)),
                (1000, Retransmit),
                (1100, Respond(500)),
                (20_000, Retransmit),
            ],
            horizon_ms: 60_000,
            expected: &[
                (300, "tx 100"),
                (300, "state Proceeding"),
                (400, "tx 100"),
                (500, "tx 200"),
                (500, "state Completed"),
                (1000, "tx 200"),
                (20000, "tx 200"),
                (32500, "terminated"),
                (32500, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp: final response straight from Trying",
            reliable: false,
            inputs: &[(50, Retransmit), (100, Respond(481)), (5000, Retransmit)],
            horizon_ms: 60_000,
            expected: &[
                (100, "tx 481"),
                (100, "state Completed"),
                (5000, "tx 481"),
                (32100, "terminated"),
                (32100, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "tcp: J = 0 ends it at the final response",
            reliable: true,
            inputs: &[(100, Retransmit), (200, Respond(200))],
            horizon_ms: 60_000,
            expected: &[
                (200, "tx 200"),
                (200, "state Completed"),
                (200, "terminated"),
                (200, "state Terminated"),
            ],
            next_timer_ms: None,
        },
        Scenario {
            name: "udp: the TU never answers, nothing fires",
            reliable: false,
            inputs: &[(100, Retransmit), (600, Retransmit)],
            horizon_ms: 60_000,
            expected: &[],
            next_timer_ms: None,
        },
    ];
    check(&scenarios, BYE, server);
}
