//! Fixtures shared by the transaction tests (`mod common;` in each): the requests, the
//! responses a peer or TU writes to them, one trait over the four machines, and a driver that
//! steps time by hand through a schedule of inputs and every timer a machine asks for, writing
//! down what comes out.
//!
//! Timer values are `TimerConfig::default()`: T1 = 500 ms, T2 = 4 s, T4 = 5 s, so 64·T1 = 32 s.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test binary uses a part; test helpers

use std::time::{Duration, Instant};

use bytes::Bytes;
use dialogd_sip::transaction::{
    InviteClientTransaction, InviteServerTransaction, NonInviteClientTransaction,
    NonInviteServerTransaction, TimerConfig, TransactionOutput,
};
use dialogd_sip::{Method, SipMessage, build_response};

pub const INVITE: &str = "INVITE sip:bob@biloxi.example SIP/2.0\r\n\
Via: SIP/2.0/UDP client.atlanta.example:5060;branch=z9hG4bK74bf9\r\n\
Max-Forwards: 70\r\n\
From: Alice <sip:alice@atlanta.example>;tag=9fxced76sl\r\n\
To: Bob <sip:bob@biloxi.example>\r\n\
Call-ID: 3848276298220188511@atlanta.example\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:alice@client.atlanta.example>\r\n\
Content-Length: 0\r\n\r\n";

pub const BYE: &str = "BYE sip:alice@client.atlanta.example SIP/2.0\r\n\
Via: SIP/2.0/UDP bob.biloxi.example:5060;branch=z9hG4bKnashds7\r\n\
Max-Forwards: 70\r\n\
From: Bob <sip:bob@biloxi.example>;tag=8321234356\r\n\
To: Alice <sip:alice@atlanta.example>;tag=9fxced76sl\r\n\
Call-ID: 3848276298220188511@atlanta.example\r\n\
CSeq: 1 BYE\r\n\
Content-Length: 0\r\n\r\n";

/// An INVITE a proxy forwards: its own Via on top of upstream Via lines (two in one header
/// line, one more below), and a route set.
pub const FORWARDED_INVITE: &str = "INVITE sip:bob@192.0.2.4 SIP/2.0\r\n\
Via: SIP/2.0/UDP proxy.example:5060;branch=z9hG4bKproxy1\r\n\
Via: SIP/2.0/UDP edge.example;branch=z9hG4bKedge1, SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKua\r\n\
Via: SIP/2.0/TCP 10.1.1.0;branch=z9hG4bKfirst\r\n\
Max-Forwards: 68\r\n\
Route: <sip:next.example;lr>\r\n\
Route: <sip:last.example;lr>\r\n\
From: <sip:alice@atlanta.example>;tag=aaa\r\n\
To: <sip:bob@biloxi.example>\r\n\
Call-ID: fwd-1@atlanta.example\r\n\
CSeq: 314159 INVITE\r\n\
Content-Length: 0\r\n\r\n";

/// The To tag the answering side adds to every response above 100.
pub const TO_TAG: &str = "8321234356";

pub fn parse(text: &str) -> SipMessage {
    SipMessage::parse(Bytes::from(text.to_owned())).unwrap()
}

fn reason(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        200 => "OK",
        404 => "Not Found",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        486 => "Busy Here",
        603 => "Decline",
        _ => "Whatever",
    }
}

/// The bytes of a response to `req` as the next hop or the TU writes it (To tag added above
/// 100).
pub fn response_bytes(req: &SipMessage, code: u16) -> Bytes {
    build_response(req, code, reason(code), Some(TO_TAG), &[])
}

/// [`response_bytes`], indexed.
pub fn response(req: &SipMessage, code: u16) -> SipMessage {
    SipMessage::parse(response_bytes(req, code)).unwrap()
}

/// `INVITE`, `486`: what a message is.
pub fn summary(msg: &SipMessage) -> String {
    match (msg.method(), msg.status()) {
        (Some(m), _) => m.as_str().to_owned(),
        (None, Some(code)) => code.to_string(),
        (None, None) => unreachable!("a message is a request or a response"),
    }
}

/// A trace line for one output: `tx INVITE`, `deliver 486`, `timed out`, `terminated`.
pub fn outcome(out: &TransactionOutput) -> String {
    match out {
        TransactionOutput::Transmit(bytes) => format!("tx {}", summary(&indexed(bytes))),
        TransactionOutput::Deliver(msg) => format!("deliver {}", summary(msg)),
        TransactionOutput::TimedOut => "timed out".to_owned(),
        TransactionOutput::Terminated => "terminated".to_owned(),
    }
}

/// Transmitted bytes, read back with the indexer.
pub fn indexed(bytes: &Bytes) -> SipMessage {
    SipMessage::parse(bytes.clone()).expect("transmitted bytes must index")
}

/// What the driver needs from any of the four machines.
pub trait Machine {
    fn timeout(&mut self, now: Instant);
    fn output(&mut self) -> Option<TransactionOutput>;
    fn next_timeout(&self) -> Option<Instant>;
    fn state_name(&self) -> String;
}

/// A client machine: responses come in.
pub trait ClientMachine: Machine {
    fn feed(&mut self, now: Instant, resp: &SipMessage);
}

/// A server machine: requests come in from the peer, responses from the TU.
pub trait ServerMachine: Machine {
    fn request(&mut self, now: Instant, msg: &SipMessage);
    fn respond(&mut self, now: Instant, code: u16, bytes: Bytes);
    /// The TU asks for a 100 Trying (INVITE server only).
    fn trying(&mut self, now: Instant, req: &SipMessage);
}

