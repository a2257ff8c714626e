//! What the dialog machine answers ([`RequestVerdict`], returned by
//! [`crate::Dialog::handle_request`]) and emits ([`DialogOutput`], polled with
//! [`crate::Dialog::poll_output`]). The proxy carries these out; the machine never sends.

use std::time::Duration;

use dialogd_sip::Method;

use crate::state::{DialogState, EndCause, Leg};

/// What the proxy does with an in-dialog request.
///
/// | case | verdict |
/// |---|---|
/// | fits the dialog, CSeq in order | `Forward`, `cseq` set if [`crate::CseqMap`] shifts it |
/// | a request of a losing fork branch | `Forward` with `cseq: None`, the dialog untouched |
/// | CSeq lower than the sender's last | `Reject` 500 (RFC 3261 §12.2.2) |
/// | ACK/CANCEL naming no INVITE the sender sent last | `Reject` 481 (an ACK is dropped, never answered) |
/// | found by `did` but Call-ID/tags do not fit, or the dialog is over | `Reject` 481 |
/// | found by Call-ID but tags do not fit | `NotMatched` |
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestVerdict {
    /// Forward it; `cseq` is the number to write instead of the sender's, if any.
    Forward { from: Leg, cseq: Option<u32> },
    /// Answer it with this code and reason; do not forward.
    Reject { code: u16, reason: &'static str },
    /// Not a request of this dialog.
    NotMatched,
}

/// Reply to a request whose CSeq is below the sender's last one.
pub const CSEQ_OUT_OF_ORDER: (u16, &str) = (500, "CSeq Out Of Order");

/// A request the dialog wants the proxy to send (BYE on timeout or end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedRequest {
    /// The leg it goes to.
    pub leg: Leg,
    pub method: Method,
    /// The leg's last Contact.
    pub request_uri: String,
    /// Route values, nearest first ([`crate::RouteSet`]).
    pub route_set: Vec<String>,
    /// From header value with tag (the other leg's identity).
    pub from: String,
    /// To header value with tag (the leg's identity).
    pub to: String,
    pub call_id: String,
    /// The next number of the other leg's space as this leg sees it ([`crate::CseqMap`]).
    pub cseq: u32,
    /// Header lines to add (no CRLF).
    pub extra_headers: Vec<String>,
    /// The body (the SDP of a hold re-INVITE); `None`: no body.
    pub body: Option<Box<Body>>,
}

/// A body of a request the proxy sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// Its Content-Type (`application/sdp`).
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What the dialog machine emits, in order. When a dialog ends, its `SendRequest`s come
/// first, then `StateChanged` to [`DialogState::Deleted`], then `Ended` (the last output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogOutput {
    StateChanged {
        from: DialogState,
        to: DialogState,
    },
    SendRequest(GeneratedRequest),
    /// The dialog's timeout was changed by a command ([`crate::Dialog::set_timeout`]); worth
    /// replicating. The deadline itself is always [`crate::Dialog::poll_timeout`], which also
    /// moves on every reset by a sequential request (not reported here).
    TimeoutChanged {
        timeout: Duration,
    },
    /// The timeout fired on a dialog with triggers ([`crate::Dialog::triggers`]): ask the
    /// controllers (`on_timeout`, [`crate::TriggerSink::on_timeout`]) and hand their answer to
    /// [`crate::Dialog::decide_timeout`]. Until then the dialog goes on and its timer rests
    /// ([`crate::Dialog::poll_timeout`] is `None`); emitted once per firing.
    TimeoutTrigger,
    Ended(EndCause),
}
