//! A client transaction and a server transaction wired together in memory: every byte one
//! transmits is indexed and handed to the other after 10 ms (unless the scenario loses it), the
//! server's TU answers with `build_response` on a schedule, messages find their transaction by
//! key, and time is stepped by hand. Each scenario's whole trace is compared with the RFC 3261 §17
//! / RFC 6026 exchange, lost messages included. The key functions are checked on their own too.
//!
//! Timer values are `TimerConfig::default()`: T1 = 500 ms, T2 = 4 s, T4 = 5 s, so 64·T1 = 32 s.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use dialogd_sip::builder::{ack_for_non_2xx, cancel_for};
use dialogd_sip::transaction::{
    InviteClientTransaction, InviteServerTransaction, NonInviteClientTransaction,
    NonInviteServerTransaction, TimerConfig, TransactionKey, TransactionOutput,
    cancelled_invite_key, client_key, client_request_key, server_key,
};
use dialogd_sip::{HeaderName, Method, SipMessage, build_response};

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

/// An INVITE a proxy forwards: its Via on top of upstream Via lines.
const FORWARDED_INVITE: &str = "INVITE sip:bob@192.0.2.4 SIP/2.0\r\n\
Via: SIP/2.0/UDP proxy.example:5060;branch=z9hG4bKproxy1\r\n\
Via: SIP/2.0/UDP edge.example;branch=z9hG4bKedge1, SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKua\r\n\
Max-Forwards: 69\r\n\
Route: <sip:next.example;lr>\r\n\
From: <sip:alice@atlanta.example>;tag=aaa\r\n\
To: <sip:bob@biloxi.example>\r\n\
Call-ID: fwd-1@atlanta.example\r\n\
CSeq: 314159 INVITE\r\n\
Content-Length: 0\r\n\r\n";

const TO_TAG: &str = "8321234356";
const LATENCY: Duration = Duration::from_millis(10);

fn parse(text: &str) -> SipMessage {
    SipMessage::parse(Bytes::from(text.to_owned())).unwrap()
}

fn reason(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        200 => "OK",
        486 => "Busy Here",
        _ => "Whatever",
    }
}

fn response(req: &SipMessage, code: u16) -> Bytes {
    build_response(req, code, reason(code), Some(TO_TAG), &[])
}

/// `text` with the first occurrence of each `from` replaced by its `to`.
fn with(text: &str, edits: &[(&str, &str)]) -> SipMessage {
    let mut text = text.to_owned();
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    parse(&text)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

enum Client {
    Invite(InviteClientTransaction),
    NonInvite(NonInviteClientTransaction),
}

enum Server {
    Invite(InviteServerTransaction),
    NonInvite(NonInviteServerTransaction),
}

impl Client {
    fn handle_response(&mut self, now: Instant, msg: &SipMessage) {
        match self {
            Client::Invite(t) => t.handle_response(now, msg),
            Client::NonInvite(t) => t.handle_response(now, msg),
        }
    }
    fn handle_timeout(&mut self, now: Instant) {
        match self {
            Client::Invite(t) => t.handle_timeout(now),
            Client::NonInvite(t) => t.handle_timeout(now),
        }
    }
    fn poll_output(&mut self) -> Option<TransactionOutput> {
        match self {
            Client::Invite(t) => t.poll_output(),
            Client::NonInvite(t) => t.poll_output(),
        }
    }
    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Client::Invite(t) => t.poll_timeout(),
            Client::NonInvite(t) => t.poll_timeout(),
        }
    }
    fn state_name(&self) -> String {
        match self {
            Client::Invite(t) => format!("{:?}", t.state()),
            Client::NonInvite(t) => format!("{:?}", t.state()),
        }
    }
}

