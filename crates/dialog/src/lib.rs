//! `dialogd-dialog`: the dialog life of DESIGN.md §2, sans-IO.
//!
//! Owns the dialog state machine ([`Dialog`]): direction and tight Call-ID/tag matching,
//! `validate_dialog` (CSeq order per direction), per-leg CSeq tracking and the [`CseqMap`] for
//! proxy-generated requests, downstream forking, flags, vars, profile membership and timeout
//! bookkeeping; plus the domain types shared by the proxy, the profile store and the API
//! ([`DialogId`], [`DialogState`], [`ProfileKey`], [`Admission`], [`DialogSnapshot`], [`Stats`]).
//! Never touches sockets, clocks or tokio.
//!
//! ```text
//!  proxy: SipMessage ──facts──▶ Dialog::handle_* (now, facts) ──▶ RequestVerdict
//!                                       │ poll_output(): StateChanged | SendRequest | Ended
//!                                       └ poll_timeout(): the dialog timeout
//! ```

pub mod admission;
pub mod cseq_map;
pub mod dialog;
pub mod facts;
pub mod id;
pub mod profile;
pub mod snapshot;
pub mod state;

pub use admission::{Admission, AdmitError, AdmitRequest, BoxFuture};
pub use cseq_map::CseqMap;
pub use dialog::Dialog;
pub use facts::{
    DialogOutput, DialogSettings, GeneratedRequest, InitialInvite, MatchMode, RequestFacts,
    RequestVerdict, ResponseFacts,
};
pub use id::DialogId;
pub use profile::{ProfileKey, ProfileMembership};
pub use snapshot::{DialogSnapshot, LegView, Stats};
pub use state::{DialogState, EndCause, Leg};
