//! A client transaction and a server transaction wired together in memory: every byte one
//! transmits is indexed and handed to the other after 10 ms (unless the scenario loses it), the
//! server's TU answers with `build_response` on a schedule, messages find their transaction by
//! key, and time is stepped by hand. Each scenario's whole trace is compared with the RFC 3261 §17
//! / RFC 6026 exchange, lost messages included. The key functions are checked on their own too.
//!
//! Timer values are `TimerConfig::default()`: T1 = 500 ms, T2 = 4 s, T4 = 5 s, so 64·T1 = 32 s.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{
    BYE, ClientMachine, FORWARDED_INVITE, INVITE, Machine, ServerMachine, client, indexed, ms,
    outcome, parse, response, response_bytes, server, state_change, summary, trace,
};
use dialogd_sip::builder::{ack_for_non_2xx, cancel_for};
use dialogd_sip::transaction::{
    TransactionKey, TransactionOutput, cancelled_invite_key, client_key, client_request_key,
    server_key,
};
use dialogd_sip::{HeaderName, Method, SipMessage};

const LATENCY: Duration = Duration::from_millis(10);

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

/// The server side: its transaction, filed under the key of the request that created it.
struct ServerSide {
    key: TransactionKey,
    txn: Box<dyn ServerMachine>,
    request: SipMessage,
    created: Instant,
    tu_done: usize,
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
    client: Box<dyn ClientMachine>,
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
        let client = client(start, &req, s.reliable);
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
        self.trace.push((ms(self.start, now), line));
    }

    /// Puts one transmission on the wire, or loses it.
    fn transmit(&mut self, now: Instant, from: Side, bytes: Bytes) {
        let msg = indexed(&bytes);
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
        let client = outputs(self.client.as_mut(), &mut self.client_state);
        self.note_outputs(now, Side::Client, client);
        if let Some(server) = self.server.as_mut() {
            let server = outputs(server.txn.as_mut(), &mut self.server_state);
            self.note_outputs(now, Side::Server, server);
        }
    }

    /// Notes what `side`'s machine put out (transmissions go on the wire), then its new state.
    fn note_outputs(&mut self, now: Instant, side: Side, (outs, state): Drained) {
        for out in outs {
            match out {
                TransactionOutput::Transmit(b) => self.transmit(now, side, b),
                other => self.note(now, format!("{} {}", side.name(), outcome(&other))),
            }
        }
        if let Some(state) = state {
            self.note(now, format!("{} state {state}", side.name()));
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
            self.client.feed(now, &msg);
            return;
        }
        let key = server_key(&msg);
        match self.server.as_mut() {
            Some(s) => {
                assert_eq!(
                    key, s.key,
                    "a retransmission or ACK finds its server transaction"
                );
                s.txn.request(now, &msg);
            }
            None => {
                assert_ne!(
                    msg.method(),
                    Some(&Method::Ack),
                    "an ACK without its INVITE"
                );
                let txn = server(now, &msg, self.reliable);
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
        let client_timer = self.client.next_timeout();
        let server_timer = self.server.as_ref().and_then(|s| s.txn.next_timeout());
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
                let bytes = response_bytes(&s.request, code);
                s.txn.respond(now, code, bytes);
            }
            2 => self.client.timeout(now),
            _ => self.server.as_mut().unwrap().txn.timeout(now),
        }
        self.drain(now);
        true
    }
}

/// A machine's outputs in order, and its state if it changed.
type Drained = (Vec<TransactionOutput>, Option<String>);

fn outputs(m: &mut (impl Machine + ?Sized), last_state: &mut String) -> Drained {
    let outs = std::iter::from_fn(|| m.output()).collect();
    (outs, state_change(m, last_state))
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
        assert_eq!(w.trace, trace(s.expected), "{}", s.name);
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
    let busy = response(&invite, 486);
    let ack = SipMessage::parse(ack_for_non_2xx(&invite, &busy)).unwrap();
    let cancel = SipMessage::parse(cancel_for(&invite)).unwrap();
    let bye = parse(BYE);
    let forwarded = parse(FORWARDED_INVITE);
    let forwarded_cancel = SipMessage::parse(cancel_for(&forwarded)).unwrap();
    let forwarded_ack =
        SipMessage::parse(ack_for_non_2xx(&forwarded, &response(&forwarded, 603))).unwrap();
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
    let bye_ok = response(&bye, 200);
    let cancel_ok = response(&cancel, 200);

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