impl Server {
    fn handle_request(&mut self, now: Instant, msg: &SipMessage) {
        match self {
            Server::Invite(t) => t.handle_request(now, msg),
            Server::NonInvite(t) => t.handle_request(now, msg),
        }
    }
    fn send_response(&mut self, now: Instant, code: u16, bytes: Bytes) {
        match self {
            Server::Invite(t) => t.send_response(now, code, bytes),
            Server::NonInvite(t) => t.send_response(now, code, bytes),
        }
    }
    fn handle_timeout(&mut self, now: Instant) {
        match self {
            Server::Invite(t) => t.handle_timeout(now),
            Server::NonInvite(t) => t.handle_timeout(now),
        }
    }
    fn poll_output(&mut self) -> Option<TransactionOutput> {
        match self {
            Server::Invite(t) => t.poll_output(),
            Server::NonInvite(t) => t.poll_output(),
        }
    }
    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Server::Invite(t) => t.poll_timeout(),
            Server::NonInvite(t) => t.poll_timeout(),
        }
    }
    fn state_name(&self) -> String {
        match self {
            Server::Invite(t) => format!("{:?}", t.state()),
            Server::NonInvite(t) => format!("{:?}", t.state()),
        }
    }
}

/// The server side: its transaction, filed under the key of the request that created it.
struct ServerSide {
    key: TransactionKey,
    txn: Server,
    request: SipMessage,
    created: Instant,
    tu_done: usize,
}

/// `INVITE`, `486`: what a message is.
fn summary(msg: &SipMessage) -> String {
    match (msg.method(), msg.status()) {
        (Some(m), _) => m.as_str().to_owned(),
        (None, Some(code)) => code.to_string(),
        (None, None) => unreachable!("a message is a request or a response"),
    }
}

struct Scenario {
    name: &'static str,
    request: &'static str,
    reliable: bool,
    /// The server TU's responses, at offsets (ms) from the creation of the server transaction.
    tu: &'static [(u64, u16)],
    /// Lost transmissions: (sender, n) loses the sender's n-th transmission (1-based).
    lost: &'static [(Side, usize)],
    horizon_ms: u64,
    expected: &'static [(u64, &'static str)],
}

struct Wire {
    start: Instant,
    reliable: bool,
    client: Client,
    client_key: TransactionKey,
    client_state: String,
    server: Option<ServerSide>,
    server_state: String,
    tu: &'static [(u64, u16)],
    lost: &'static [(Side, usize)],
    sent: [usize; 2],
    /// In flight, in arrival order (constant latency): (arrival, receiver, bytes).
    flight: VecDeque<(Instant, Side, Bytes)>,
    trace: Vec<(u64, String)>,
}

impl Wire {
    fn new(start: Instant, s: &Scenario) -> Wire {
        let req = parse(s.request);
        let config = TimerConfig::default();
        let client = if req.method() == Some(&Method::Invite) {
            Client::Invite(InviteClientTransaction::new(
                start, &req, s.reliable, config,
            ))
        } else {
            Client::NonInvite(NonInviteClientTransaction::new(
                start, &req, s.reliable, config,
            ))
        };
        let mut w = Wire {
            start,
            reliable: s.reliable,
            client_state: client.state_name(),
            client,
            client_key: client_request_key(&req),
            server: None,
            server_state: String::new(),
            tu: s.tu,
            lost: s.lost,
            sent: [0, 0],
            flight: VecDeque::new(),
            trace: Vec::new(),
        };
        w.drain(start);
        w
    }

    fn note(&mut self, now: Instant, line: String) {
        let at = u64::try_from((now - self.start).as_millis()).unwrap();
        self.trace.push((at, line));
    }

    /// Puts one transmission on the wire, or loses it.
    fn transmit(&mut self, now: Instant, from: Side, bytes: Bytes) {
        let msg = SipMessage::parse(bytes.clone()).expect("transmitted bytes must index");
        let n = &mut self.sent[from as usize];
        *n += 1;
        let lost = self.lost.contains(&(from, *n));
        let to = if from == Side::Client {
            Side::Server
        } else {
            Side::Client
        };
        let suffix = if lost { " lost" } else { "" };
        self.note(now, format!("{} tx {}{suffix}", from.name(), summary(&msg)));
        if !lost {
            self.flight.push_back((now + LATENCY, to, bytes));
        }
    }