macro_rules! machine {
    ($($t:ty),*) => {$(
        impl Machine for $t {
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
    )*};
}

machine!(
    InviteClientTransaction,
    NonInviteClientTransaction,
    InviteServerTransaction,
    NonInviteServerTransaction
);

impl ClientMachine for InviteClientTransaction {
    fn feed(&mut self, now: Instant, resp: &SipMessage) {
        self.handle_response(now, resp);
    }
}

impl ClientMachine for NonInviteClientTransaction {
    fn feed(&mut self, now: Instant, resp: &SipMessage) {
        self.handle_response(now, resp);
    }
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
}

/// The client transaction for `req`: INVITE or non-INVITE by its method.
pub fn client(now: Instant, req: &SipMessage, reliable: bool) -> Box<dyn ClientMachine> {
    let config = TimerConfig::default();
    if req.method() == Some(&Method::Invite) {
        Box::new(InviteClientTransaction::new(now, req, reliable, config))
    } else {
        Box::new(NonInviteClientTransaction::new(now, req, reliable, config))
    }
}

/// The server transaction for a received `req`: INVITE or non-INVITE by its method.
pub fn server(now: Instant, req: &SipMessage, reliable: bool) -> Box<dyn ServerMachine> {
    let config = TimerConfig::default();
    if req.method() == Some(&Method::Invite) {
        Box::new(InviteServerTransaction::new(now, req, reliable, config))
    } else {
        Box::new(NonInviteServerTransaction::new(now, req, reliable, config))
    }
}

/// Milliseconds from `start` to `t`.
pub fn ms(start: Instant, t: Instant) -> u64 {
    u64::try_from((t - start).as_millis()).unwrap()
}

/// The machine's state name when it is no longer `last` (which then follows it).
pub fn state_change(m: &(impl Machine + ?Sized), last: &mut String) -> Option<String> {
    let now = m.state_name();
    (now != *last).then(|| {
        *last = now.clone();
        now
    })
}

/// One run of one machine: the trace, the bytes transmitted, and the timer still armed at the
/// horizon.
pub struct Run {
    pub trace: Vec<(u64, String)>,
    pub sent: Vec<Bytes>,
    pub next_timer_ms: Option<u64>,
    /// The state last noted in the trace.
    state: String,
}

impl Run {
    /// Drains every output at `now` into the trace, then notes a state change.
    fn drain(&mut self, m: &mut (impl Machine + ?Sized), start: Instant, now: Instant) {
        let at = ms(start, now);
        while let Some(out) = m.output() {
            self.trace.push((at, outcome(&out)));
            if let TransactionOutput::Transmit(bytes) = out {
                self.sent.push(bytes);
            }
        }
        if let Some(state) = state_change(m, &mut self.state) {
            self.trace.push((at, format!("state {state}")));
        }
    }
}

/// Applies `inputs` (offset ms, input) to `m` with `apply` and fires every timer due up to
/// `horizon_ms`; a timer due at the same instant as an input fires after it.
pub fn run<M: Machine + ?Sized, I>(
    m: &mut M,
    start: Instant,
    inputs: &[(u64, I)],
    horizon_ms: u64,
    mut apply: impl FnMut(&mut M, Instant, &I),
) -> Run {
    let horizon = start + Duration::from_millis(horizon_ms);
    let mut run = Run {
        trace: Vec::new(),
        sent: Vec::new(),
        next_timer_ms: None,
        state: m.state_name(),
    };
    run.drain(m, start, start);
    let mut inputs = inputs.iter().peekable();
    for _ in 0..10_000 {
        let next_input = inputs
            .peek()
            .map(|(at, _)| start + Duration::from_millis(*at));
        let next_timer = m.next_timeout().filter(|t| *t <= horizon);
        match (next_timer, next_input) {
            (Some(t), i) if i.is_none_or(|i| t < i) => {
                m.timeout(t);
                run.drain(m, start, t);
            }
            (_, Some(i)) => {
                let (_, input) = inputs.next().unwrap();
                apply(m, i, input);
                run.drain(m, start, i);
            }
            _ => {
                run.next_timer_ms = m.next_timeout().map(|t| ms(start, t));
                return run;
            }
        }
    }
    panic!("the machine keeps asking for timers that do not advance");
}

/// `expected` as a trace.
pub fn trace(expected: &[(u64, &str)]) -> Vec<(u64, String)> {
    expected
        .iter()
        .map(|(at, s)| (*at, (*s).to_owned()))
        .collect()
}

/// One machine, one schedule of inputs, and the whole trace the RFC gives for it.
pub struct Scenario<I: 'static> {
    pub name: &'static str,
    pub reliable: bool,
    /// (offset ms, input).
    pub inputs: &'static [(u64, I)],
    pub horizon_ms: u64,
    pub expected: &'static [(u64, &'static str)],
    /// The timer still armed at the horizon (`None`: nothing left to fire).
    pub next_timer_ms: Option<u64>,
}

impl<I> Scenario<I> {
    /// Asserts that `r` has this scenario's trace and leftover timer.
    pub fn assert_run(&self, r: &Run) {
        assert_eq!(r.trace, trace(self.expected), "{}", self.name);
        assert_eq!(
            r.next_timer_ms, self.next_timer_ms,
            "{}: timer left at the horizon",
            self.name
        );
    }
}
