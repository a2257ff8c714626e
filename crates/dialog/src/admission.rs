//! The admission interface between the proxy and the profile store: one atomic "admit with
//! limits" call per new dialog and one "release" when it ends. The single-node store
//! (`dialogd_cluster::LocalStore`) and the Raft store (`dialogd_cluster::RaftStore`) implement
//! it; the proxy only sees this trait.

use std::future::Future;
use std::pin::Pin;

use crate::id::DialogId;
use crate::profile::{ProfileKey, ProfileMembership};
use crate::record::DialogRecord;
use crate::state::EndCause;

/// A boxed, sendable future (keeps the trait usable as `dyn Admission`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Every value of a profile with its count (`None`: the profile has no values).
pub type ProfileValues = Vec<(Option<String>, u64)>;

/// Why admission (or another store operation) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmitError {
    /// A profile is full: the INVITE is rejected (486 by default).
    #[error("profile {key} is full (limit {limit})")]
    LimitReached { key: ProfileKey, limit: u32 },
    /// The store cannot decide now (no quorum, shutting down): retry later, 503.
    #[error("profile store unavailable: {0}")]
    Unavailable(String),
    /// The store is behind (more writes queued than it can commit in time): a new call is
    /// refused at once, 503 with Retry-After, and nothing was written.
    #[error("overloaded: {0}")]
    Overloaded(String),
    /// The dialog is already admitted (a retransmission or a spiral).
    #[error("dialog {0} is already admitted")]
    Duplicate(DialogId),
    /// The dialog is unknown to the store.
    #[error("dialog {0} is not admitted")]
    Unknown(DialogId),
}

/// A request to admit one dialog into all its profiles at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmitRequest {
    pub did: DialogId,
    pub profiles: Vec<ProfileMembership>,
    /// The dialog as the cluster should keep it (state 1); `None` keeps only the counts.
    pub record: Option<Box<DialogRecord>>,
}

/// A profile store that counts dialogs exactly.
pub trait Admission: Send + Sync + 'static {
    /// Checks every limit and inserts every membership atomically, or changes nothing.
    fn admit(&self, req: AdmitRequest) -> BoxFuture<'_, Result<(), AdmitError>>;
    /// Replaces the replicated record of an admitted dialog (confirmed, timeout, vars or
    /// flags changed). A store that keeps no records accepts and ignores it.
    fn update(&self, record: DialogRecord) -> BoxFuture<'_, Result<(), AdmitError>> {
        let _ = record;
        Box::pin(async { Ok(()) })
    }
    /// Whether another node than `node` owns the dialog now, as the cluster's latest committed
    /// state says (a linearizable read; when none can be made in a bounded time, this node's
    /// own copy). Asked before a timeout fires, so a node that was frozen or cut off never
    /// sends the BYEs of a dialog that moved meanwhile. A store without owners: never.
    fn owned_elsewhere(&self, did: DialogId, node: u64) -> BoxFuture<'_, bool> {
        let _ = (did, node);
        Box::pin(async { false })
    }
    /// The dialog's replicated record, as this node's copy holds it once it has caught up
    /// with the cluster (when it cannot within a bounded time: the copy as it is). Asked
    /// before acting on an in-dialog request for a dialog this node does not drive. A store
    /// that keeps no records: `None` (such requests are then refused).
    fn record(&self, did: DialogId) -> BoxFuture<'_, Option<DialogRecord>> {
        let _ = did;
        Box::pin(async { None })
    }
    /// The dialog's record as this node's copy holds it, packed, for a parked dialog to share
    /// instead of keeping a copy ([`crate::PackedDialog`]). Local and immediate: no
    /// catch-up. A store that keeps no packed records: `None` (the parked dialog keeps its
    /// own bytes).
    fn record_bytes(&self, did: DialogId) -> Option<crate::RecordBytes> {
        let _ = did;
        None
    }
    /// Makes `node` the dialog's owner if `from` still owns it: a member that received a
    /// request of the dialog and could not have it judged by `from` (dead, cut off, or not
    /// driving it) takes it over at once instead of after the takeover grace. Answers the
    /// record as the cluster holds it afterwards — owned by `node` when the claim took, by
    /// whoever moved it first otherwise — or `None` when the dialog is gone. A store without
    /// owners cannot move dialogs: `Unavailable`.
    fn claim(
        &self,
        did: DialogId,
        from: u64,
        node: u64,
    ) -> BoxFuture<'_, Result<Option<DialogRecord>, AdmitError>> {
        let _ = (did, from, node);
        Box::pin(async {
            Err(AdmitError::Unavailable(
                "dialogs have no owners here".into(),
            ))
        })
    }
    /// Removes the dialog from every profile. Releasing an unknown dialog is not an error
    /// (it makes release idempotent).
    fn release(&self, did: DialogId, cause: EndCause) -> BoxFuture<'_, Result<(), AdmitError>>;
    /// Adds a live dialog to one more profile, enforcing its limit.
    fn add_profile(
        &self,
        did: DialogId,
        m: ProfileMembership,
    ) -> BoxFuture<'_, Result<(), AdmitError>>;
    /// Removes a live dialog from one profile.
    fn remove_profile(
        &self,
        did: DialogId,
        key: ProfileKey,
    ) -> BoxFuture<'_, Result<(), AdmitError>>;
    /// Number of dialogs in a profile (with a value: that value only; without: all values).
    fn profile_size(
        &self,
        name: &str,
        value: Option<&str>,
    ) -> BoxFuture<'_, Result<u64, AdmitError>>;
    /// The dialogs in a profile (with a value: that value only).
    fn profile_dialogs(
        &self,
        name: &str,
        value: Option<&str>,
    ) -> BoxFuture<'_, Result<Vec<DialogId>, AdmitError>>;
    /// Every value of a profile with its count (a profile without value reports `None`).
    fn profile_values(&self, name: &str) -> BoxFuture<'_, Result<ProfileValues, AdmitError>>;
}