    /// Collects both machines' outputs at `now`, then notes state changes.
    fn drain(&mut self, now: Instant) {
        while let Some(out) = self.client.poll_output() {
            match out {
                TransactionOutput::Transmit(b) => self.transmit(now, Side::Client, b),
                TransactionOutput::Deliver(m) => {
                    self.note(now, format!("client deliver {}", summary(&m)))
                }
                TransactionOutput::TimedOut => self.note(now, "client timed out".to_owned()),
                TransactionOutput::Terminated => self.note(now, "client terminated".to_owned()),
            }
        }
        let state = self.client.state_name();
        if state != self.client_state {
            self.note(now, format!("client state {state}"));
            self.client_state = state;
        }
        let Some(server) = self.server.as_mut() else {
            return;
        };
        let mut outs = Vec::new();
        while let Some(out) = server.txn.poll_output() {
            outs.push(out);
        }
        let state = server.txn.state_name();
        for out in outs {
            match out {
                TransactionOutput::Transmit(b) => self.transmit(now, Side::Server, b),
                TransactionOutput::Deliver(m) => panic!("a server transaction delivered {m:?}"),
                TransactionOutput::TimedOut => self.note(now, "server timed out".to_owned()),
                TransactionOutput::Terminated => self.note(now, "server terminated".to_owned()),
            }
        }
        if state != self.server_state {
            self.note(now, format!("server state {state}"));
            self.server_state = state;
        }
    }

    /// A message arrives at `to`; it finds its transaction by key, as the driver will do it.
    fn arrive(&mut self, now: Instant, to: Side, bytes: Bytes) {
        let msg = SipMessage::parse(bytes).unwrap();
        self.note(now, format!("{} rx {}", to.name(), summary(&msg)));
        if to == Side::Client {
            assert_eq!(
                client_key(&msg),
                self.client_key,
                "a response finds its client transaction"
            );
            self.client.handle_response(now, &msg);
            return;
        }
        let key = server_key(&msg);
        match self.server.as_mut() {
            Some(s) => {
                assert_eq!(
                    key, s.key,
                    "a retransmission or ACK finds its server transaction"
                );
                s.txn.handle_request(now, &msg);
            }
            None => {
                assert_ne!(
                    msg.method(),
                    Some(&Method::Ack),
                    "an ACK without its INVITE"
                );
                let config = TimerConfig::default();
                let txn = if msg.method() == Some(&Method::Invite) {
                    Server::Invite(InviteServerTransaction::new(
                        now,
                        &msg,
                        self.reliable,
                        config,
                    ))
                } else {
                    Server::NonInvite(NonInviteServerTransaction::new(
                        now,
                        &msg,
                        self.reliable,
                        config,
                    ))
                };
                self.server = Some(ServerSide {
                    key,
                    txn,
                    request: msg,
                    created: now,
                    tu_done: 0,
                });
            }
        }
    }

    fn next_tu(&self) -> Option<(Instant, u16)> {
        let s = self.server.as_ref()?;
        let (after, code) = self.tu.get(s.tu_done)?;
        Some((s.created + Duration::from_millis(*after), *code))
    }

