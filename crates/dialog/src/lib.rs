//! `dialogd-dialog`: the dialog life of DESIGN.md §2, sans-IO.
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
//! ```text
//!  proxy: SipMessage ──facts──▶ Dialog::handle_* (now, facts) ──▶ RequestVerdict
//!                                       │ poll_output(): StateChanged | SendRequest |
//!                                       │                TimeoutChanged | TimeoutTrigger | Ended
//!                                       └ poll_timeout(): the dialog timeout
//! ```

pub mod admission;
pub mod branches;
pub mod config;
pub mod cseq;
pub mod cseq_map;
pub mod dialog;
pub mod error;
pub mod event;
pub mod facts;
pub mod flags;
pub mod id;
pub mod matching;
pub mod output;
pub mod profile;
pub mod record;
pub mod route_set;
pub mod snapshot;
pub mod state;
pub mod timeout;
pub mod trigger;

#[cfg(test)]
mod test_call;

pub use admission::{Admission, AdmitError, AdmitRequest, BoxFuture, ProfileValues};
pub use branches::{BranchRole, Branches};
pub use config::{DEFAULT_TIMEOUT, DialogConfig, MatchMode};
pub use cseq::{CseqFault, CseqTracker};
pub use cseq_map::CseqMap;
pub use dialog::Dialog;
pub use error::Error;
pub use event::{DialogEvent, EventKind};
pub use facts::{DialogSettings, InitialInvite, RequestFacts, ResponseFacts};
pub use flags::DialogFlags;
pub use id::DialogId;
pub use matching::{DialogKey, DidCookie, Lookup, MatchOutcome};
pub use output::{DialogOutput, GeneratedRequest, RequestVerdict};
pub use profile::{ProfileKey, ProfileMembership};
pub use record::{CSEQ_TAKEOVER_JUMP, DialogRecord, LegRecord};
pub use route_set::RouteSet;
pub use snapshot::{DialogSnapshot, LegView, Stats};
pub use state::{DialogState, EndCause, Leg};
pub use timeout::TimeoutClock;
pub use trigger::{TimeoutDecision, TriggerKind, TriggerSink};
