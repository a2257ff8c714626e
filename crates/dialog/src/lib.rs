//! `dialogd-dialog`: the dialog life of DESIGN.md §2, sans-IO.
//!
//! Owns the dialog state machine: matching in-dialog requests (by `did` and Call-ID/tags),
//! `validate_dialog`, per-leg CSeq tracking and the CSeq mapping for proxy-generated requests,
//! flags, vars, profile membership and timeout bookkeeping; plus the domain types shared by the
//! proxy, the profile store and the API ([`DialogId`], [`DialogState`], [`ProfileKey`],
//! [`Admission`], [`DialogSnapshot`], [`Stats`]). Never touches sockets, clocks or tokio.

pub mod admission;
pub mod id;
pub mod profile;
pub mod snapshot;
pub mod state;

pub use admission::{Admission, AdmitError, AdmitRequest, BoxFuture};
pub use id::DialogId;
pub use profile::{ProfileKey, ProfileMembership};
pub use snapshot::{DialogSnapshot, LegView, Stats};
pub use state::{DialogState, EndCause, Leg};