    /// Steps to the next event up to `horizon`; on a tie, arrivals go first, then the TU, then
    /// the client's timers, then the server's. `false` when nothing is left before `horizon`.
    fn step(&mut self, horizon: Instant) -> bool {
        let arrival = self.flight.front().map(|(at, _, _)| *at);
        let tu = self.next_tu().map(|(at, _)| at);
        let client_timer = self.client.poll_timeout();
        let server_timer = self.server.as_ref().and_then(|s| s.txn.poll_timeout());
        let candidates = [arrival, tu, client_timer, server_timer];
        let Some((which, now)) = candidates
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.map(|t| (i, t)))
            .filter(|(_, t)| *t <= horizon)
            .min_by_key(|(i, t)| (*t, *i))
        else {
            return false;
        };
        match which {
            0 => {
                let (_, to, bytes) = self.flight.pop_front().unwrap();
                self.arrive(now, to, bytes);
            }
            1 => {
                let (_, code) = self.next_tu().unwrap();
                let s = self.server.as_mut().unwrap();
                s.tu_done += 1;
                let bytes = response(&s.request, code);
                s.txn.send_response(now, code, bytes);
            }
            2 => self.client.handle_timeout(now),
            _ => self.server.as_mut().unwrap().txn.handle_timeout(now),
        }
        self.drain(now);
        true
    }
}

fn run(s: &Scenario) -> Wire {
    let start = Instant::now();
    let horizon = start + Duration::from_millis(s.horizon_ms);
    let mut w = Wire::new(start, s);
    for _ in 0..10_000 {
        if !w.step(horizon) {
            return w;
        }
    }
    panic!(
        "{}: the machines keep asking for timers that do not advance",
        s.name
    );
}

