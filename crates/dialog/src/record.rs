//! [`DialogRecord`]: what the cluster replicates about a dialog — everything a
//! node needs to keep driving a dialog it did not create: send BYEs to both legs, fire its
//! timeout, answer API calls. Per-request detail (each CSeq) stays in the owner's actor; the
//! record is written at the transitions that matter (admitted, confirmed, timeout/vars/flags
//! changed) and a node that adopts it jumps the CSeqs ([`CSEQ_TAKEOVER_JUMP`]).
//!
//! Times are Unix milliseconds (records travel between nodes, `Instant`s do not).

use std::collections::BTreeMap;

use crate::id::DialogId;
use crate::keepalive::KeepaliveConfig;
use crate::profile::ProfileKey;
use crate::state::DialogState;

/// How far a node that adopts a dialog moves each leg's CSeq past the replicated one, so
/// the requests it sends are newer than any the old owner sent after the last write.
pub const CSEQ_TAKEOVER_JUMP: u32 = 1000;

/// One leg as replicated.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LegRecord {
    /// The header value naming this side (caller: the INVITE's From; callee: the 2xx's To,
    /// both with their tag).
    pub header: String,
    /// This side's URI (From URI / To URI).
    pub uri: String,
    pub tag: Option<String>,
    /// This side's Contact URI (remote target).
    pub contact: Option<String>,
    /// Route values towards this side, nearest hop first.
    pub route_set: Vec<String>,
    /// The highest CSeq this side sent that the owner had seen when the record was written.
    pub cseq: u32,
    /// Where this side's requests came from (`udp:1.2.3.4:5060`).
    pub source: Option<String>,
}

/// A dialog as the cluster keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DialogRecord {
    pub did: DialogId,
    pub call_id: String,
    pub state: DialogState,
    /// The node whose actor drives the dialog.
    pub owner: u64,
    pub caller: LegRecord,
    /// Empty (default) until the dialog is confirmed.
    pub callee: LegRecord,
    /// The initial INVITE's request-URI and To value (before the callee's tag).
    pub request_uri: String,
    pub invite_to: String,
    pub invite_cseq: u32,
    pub start_unix_ms: u64,
    pub answer_unix_ms: Option<u64>,
    /// The dialog timeout in seconds.
    pub timeout_secs: u32,
    /// When the timeout fires (confirmed dialogs), Unix ms.
    pub timeout_at_unix_ms: Option<u64>,
    pub timeout_noreset: bool,
    pub bye_on_timeout: bool,
    pub bye_extra_headers: Vec<String>,
    pub flags: u32,
    pub vars: BTreeMap<String, String>,
    pub profiles: Vec<ProfileKey>,
    /// Trigger names attached to the dialog.
    pub triggers: Vec<String>,
    /// The keep-alive configuration: an adopting node starts probing afresh. Absent in JSON
    /// records written before it existed (always written since: the cluster's binary
    /// encoding has no optional fields).
    #[serde(default)]
    pub keepalive: Option<KeepaliveConfig>,
}
