//! `dialogd-dialog`: the life of a dialog, sans-IO.
//!
//! Owns the dialog state machine ([`Dialog`]): direction and tight Call-ID/tag matching
//! ([`matching`]), `validate_dialog` (CSeq order per direction, [`CseqTracker`]), the
//! [`CseqMap`] for proxy-generated requests, route sets ([`RouteSet`]), downstream forking
//! ([`Branches`]), 32 flags, vars, profile membership and timeout bookkeeping
//! ([`TimeoutClock`]); plus the domain types shared by the proxy, the profile store and the
//! API ([`DialogId`], [`DialogState`], [`ProfileKey`], [`Admission`], [`DialogSnapshot`],
//! [`Stats`]). Never touches sockets, clocks or tokio, and never parses SIP: the proxy passes
//! the facts of each message ([`facts`]) and carries out what comes back ([`output`]).
//!
//! Call control driven by the proxy itself sits beside the dialog, one machine per
//! file: keep-alive probing of the legs ([`Keepalive`]) and the progress and Refer-To values
//! of a transfer ([`transfer`], [`TransferState`]). Requests the proxy sends are numbered and
//! the endpoints' later CSeqs shifted by the [`CseqMap`]; SDP for hold and unhold is
//! [`dialogd_sip::sdp`]'s.
//!
//! ```text
//!  proxy: SipMessage ──facts──▶ Dialog::handle_* (now, facts) ──▶ RequestVerdict
//!                                       │ poll_output(): StateChanged | SendRequest |
//!                                       │                TimeoutChanged | TimeoutTrigger | Ended
//!                                       └ poll_timeout(): the dialog timeout
//!  actor: (now, probe outcome) ──▶ Keepalive ──▶ SendProbe | Dead    poll_timeout()
//!         REFER / NOTIFY status ──▶ TransferState ──▶ start | notify | ok | fail
//! ```

pub mod admission;
pub mod branches;
pub mod call_control;
pub mod config;
pub mod cseq;
pub mod cseq_map;
pub mod dialog;
pub mod error;
pub mod event;
pub mod facts;
pub mod flags;
pub mod id;
pub mod keepalive;
pub mod matching;
pub mod media;
pub mod output;
pub mod packed;
pub mod profile;
pub mod record;
pub mod record_bytes;
pub mod record_match;
pub mod route_set;
pub mod snapshot;
pub mod state;
pub mod timeout;
pub mod transfer;
pub mod trigger;

#[cfg(test)]
mod test_call;

pub use admission::{Admission, AdmitError, AdmitRequest, BoxFuture, ProfileValues};
pub use branches::{BranchRole, Branches};
pub use call_control::{
    BridgeRequest, BridgeStarted, HoldMode, LegResult, LinkMode, TransferStarted,
};
pub use config::{DEFAULT_TIMEOUT, DialogConfig, MatchMode};
pub use cseq::{CseqFault, CseqTracker};
pub use cseq_map::CseqMap;
pub use dialog::Dialog;
pub use error::Error;
pub use event::{ControlEvent, DialogEvent, EventKind};
pub use facts::{DialogSettings, InitialInvite, RequestFacts, ResponseFacts};
pub use flags::DialogFlags;
pub use id::DialogId;
pub use keepalive::{
    DEFAULT_FAILED_LIMIT, Keepalive, KeepaliveConfig, KeepaliveOutput, MAX_KEEPALIVE_INTERVAL,
    MIN_KEEPALIVE_INTERVAL, ProbeFailure, ProbeId, ProbeOutcome,
};
pub use matching::{DialogKey, DidCookie, Lookup, MatchOutcome};
pub use media::{Media, MediaError};
pub use output::{Body, DialogOutput, GeneratedRequest, RequestVerdict};
pub use packed::{PackedDialog, UnpackError};
pub use profile::{ProfileKey, ProfileMembership};
pub use record::{CSEQ_TAKEOVER_JUMP, DialogRecord, LegRecord};
pub use record_bytes::RecordBytes;
pub use record_match::{RecordMismatch, RequestIds};
pub use route_set::RouteSet;
pub use snapshot::{DialogSnapshot, LegView, Stats};
pub use state::{DialogState, EndCause, Leg};
pub use timeout::TimeoutClock;
pub use transfer::{TransferFailure, TransferState};
pub use trigger::{TimeoutDecision, TriggerKind, TriggerSink};
