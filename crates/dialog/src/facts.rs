//! The facts the proxy extracts from a SIP message for the dialog machine, and what the machine
//! answers and emits. Plain data: the machine never parses SIP, so it is tested with tables.

use std::collections::BTreeMap;
use std::time::Duration;

use dialogd_sip::Method;

use crate::profile::ProfileKey;
use crate::state::{DialogState, EndCause, Leg};

/// The initial INVITE as the proxy received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitialInvite {
    pub call_id: String,
    /// From header value (with the caller's tag).
    pub from: String,
    pub from_tag: String,
    pub from_uri: String,
    /// To header value (no tag yet).
    pub to: String,
    pub to_uri: String,
    pub request_uri: String,
    pub cseq: u32,
    /// The caller's Contact URI.
    pub contact: Option<String>,
    /// Record-Route values as received (before ours was added), top first: the route set
    /// towards the caller, nearest first.
    pub record_route: Vec<String>,
    /// Where the INVITE came from (`udp:1.2.3.4:5060`).
    pub source: Option<String>,
}

/// Per-dialog settings decided by the policy (or the API).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialogSettings {
    /// Dialog timeout; `None` = the node default.
    pub timeout: Option<Duration>,
    /// Sequential requests do not reset the timeout.
    pub timeout_noreset: bool,
    /// Send BYE to both legs when the timeout fires.
    pub bye_on_timeout: bool,
    pub flags: u32,
    pub vars: BTreeMap<String, String>,
    pub profiles: Vec<ProfileKey>,
    /// Header lines added to every BYE the proxy sends for this dialog.
    pub bye_extra_headers: Vec<String>,
}

/// A response to the initial INVITE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseFacts {
    pub status: u16,
    /// To header value (with the callee's tag).
    pub to: String,
    pub to_tag: Option<String>,
    /// The callee's Contact URI.
    pub contact: Option<String>,
    /// Record-Route values ABOVE ours (added by proxies downstream of us), top first.
    pub record_route_above: Vec<String>,
    pub cseq: u32,
    pub cseq_method: Option<Method>,
}

/// An in-dialog request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    pub method: Method,
    pub call_id: String,
    pub from_tag: Option<String>,
    pub to_tag: Option<String>,
    pub cseq: u32,
    /// The sender's Contact URI (target refresh).
    pub contact: Option<String>,
    /// The request named this dialog by a valid `did`.
    pub matched_by_did: bool,
}

/// What the proxy does with an in-dialog request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestVerdict {
    /// Forward it; `cseq` is the number to write if the CSeq map shifts it.
    Forward { from: Leg, cseq: Option<u32> },
    /// Answer it with this code and reason; do not forward.
    Reject { code: u16, reason: &'static str },
    /// Not a request of this dialog.
    NotMatched,
}

/// A request the dialog wants the proxy to send (BYE on timeout or end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedRequest {
    /// The leg it goes to.
    pub leg: Leg,
    pub method: Method,
    pub request_uri: String,
    /// Route values, nearest first.
    pub route_set: Vec<String>,
    /// From header value with tag.
    pub from: String,
    /// To header value with tag.
    pub to: String,
    pub call_id: String,
    pub cseq: u32,
    pub extra_headers: Vec<String>,
}

/// What the dialog machine emits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogOutput {
    StateChanged { from: DialogState, to: DialogState },
    SendRequest(GeneratedRequest),
    Ended(EndCause),
}

/// How in-dialog requests are matched to dialogs (Kamailio `dlg_match_mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MatchMode {
    /// Only by our `did`.
    DidOnly,
    /// By `did`, else by Call-ID and tags.
    #[default]
    DidFallback,
    /// Only by Call-ID and tags.
    DidNone,
}
