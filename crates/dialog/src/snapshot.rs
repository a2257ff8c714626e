//! Read-only views of dialogs and counters, as the API and the CLI show them.

use std::collections::BTreeMap;

use crate::id::DialogId;
use crate::profile::ProfileKey;
use crate::state::{DialogState, EndCause};

/// One side of a dialog as the proxy knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LegView {
    /// From URI (caller) or To URI (callee).
    pub uri: String,
    /// The tag of this side (From tag of the caller, To tag of the callee).
    pub tag: Option<String>,
    /// The Contact this side gave.
    pub contact: Option<String>,
    /// The last CSeq this side sent.
    pub cseq: u32,
    /// The route set towards this side.
    pub route_set: Vec<String>,
    /// Where this side's requests came from (`udp:1.2.3.4:5060`).
    pub source: Option<String>,
}

/// A dialog as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DialogSnapshot {
    pub did: DialogId,
    pub call_id: String,
    pub state: DialogState,
    pub caller: LegView,
    pub callee: LegView,
    /// The initial INVITE's request-URI.
    pub request_uri: String,
    /// Unix milliseconds of the initial INVITE.
    pub start_unix_ms: u64,
    /// Unix milliseconds of the 2xx, if answered.
    pub answer_unix_ms: Option<u64>,
    /// The dialog timeout in seconds.
    pub timeout_secs: u32,
    /// Seconds left until the timeout fires (confirmed dialogs only).
    pub timeout_left_secs: Option<u64>,
    pub bye_on_timeout: bool,
    pub timeout_noreset: bool,
    pub flags: u32,
    pub vars: BTreeMap<String, String>,
    pub profiles: Vec<ProfileKey>,
    /// Node that drives the dialog now.
    pub owner_node: u64,
    /// Set once the dialog is deleted.
    pub end_cause: Option<EndCause>,
    /// Trigger names attached to the dialog (on_answer, on_timeout, on_hangup go to the
    /// controllers serving them).
    #[serde(default)]
    pub triggers: Vec<String>,
}

/// Node counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    /// Dialogs in states 3 and 4 now.
    pub active: u64,
    /// Dialogs in states 1 and 2 now.
    pub early: u64,
    /// Dialogs confirmed since start (Kamailio's `processed_dialogs`: counted at the 2xx).
    pub processed: u64,
    /// Confirmed dialogs ended by their timeout, since start.
    pub expired: u64,
    /// Dialogs that never got confirmed (non-2xx, CANCEL, timer B), since start.
    pub failed: u64,
}
