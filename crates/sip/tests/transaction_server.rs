//! Server transactions (RFC 3261 §17.2, RFC 6026 §7.1) driven alone with time stepped by hand:
//! each scenario has the TU respond and the peer retransmit or ACK at fixed offsets, fires every
//! timer the machine asks for, and compares the whole trace (offset in ms, what was transmitted,
//! state changes) with the RFC's.
//!
//! Timer values are `TimerConfig::default()`: T1 = 500 ms, T2 = 4 s, T4 = 5 s, so 64·T1 = 32 s.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::time::{Duration, Instant};

use bytes::Bytes;
use dialogd_sip::builder::ack_for_non_2xx;
use dialogd_sip::transaction::{
    InviteServerTransaction, NonInviteServerTransaction, TimerConfig, TransactionOutput,
};
use dialogd_sip::{HeaderName, SipMessage, build_response};

const INVITE: &str = "INVITE sip:bob@biloxi.example SIP/2.0\r\n\
Via: SIP/2.0/UDP client.atlanta.example:5060;branch=z9hG4bK74bf9\r\n\
Max-Forwards: 70\r\n\
From: Alice <sip:alice@atlanta.example>;tag=9fxced76sl\r\n\
To: Bob <sip:bob@biloxi.example>\r\n\
Call-ID: 3848276298220188511@atlanta.example\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:alice@client.atlanta.example>\r\n\
Content-Length: 0\r\n\r\n";

const BYE: &str = "BYE sip:alice@client.atlanta.example SIP/2.0\r\n\
Via: SIP/2.0/UDP bob.biloxi.example:5060;branch=z9hG4bKnashds7\r\n\
Max-Forwards: 70\r\n\
From: Bob <sip:bob@biloxi.example>;tag=8321234356\r\n\
To: Alice <sip:alice@atlanta.example>;tag=9fxced76sl\r\n\
Call-ID: 3848276298220188511@atlanta.example\r\n\
CSeq: 1 BYE\r\n\
Content-Length: 0\r\n\r\n";

const TO_TAG: &str = "8321234356";

fn parse(text: &str) -> SipMessage {
    SipMessage::parse(Bytes::from(text.to_owned())).unwrap()
}

fn reason(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        200 => "OK",
        481 => "Call/Transaction Does Not Exist",
        486 => "Busy Here",
        _ => "Whatever",
    }
}

/// The TU's response to `req` (To tag added above 100).
fn response_bytes(req: &SipMessage, code: u16) -> Bytes {
    build_response(req, code, reason(code), Some(TO_TAG), &[])
}

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

/// What the tests need from both server machines.
trait ServerMachine {
    fn request(&mut self, now: Instant, msg: &SipMessage);
    fn respond(&mut self, now: Instant, code: u16, bytes: Bytes);
    fn trying(&mut self, now: Instant, req: &SipMessage);
    fn timeout(&mut self, now: Instant);
    fn output(&mut self) -> Option<TransactionOutput>;
    fn next_timeout(&self) -> Option<Instant>;
    fn state_name(&self) -> String;
}

impl ServerMachine for InviteServerTransaction {
    fn request(&mut self, now: Instant, msg: &SipMessage) {
        self.handle_request(now, msg);
    }
    fn respond(&mut self, now: Instant, code: u16, bytes: Bytes) {
        self.send_response(now, code, bytes);
    }
    fn trying(&mut self, now: Instant, req: &SipMessage) {
        self.send_trying(now, req);
    }
    fn timeout(&mut self, now: Instant) {
        self.handle_timeout(now);
    }
    fn output(&mut self) -> Option<TransactionOutput> {
        self.poll_output()
    }
    fn next_timeout(&self) -> Option<Instant> {
        self.poll_timeout()
    }
    fn state_name(&self) -> String {
        format!("{:?}", self.state())
    }
}

impl ServerMachine for NonInviteServerTransaction {
    fn request(&mut self, now: Instant, msg: &SipMessage) {
        self.handle_request(now, msg);
    }
    fn respond(&mut self, now: Instant, code: u16, bytes: Bytes) {
        self.send_response(now, code, bytes);
    }
    fn trying(&mut self, _now: Instant, _req: &SipMessage) {
        panic!("a non-INVITE server transaction sends no 100 on its own");
    }
    fn timeout(&mut self, now: Instant) {
        self.handle_timeout(now);
    }
    fn output(&mut self) -> Option<TransactionOutput> {
        self.poll_output()
    }
    fn next_timeout(&self) -> Option<Instant> {
        self.poll_timeout()
    }
    fn state_name(&self) -> String {
        format!("{:?}", self.state())
    }
}

/// One run: the trace, the bytes transmitted, and the timer still armed at the horizon.
struct Run {
    trace: Vec<(u64, String)>,
    sent: Vec<Bytes>,
    next_timer_ms: Option<u64>,
}

