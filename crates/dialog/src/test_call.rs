//! A test call — Alice (caller) ── P1 ── proxy ── P2 ── P3 ── Bob (callee) — with builders
//! of its facts and a driver that steps a [`Dialog`] through inputs at given seconds and
//! collects what it emits. Shared by the dialog's test files; compiled for tests only.

use std::time::{Duration, Instant};

use dialogd_sip::Method;

use crate::dialog::Dialog;
use crate::facts::{DialogSettings, InitialInvite, RequestFacts, ResponseFacts};
use crate::id::DialogId;
use crate::output::{DialogOutput, RequestVerdict};
use crate::state::{DialogState, EndCause, Leg};

pub const DID: DialogId = DialogId(0x0001_0000_0000_002a);
pub const CALL_ID: &str = "a84b4c76e66710@pc33.atlanta.example.com";
pub const CALLER_TAG: &str = "1928301774";
pub const FROM: &str = "Alice <sip:alice@atlanta.example.com>;tag=1928301774";
pub const INVITE_CSEQ: u32 = 314_159;
pub const CALLER_CONTACT: &str = "sip:alice@pc33.atlanta.example.com";
pub const CALLEE_CONTACT: &str = "sip:bob@192.0.2.4";
pub const P1: &str = "<sip:p1.atlanta.example.com;lr>";
pub const P2: &str = "<sip:p2.biloxi.example.com;lr>";
pub const P3: &str = "<sip:p3.biloxi.example.com;lr>";
/// The dialog timeout of [`settings`].
pub const TIMEOUT: Duration = Duration::from_secs(60);

pub fn invite() -> InitialInvite {
    InitialInvite {
        call_id: CALL_ID.to_owned(),
        from: FROM.to_owned(),
        from_tag: CALLER_TAG.to_owned(),
        from_uri: "sip:alice@atlanta.example.com".to_owned(),
        to: "Bob <sip:bob@biloxi.example.com>".to_owned(),
        to_uri: "sip:bob@biloxi.example.com".to_owned(),
        request_uri: "sip:bob@biloxi.example.com".to_owned(),
        cseq: INVITE_CSEQ,
        contact: Some(CALLER_CONTACT.to_owned()),
        record_route: vec![P1.to_owned()],
        source: Some("udp:192.0.2.10:5060".to_owned()),
    }
}

/// 60 s timeout, BYE on timeout, one extra BYE header.
pub fn settings() -> DialogSettings {
    DialogSettings {
        timeout: Some(TIMEOUT),
        bye_on_timeout: true,
        bye_extra_headers: vec!["Reason: SIP;cause=200;text=\"dialog timeout\"".to_owned()],
        ..DialogSettings::default()
    }
}

/// The To value Bob answers with on branch `tag`.
pub fn callee_to(tag: &str) -> String {
    format!("Bob <sip:bob@biloxi.example.com>;tag={tag}")
}

/// A response to the INVITE from branch `tag`, record-routed by P2 and P3 above us.
pub fn response(status: u16, tag: Option<&str>) -> ResponseFacts {
    ResponseFacts {
        status,
        to: tag.map_or_else(|| "Bob <sip:bob@biloxi.example.com>".to_owned(), callee_to),
        to_tag: tag.map(str::to_owned),
        contact: Some(CALLEE_CONTACT.to_owned()),
        record_route_above: vec![P3.to_owned(), P2.to_owned()],
        cseq: INVITE_CSEQ,
        cseq_method: Some(Method::Invite),
    }
}

fn request(method: &str, from_tag: &str, to_tag: &str, cseq: u32) -> RequestFacts {
    RequestFacts {
        method: Method::parse(method).unwrap(),
        call_id: CALL_ID.to_owned(),
        from_tag: Some(from_tag.to_owned()),
        to_tag: Some(to_tag.to_owned()),
        cseq,
        contact: None,
        matched_by_did: true,
    }
}

/// A request from Alice to branch `to_tag`.
pub fn from_caller(method: &str, to_tag: &str, cseq: u32) -> RequestFacts {
    request(method, CALLER_TAG, to_tag, cseq)
}

/// A request from Bob on branch `from_tag`.
pub fn from_callee(method: &str, from_tag: &str, cseq: u32) -> RequestFacts {
    request(method, from_tag, CALLER_TAG, cseq)
}

/// One input of a test call.
#[derive(Debug, Clone)]
pub enum Input {
    Response(ResponseFacts),
    Request(RequestFacts),
    Fail(u16),
    Timeout,
    End(EndCause, Vec<Leg>, Vec<String>),
}

/// What one input produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Produced {
    pub verdict: Option<RequestVerdict>,
    pub ended: Option<bool>,
    pub outputs: Vec<DialogOutput>,
}

/// A dialog with a time origin.
pub struct TestCall {
    pub dialog: Dialog,
    pub t0: Instant,
}

impl TestCall {
    /// The INVITE arrived at second 0.
    pub fn new(settings: DialogSettings) -> TestCall {
        let t0 = Instant::now();
        let dialog = Dialog::new(DID, t0, 1_700_000_000_000, invite(), settings, TIMEOUT * 10);
        TestCall { dialog, t0 }
    }

    /// Answered by branch `b` at second 1 (180 at 0, 200 at 1, ACK at 1), outputs drained.
    pub fn confirmed(settings: DialogSettings) -> TestCall {
        let mut c = TestCall::new(settings);
        c.step(0, Input::Response(response(180, Some("b"))));
        c.step(1, Input::Response(response(200, Some("b"))));
        c.step(1, Input::Request(from_caller("ACK", "b", INVITE_CSEQ)));
        assert_eq!(c.dialog.state(), DialogState::Confirmed);
        c
    }

    pub fn at(&self, secs: u64) -> Instant {
        self.t0 + Duration::from_secs(secs)
    }

    /// Feeds `input` at second `secs`.
    pub fn step(&mut self, secs: u64, input: Input) -> Produced {
        let now = self.at(secs);
        let mut p = Produced {
            verdict: None,
            ended: None,
            outputs: Vec::new(),
        };
        match input {
            Input::Response(r) => {
                self.dialog
                    .handle_response(now, 1_700_000_000_000 + secs * 1000, &r)
            }
            Input::Request(r) => p.verdict = Some(self.dialog.handle_request(now, &r)),
            Input::Fail(code) => self.dialog.fail(now, code),
            Input::Timeout => self.dialog.handle_timeout(now),
            Input::End(cause, legs, extra) => {
                p.ended = Some(self.dialog.end(now, cause, &legs, &extra))
            }
        }
        p.outputs = self.drain();
        p
    }

    pub fn drain(&mut self) -> Vec<DialogOutput> {
        std::iter::from_fn(|| self.dialog.poll_output()).collect()
    }

    /// Seconds from the origin to the dialog's deadline.
    pub fn deadline_secs(&self) -> Option<u64> {
        self.dialog.poll_timeout().map(|d| (d - self.t0).as_secs())
    }
}

pub fn changed(from: DialogState, to: DialogState) -> DialogOutput {
    DialogOutput::StateChanged { from, to }
}

pub fn forward(from: Leg, cseq: Option<u32>) -> Option<RequestVerdict> {
    Some(RequestVerdict::Forward { from, cseq })
}

pub fn rejected(code: u16, reason: &'static str) -> Option<RequestVerdict> {
    Some(RequestVerdict::Reject { code, reason })
}