#[test]
fn client_and_server_transactions_talk_over_a_lossy_wire() {
    use Side::*;
    let scenarios = [
        Scenario {
            name: "udp INVITE rejected with 486, nothing lost: the ACK confirms, I and D end both",
            request: INVITE,
            reliable: false,
            tu: &[(0, 100), (1000, 486)],
            lost: &[],
            horizon_ms: 60_000,
            expected: &[
                (0, "client tx INVITE"),
                (10, "server rx INVITE"),
                (10, "server state Proceeding"),
                (10, "server tx 100"),
                (20, "client rx 100"),
                (20, "client deliver 100"),
                (20, "client state Proceeding"),
                (1010, "server tx 486"),
                (1010, "server state Completed"),
                (1020, "client rx 486"),
                (1020, "client tx ACK"),
                (1020, "client deliver 486"),
                (1020, "client state Completed"),
                (1030, "server rx ACK"),
                (1030, "server state Confirmed"),
                (6030, "server terminated"),
                (6030, "server state Terminated"),
                (33020, "client terminated"),
                (33020, "client state Terminated"),
            ],
        },
        Scenario {
            name: "udp, first INVITE lost: timer A's retransmission creates the server transaction",
            request: INVITE,
            reliable: false,
            tu: &[(0, 100), (1000, 486)],
            lost: &[(Client, 1)],
            horizon_ms: 60_000,
            expected: &[
                (0, "client tx INVITE lost"),
                (500, "client tx INVITE"),
                (510, "server rx INVITE"),
                (510, "server state Proceeding"),
                (510, "server tx 100"),
                (520, "client rx 100"),
                (520, "client deliver 100"),
                (520, "client state Proceeding"),
                (1510, "server tx 486"),
                (1510, "server state Completed"),
                (1520, "client rx 486"),
                (1520, "client tx ACK"),
                (1520, "client deliver 486"),
                (1520, "client state Completed"),
                (1530, "server rx ACK"),
                (1530, "server state Confirmed"),
                (6530, "server terminated"),
                (6530, "server state Terminated"),
                (33520, "client terminated"),
                (33520, "client state Terminated"),
            ],
        },
        Scenario {
            name: "udp, first 486 lost: G retransmits it, the client ACKs, the server confirms",
            request: INVITE,
            reliable: false,
            tu: &[(0, 100), (1000, 486)],
            lost: &[(Server, 2)],
            horizon_ms: 60_000,
            expected: &[
                (0, "client tx INVITE"),
                (10, "server rx INVITE"),
                (10, "server state Proceeding"),
                (10, "server tx 100"),
                (20, "client rx 100"),
                (20, "client deliver 100"),
                (20, "client state Proceeding"),
                (1010, "server tx 486 lost"),
                (1010, "server state Completed"),
                (1510, "server tx 486"),
                (1520, "client rx 486"),
                (1520, "client tx ACK"),
                (1520, "client deliver 486"),
                (1520, "client state Completed"),
                (1530, "server rx ACK"),
                (1530, "server state Confirmed"),
                (6530, "server terminated"),
                (6530, "server state Terminated"),
                (33520, "client terminated"),
                (33520, "client state Terminated"),
            ],
        },
        Scenario {
            name: "udp, 100 lost: A's retransmission is answered with the last provisional",
            request: INVITE,
            reliable: false,
            tu: &[(0, 100), (1000, 486)],
            lost: &[(Server, 1)],
            horizon_ms: 60_000,
            expected: &[
                (0, "client tx INVITE"),
                (10, "server rx INVITE"),
                (10, "server state Proceeding"),
                (10, "server tx 100 lost"),
                (500, "client tx INVITE"),
                (510, "server rx INVITE"),
                (510, "server tx 100"),
                (520, "client rx 100"),
                (520, "client deliver 100"),
                (520, "client state Proceeding"),
                (1010, "server tx 486"),
                (1010, "server state Completed"),
                (1020, "client rx 486"),
                (1020, "client tx ACK"),
                (1020, "client deliver 486"),
                (1020, "client state Completed"),
                (1030, "server rx ACK"),
                (1030, "server state Confirmed"),
                (6030, "server terminated"),
                (6030, "server state Terminated"),
                (33020, "client terminated"),
                (33020, "client state Terminated"),
            ],
        },
        Scenario {
            name: "udp, first ACK lost: the next G retransmission is ACKed again",
            request: INVITE,
            reliable: false,
            tu: &[(0, 100), (1000, 486)],
            lost: &[(Client, 2)],
            horizon_ms: 60_000,
            expected: &[
                (0, "client tx INVITE"),
                (10, "server rx INVITE"),
                (10, "server state Proceeding"),
                (10, "server tx 100"),
                (20, "client rx 100"),
                (20, "client deliver 100"),
                (20, "client state Proceeding"),
                (1010, "server tx 486"),
                (1010, "server state Completed"),
                (1020, "client rx 486"),
                (1020, "client tx ACK lost"),
                (1020, "client deliver 486"),
                (1020, "client state Completed"),
                (1510, "server tx 486"),
                (1520, "client rx 486"),
                (1520, "client tx ACK"),
                (1530, "server rx ACK"),
                (1530, "server state Confirmed"),
                (6530, "server terminated"),
                (6530, "server state Terminated"),
                (33020, "client terminated"),
                (33020, "client state Terminated"),
            ],
        },
        Scenario {
            name: "udp INVITE answered 200, first 200 lost: the TU's retransmission is delivered, \
                   M and L end both",
            request: INVITE,
            reliable: false,
            tu: &[(0, 100), (1000, 200), (1500, 200)],
            lost: &[(Server, 2)],
            horizon_ms: 60_000,
            expected: &[
                (0, "client tx INVITE"),
                (10, "server rx INVITE"),
                (10, "server state Proceeding"),
                (10, "server tx 100"),
                (20, "client rx 100"),
                (20, "client deliver 100"),
                (20, "client state Proceeding"),
                (1010, "server tx 200 lost"),
                (1010, "server state Accepted"),
                (1510, "server tx 200"),
                (1520, "client rx 200"),
                (1520, "client deliver 200"),
                (1520, "client state Accepted"),
                (33010, "server terminated"),
                (33010, "server state Terminated"),
                (33520, "client terminated"),
                (33520, "client state Terminated"),
            ],
        },
        Scenario {
            name: "tcp INVITE rejected: nothing retransmitted, D and I are zero",
            request: INVITE,
            reliable: true,
            tu: &[(0, 100), (1000, 486)],
            lost: &[],
            horizon_ms: 60_000,
            expected: &[
                (0, "client tx INVITE"),
                (10, "server rx INVITE"),
                (10, "server state Proceeding"),
                (10, "server tx 100"),
                (20, "client rx 100"),
                (20, "client deliver 100"),
                (20, "client state Proceeding"),
                (1010, "server tx 486"),
                (1010, "server state Completed"),
                (1020, "client rx 486"),
                (1020, "client tx ACK"),
                (1020, "client deliver 486"),
                (1020, "client state Completed"),
                (1020, "client terminated"),
                (1020, "client state Terminated"),
                (1030, "server rx ACK"),
                (1030, "server state Confirmed"),
                (1030, "server terminated"),
                (1030, "server state Terminated"),
            ],
        },
        Scenario {
            name: "udp BYE, 200 lost: E retransmits, the server answers from Completed, K and J",
            request: BYE,
            reliable: false,
            tu: &[(0, 200)],
            lost: &[(Server, 1)],
            horizon_ms: 60_000,
            expected: &[
                (0, "client tx BYE"),
                (10, "server rx BYE"),
                (10, "server state Trying"),
                (10, "server tx 200 lost"),
                (10, "server state Completed"),
                (500, "client tx BYE"),
                (510, "server rx BYE"),
                (510, "server tx 200"),
                (520, "client rx 200"),
                (520, "client deliver 200"),
                (520, "client state Completed"),
                (5520, "client terminated"),
                (5520, "client state Terminated"),
                (32010, "server terminated"),
                (32010, "server state Terminated"),
            ],
        },
        Scenario {
            name: "udp BYE, slow TU: retransmissions absorbed in Trying until the 200",
            request: BYE,
            reliable: false,
            tu: &[(1200, 200)],
            lost: &[],
            horizon_ms: 60_000,
            expected: &[
                (0, "client tx BYE"),
                (10, "server rx BYE"),
                (10, "server state Trying"),
                (500, "client tx BYE"),
                (510, "server rx BYE"),
                (1210, "server tx 200"),
                (1210, "server state Completed"),
                (1220, "client rx 200"),
                (1220, "client deliver 200"),
                (1220, "client state Completed"),
                (6220, "client terminated"),
                (6220, "client state Terminated"),
                (33210, "server terminated"),
                (33210, "server state Terminated"),
            ],
        },
    ];
    for s in &scenarios {
        let w = run(s);
        let expected: Vec<(u64, String)> = s
            .expected
            .iter()
            .map(|(at, line)| (*at, (*line).to_owned()))
            .collect();
        assert_eq!(w.trace, expected, "{}", s.name);
        assert!(w.flight.is_empty(), "{}: nothing left in flight", s.name);
        // The client's TU hears exactly one final response, however often it was sent.
        let finals = w.trace.iter().filter(|(_, l)| {
            l.strip_prefix("client deliver ")
                .is_some_and(|c| !c.starts_with('1'))
        });
        assert_eq!(finals.count(), 1, "{}", s.name);
    }
}

