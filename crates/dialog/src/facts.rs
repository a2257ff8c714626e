//! The facts the proxy extracts from a SIP message for the dialog machine: plain data, so
//! the machine never parses SIP and is tested with tables. What the machine answers and emits
//! is in [`crate::output`].
//!
//! | message | facts | fed to |
//! |---|---|---|
//! | initial INVITE | [`InitialInvite`] (+ [`DialogSettings`] from the policy) | [`crate::Dialog::new`] |
//! | response to the initial INVITE | [`ResponseFacts`] | [`crate::Dialog::handle_response`] |
//! | request with a To tag | [`RequestFacts`] | [`crate::Dialog::handle_request`] |
//!
//! Header values are kept as written (`"Alice" <sip:alice@a.example>;tag=1928`); tags are the
//! `tag` parameters; Contacts are the URIs without angle brackets.

use std::collections::BTreeMap;
use std::time::Duration;

use dialogd_sip::Method;

use crate::keepalive::KeepaliveConfig;
use crate::profile::ProfileKey;

/// The initial INVITE as the proxy received it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// towards the caller, nearest first ([`crate::RouteSet::towards_caller`]).
    pub record_route: Vec<String>,
    /// Where the INVITE came from (`udp:1.2.3.4:5060`).
    pub source: Option<String>,
}

/// Per-dialog settings decided by the policy (or the API).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialogSettings {
    /// Dialog timeout; `None` = the node default ([`crate::DialogConfig::default_timeout`]).
    pub timeout: Option<Duration>,
    /// Sequential requests do not reset the timeout.
    pub timeout_noreset: bool,
    /// Send BYE to both legs when the timeout fires.
    pub bye_on_timeout: bool,
    /// The 32 dialog flags (bit `i` = flag `i`).
    pub flags: u32,
    pub vars: BTreeMap<String, String>,
    pub profiles: Vec<ProfileKey>,
    /// Header lines (`Reason: ...`, no CRLF) added to every BYE the proxy sends for this dialog.
    pub bye_extra_headers: Vec<String>,
    /// Trigger names attached to the dialog (rule `triggers`).
    pub triggers: Vec<String>,
    /// In-dialog OPTIONS probing of the legs once answered (rule `keepalive`); `None`: off.
    pub keepalive: Option<KeepaliveConfig>,
}

/// A response to the initial INVITE (any other response is ignored by the dialog).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseFacts {
    pub status: u16,
    /// To header value (with the callee's tag).
    pub to: String,
    pub to_tag: Option<String>,
    /// The callee's Contact URI.
    pub contact: Option<String>,
    /// The Record-Route elements ABOVE ours (added by proxies downstream of us), top first —
    /// the elements before the first one carrying our `did`. The proxy cuts them off so the
    /// dialog never has to recognise its own element ([`crate::RouteSet::towards_callee`]).
    pub record_route_above: Vec<String>,
    pub cseq: u32,
    /// The CSeq method, when known (a response whose CSeq is not the INVITE's is ignored).
    pub cseq_method: Option<Method>,
}

/// An in-dialog request (it has a To tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    pub method: Method,
    pub call_id: String,
    pub from_tag: Option<String>,
    pub to_tag: Option<String>,
    /// The CSeq number as the sender wrote it.
    pub cseq: u32,
    /// The sender's Contact URI (target refresh).
    pub contact: Option<String>,
    /// The proxy found the dialog through a valid `did` cookie: a request that does not fit
    /// the dialog is then a forgery, not another dialog's request.
    pub matched_by_did: bool,
}