fn ms(start: Instant, t: Instant) -> u64 {
    u64::try_from((t - start).as_millis()).unwrap()
}

/// Drains every output at `now` into the trace, then notes a state change.
fn drain(
    m: &mut dyn ServerMachine,
    start: Instant,
    now: Instant,
    state: &mut String,
    run: &mut Run,
) {
    let at = ms(start, now);
    while let Some(out) = m.output() {
        let line = match out {
            TransactionOutput::Transmit(bytes) => {
                let resp = SipMessage::parse(bytes.clone()).expect("transmitted bytes must index");
                run.sent.push(bytes);
                format!(
                    "tx {}",
                    resp.status().expect("a server transmits responses")
                )
            }
            TransactionOutput::Deliver(msg) => format!(
                "deliver {}",
                msg.method()
                    .expect("a server transaction delivers requests")
            ),
            TransactionOutput::TimedOut => "timed out".to_owned(),
            TransactionOutput::Terminated => "terminated".to_owned(),
        };
        run.trace.push((at, line));
    }
    let now_state = m.state_name();
    if now_state != *state {
        run.trace.push((at, format!("state {now_state}")));
        *state = now_state;
    }
}

/// Applies `inputs` (offset ms, input) to a server transaction for `request` and fires every
/// timer due up to `horizon_ms`; a timer due at the same instant as an input fires after it.
fn run(
    m: &mut dyn ServerMachine,
    request: &SipMessage,
    start: Instant,
    inputs: &[(u64, In)],
    horizon_ms: u64,
) -> Run {
    let horizon = start + Duration::from_millis(horizon_ms);
    let ack = SipMessage::parse(ack_for_non_2xx(
        request,
        &SipMessage::parse(response_bytes(request, 486)).unwrap(),
    ))
    .unwrap();
    let mut run = Run {
        trace: Vec::new(),
        sent: Vec::new(),
        next_timer_ms: None,
    };
    let mut state = m.state_name();
    drain(m, start, start, &mut state, &mut run);
    let mut inputs = inputs.iter().peekable();
    for _ in 0..10_000 {
        let next_input = inputs
            .peek()
            .map(|(at, _)| start + Duration::from_millis(*at));
        let next_timer = m.next_timeout().filter(|t| *t <= horizon);
        match (next_timer, next_input) {
            (Some(t), i) if i.is_none_or(|i| t < i) => {
                m.timeout(t);
                drain(m, start, t, &mut state, &mut run);
            }
            (_, Some(i)) => {
                let (_, input) = inputs.next().unwrap();
                match *input {
                    In::Retransmit => m.request(i, request),
                    In::Ack => m.request(i, &ack),
                    In::Respond(code) => m.respond(i, code, response_bytes(request, code)),
                    In::Trying => m.trying(i, request),
                }
                drain(m, start, i, &mut state, &mut run);
            }
            _ => {
                run.next_timer_ms = m.next_timeout().map(|t| ms(start, t));
                return run;
            }
        }
    }
    panic!("the machine keeps asking for timers that do not advance");
}

struct Scenario {
    name: &'static str,
    reliable: bool,
    inputs: &'static [(u64, In)],
    horizon_ms: u64,
    expected: &'static [(u64, &'static str)],
    /// The timer still armed at the horizon (`None`: nothing left to fire).
    next_timer_ms: Option<u64>,
}

fn check(
    scenarios: &[Scenario],
    request: &str,
    new: fn(Instant, &SipMessage, bool) -> Box<dyn ServerMachine>,
) {
    for s in scenarios {
        let req = parse(request);
        let start = Instant::now();
        let mut m = new(start, &req, s.reliable);
        let r = run(m.as_mut(), &req, start, s.inputs, s.horizon_ms);
        let expected: Vec<(u64, String)> = s
            .expected
            .iter()
            .map(|(at, line)| (*at, (*line).to_owned()))
            .collect();
        assert_eq!(r.trace, expected, "{}", s.name);
        assert_eq!(
            r.next_timer_ms, s.next_timer_ms,
            "{}: timer left at the horizon",
            s.name
        );
        // Whatever is (re)transmitted is one of the TU's responses, byte for byte.
        for bytes in &r.sent {
            let code = SipMessage::parse(bytes.clone()).unwrap().status().unwrap();
            assert_eq!(bytes, &response_bytes(&req, code), "{}", s.name);
        }
    }
}

fn new_ist(now: Instant, req: &SipMessage, reliable: bool) -> Box<dyn ServerMachine> {
    Box::new(InviteServerTransaction::new(
        now,
        req,
        reliable,
        TimerConfig::default(),
    ))
}

fn new_nist(now: Instant, req: &SipMessage, reliable: bool) -> Box<dyn ServerMachine> {
    Box::new(NonInviteServerTransaction::new(
        now,
        req,
        reliable,
        TimerConfig::default(),
    ))
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
    check(&scenarios, INVITE, new_ist);
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
    check(&scenarios, BYE, new_nist);
}