/// RFC 3261 §17.1.3 and §17.2.3 matching, and §9.1 for CANCEL: each row is two messages and
/// whether their keys must be equal.
#[test]
fn keys_match_what_the_rfc_matches() {
    let invite = parse(INVITE);
    let busy = parse(std::str::from_utf8(&response(&invite, 486)).unwrap());
    let ack = SipMessage::parse(ack_for_non_2xx(&invite, &busy)).unwrap();
    let cancel = SipMessage::parse(cancel_for(&invite)).unwrap();
    let bye = parse(BYE);
    let forwarded = parse(FORWARDED_INVITE);
    let forwarded_cancel = SipMessage::parse(cancel_for(&forwarded)).unwrap();
    let forwarded_ack = SipMessage::parse(ack_for_non_2xx(
        &forwarded,
        &SipMessage::parse(response(&forwarded, 603)).unwrap(),
    ))
    .unwrap();
    let hand_ack = with(
        INVITE,
        &[
            ("INVITE sip", "ACK sip"),
            ("CSeq: 1 INVITE", "CSeq: 1 ACK"),
            ("biloxi.example>\r\n", "biloxi.example>;tag=x\r\n"),
        ],
    );
    let sent_by = "client.atlanta.example:5060";
    let other_branch = with(INVITE, &[("z9hG4bK74bf9", "z9hG4bK74bfa")]);
    let other_host = with(INVITE, &[(sent_by, "other.atlanta.example:5060")]);
    let other_port = with(INVITE, &[(sent_by, "client.atlanta.example:5070")]);
    let upper_host = with(INVITE, &[(sent_by, "CLIENT.Atlanta.example:5060")]);
    let bye_same_branch = with(BYE, &[("z9hG4bKnashds7", "z9hG4bK74bf9")]);
    let bye_ok = SipMessage::parse(response(&bye, 200)).unwrap();
    let cancel_ok = SipMessage::parse(response(&cancel, 200)).unwrap();

    let rows: Vec<(&str, TransactionKey, TransactionKey, bool)> = vec![
        (
            "ACK built for a 486 finds the INVITE",
            server_key(&ack),
            server_key(&invite),
            true,
        ),
        (
            "hand-written ACK, same branch",
            server_key(&hand_ack),
            server_key(&invite),
            true,
        ),
        (
            "ACK of a forwarded INVITE",
            server_key(&forwarded_ack),
            server_key(&forwarded),
            true,
        ),
        (
            "CANCEL's INVITE",
            cancelled_invite_key(&cancel),
            server_key(&invite),
            true,
        ),
        (
            "forwarded CANCEL's INVITE",
            cancelled_invite_key(&forwarded_cancel),
            server_key(&forwarded),
            true,
        ),
        (
            "CANCEL is its own transaction",
            server_key(&cancel),
            server_key(&invite),
            false,
        ),
        (
            "INVITE retransmission",
            server_key(&parse(INVITE)),
            server_key(&invite),
            true,
        ),
        (
            "other branch",
            server_key(&other_branch),
            server_key(&invite),
            false,
        ),
        (
            "same branch, other sent-by host",
            server_key(&other_host),
            server_key(&invite),
            false,
        ),
        (
            "same branch, other sent-by port",
            server_key(&other_port),
            server_key(&invite),
            false,
        ),
        (
            "sent-by host case",
            server_key(&upper_host),
            server_key(&invite),
            true,
        ),
        (
            "same branch, other method",
            server_key(&bye_same_branch),
            server_key(&invite),
            false,
        ),
        (
            "486 finds the INVITE client",
            client_key(&busy),
            client_request_key(&invite),
            true,
        ),
        (
            "200 to BYE finds the BYE client",
            client_key(&bye_ok),
            client_request_key(&bye),
            true,
        ),
        (
            "200 to CANCEL finds the CANCEL client",
            client_key(&cancel_ok),
            client_request_key(&cancel),
            true,
        ),
        (
            "200 to CANCEL is not the INVITE's",
            client_key(&cancel_ok),
            client_request_key(&invite),
            false,
        ),
        (
            "client and server keys differ",
            client_request_key(&invite),
            server_key(&invite),
            false,
        ),
    ];
    for (name, a, b, equal) in rows {
        assert_eq!(a == b, equal, "{name}: {a:?} vs {b:?}");
    }

    // The CANCEL and ACK of a forwarded INVITE carry only the proxy's Via (RFC 3261 §9.1).
    for m in [&forwarded_cancel, &forwarded_ack] {
        let vias = m.list(&HeaderName::Via);
        assert_eq!(vias.len(), 1, "{m:?}");
        assert_eq!(m.top_via(), forwarded.top_via());
    }
}
