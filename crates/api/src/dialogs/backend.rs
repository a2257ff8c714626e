//! The interface between the API and the node: [`DialogsBackend`], what every `Dialogs` RPC asks
//! of the node once its arguments are validated, with the filter ([`DialogFilter`]), the side
//! of an end ([`EndSide`]) and the errors ([`BackendError`]) it speaks in. The node implements
//! the trait over its registry and profile store; tests implement it in memory. This file must
//! not know about gRPC: `status.rs` maps its errors to `Status`.

use std::collections::BTreeMap;

use dialogd_dialog::{BoxFuture, DialogId, DialogSnapshot, DialogState, Leg, ProfileKey, Stats};

/// Why a backend call failed. Messages are lower-case and carry the offending value; they are
/// shown to API users as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The dialog (or other named thing) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// An argument is invalid whatever the state of the system.
    #[error("{0}")]
    InvalidArgument(String),
    /// The request is valid but not in the dialog's current state (e.g. ending a deleted one).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The node cannot answer now (no quorum, shutting down): retry later or elsewhere.
    #[error("{0}")]
    Unavailable(String),
    /// A limit is reached (a profile is full): retry after it frees.
    #[error("{0}")]
    ResourceExhausted(String),
    /// A bug or an unexpected failure inside the node.
    #[error("{0}")]
    Internal(String),
}

/// Every value of a profile with its count; `None` stands for the dialogs in the profile
/// without a value.
pub type ProfileValues = Vec<(Option<String>, u64)>;

/// Which dialogs `list` returns: every `Some` criterion must hold. Also carries the paging
/// cursor: dialogs are listed in ascending id order, starting after `after`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialogFilter {
    /// Only dialogs with this Call-ID.
    pub call_id: Option<String>,
    /// Only dialogs whose caller (From) tag is this.
    pub from_tag: Option<String>,
    /// Only dialogs in this state.
    pub state: Option<DialogState>,
    /// Only dialogs in this profile; with `value: None`, in any value of the profile.
    pub profile: Option<ProfileKey>,
    /// Only dialogs driven by this node.
    pub owner_node: Option<u64>,
    /// Paging: only dialogs with an id greater than this.
    pub after: Option<DialogId>,
    /// Paging: the caller needs at most this many dialogs (the backend may return more; the
    /// service trims).
    pub limit: Option<usize>,
}

impl DialogFilter {
    /// True if `dialog` meets every criterion, the `after` cursor included (`limit` is not a
    /// criterion).
    pub fn matches(&self, dialog: &DialogSnapshot) -> bool {
        let profile_ok = self.profile.as_ref().is_none_or(|want| {
            dialog.profiles.iter().any(|have| {
                have.name == want.name && (want.value.is_none() || have.value == want.value)
            })
        });
        self.call_id.as_ref().is_none_or(|c| *c == dialog.call_id)
            && self
                .from_tag
                .as_ref()
                .is_none_or(|t| dialog.caller.tag.as_ref() == Some(t))
            && self.state.is_none_or(|s| s == dialog.state)
            && self.owner_node.is_none_or(|n| n == dialog.owner_node)
            && self.after.is_none_or(|after| dialog.did > after)
            && profile_ok
    }
}

/// Which leg(s) receive the BYE when the API ends a dialog.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum EndSide {
    /// BYE to both legs (the default).
    #[default]
    Both,
    /// BYE to the caller only.
    Caller,
    /// BYE to the callee only.
    Callee,
}

impl EndSide {
    /// The legs that receive a BYE.
    pub fn legs(self) -> &'static [Leg] {
        match self {
            EndSide::Both => &[Leg::Caller, Leg::Callee],
            EndSide::Caller => &[Leg::Caller],
            EndSide::Callee => &[Leg::Callee],
        }
    }

    /// Lower-case name (`both`, `caller`, `callee`).
    pub fn as_str(self) -> &'static str {
        match self {
            EndSide::Both => "both",
            EndSide::Caller => "caller",
            EndSide::Callee => "callee",
        }
    }
}

/// The answer of a backend that cannot do `what` (the default of the optional methods).
fn cannot<T: Send + 'static>(what: String) -> BoxFuture<'static, Result<T, BackendError>> {
    Box::pin(async move {
        Err(BackendError::FailedPrecondition(format!(
            "{what}: this backend cannot do it"
        )))
    })
}

/// What the `Dialogs` service needs from the node. Arguments reach it validated (ids parsed,
/// names non-empty, extra headers well formed). Object safe: the server holds an
/// `Arc<dyn DialogsBackend>`.
pub trait DialogsBackend: Send + Sync + 'static {
    /// This node's id and counters.
    fn stats(&self) -> BoxFuture<'_, Result<(u64, Stats), BackendError>>;

    /// Sets the dialog's timeout to `seconds` from now (checked: at least 1). `NotFound` if
    /// unknown. Backends without dialogs of their own refuse it.
    fn set_timeout(&self, id: DialogId, seconds: u32) -> BoxFuture<'_, Result<(), BackendError>> {
        let _ = seconds;
        Box::pin(async move {
            Err(BackendError::FailedPrecondition(format!(
                "dialog {id}: this backend cannot change timeouts"
            )))
        })
    }

    /// The cluster-wide counters, if this backend belongs to a cluster.
    fn cluster_stats(&self) -> BoxFuture<'_, Result<Option<Stats>, BackendError>> {
        Box::pin(async { Ok(None) })
    }

    /// Dialogs meeting `filter`, ideally in ascending id order and at most `filter.limit` of
    /// them; the service sorts, re-checks the filter and trims, so returning more is only
    /// slower, never wrong.
    fn list(
        &self,
        filter: DialogFilter,
    ) -> BoxFuture<'_, Result<Vec<DialogSnapshot>, BackendError>>;

    /// The dialog with this id, `None` if unknown.
    fn get(&self, id: DialogId) -> BoxFuture<'_, Result<Option<DialogSnapshot>, BackendError>>;

    /// The dialog with this Call-ID and caller (From) tag, `None` if unknown.
    fn find<'a>(
        &'a self,
        call_id: &'a str,
        from_tag: &'a str,
    ) -> BoxFuture<'a, Result<Option<DialogSnapshot>, BackendError>>;

    /// Ends the dialog: BYE to `side` with `extra_headers` (each `Name: value`, already
    /// checked), end cause `Api`. `NotFound` if unknown.
    fn end(
        &self,
        id: DialogId,
        side: EndSide,
        extra_headers: Vec<String>,
    ) -> BoxFuture<'_, Result<(), BackendError>>;

    /// Number of dialogs in a profile (with a value: that value only; without: all values);
    /// `stale_ok`: this node's copy may answer instead of a linearizable read at the leader.
    fn profile_size<'a>(
        &'a self,
        name: &'a str,
        value: Option<&'a str>,
        stale_ok: bool,
    ) -> BoxFuture<'a, Result<u64, BackendError>>;

    /// The dialogs in a profile (with a value: that value only).
    fn profile_dialogs<'a>(
        &'a self,
        name: &'a str,
        value: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<DialogId>, BackendError>>;

    /// Every value of a profile with its count (`None` for dialogs in the profile without value).
    fn profile_values<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ProfileValues, BackendError>>;

    /// Ends every confirmed dialog with this Call-ID (BYE to both legs with `extra_headers`,
    /// end cause `Api`); returns their ids. `NotFound` if there is none.
    fn terminate_by_call_id(
        &self,
        call_id: String,
        extra_headers: Vec<String>,
    ) -> BoxFuture<'_, Result<Vec<DialogId>, BackendError>> {
        let _ = extra_headers;
        cannot(format!("terminate call_id {call_id:?}"))
    }

    /// Sets the timeout of every live dialog in the profile (with a value: that value only)
    /// to `seconds` from now; returns how many changed.
    fn set_timeout_by_profile(
        &self,
        name: String,
        value: Option<String>,
        seconds: u32,
    ) -> BoxFuture<'_, Result<u64, BackendError>> {
        let _ = (value, seconds);
        cannot(format!("set timeouts of profile {name:?}"))
    }

    /// Sets a dialog variable (name and value checked). `NotFound` if the dialog is unknown.
    fn set_var(
        &self,
        id: DialogId,
        name: String,
        value: String,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        let _ = value;
        cannot(format!("dialog {id}: set var {name:?}"))
    }

    /// A dialog's variables. `NotFound` if the dialog is unknown.
    fn get_vars(
        &self,
        id: DialogId,
    ) -> BoxFuture<'_, Result<BTreeMap<String, String>, BackendError>> {
        cannot(format!("dialog {id}: read vars"))
    }

    /// Removes a dialog variable. `NotFound` if the dialog is unknown or the var not set.
    fn unset_var(&self, id: DialogId, name: String) -> BoxFuture<'_, Result<(), BackendError>> {
        cannot(format!("dialog {id}: unset var {name:?}"))
    }

    /// Sets flag `flag` (0..=31, checked); returns all 32 flags after the change.
    fn set_flag(&self, id: DialogId, flag: u32) -> BoxFuture<'_, Result<u32, BackendError>> {
        cannot(format!("dialog {id}: set flag {flag}"))
    }

    /// Clears flag `flag` (0..=31, checked); returns all 32 flags after the change.
    fn reset_flag(&self, id: DialogId, flag: u32) -> BoxFuture<'_, Result<u32, BackendError>> {
        cannot(format!("dialog {id}: reset flag {flag}"))
    }

    /// Adds a live dialog to a profile; with `limit`, `ResourceExhausted` if the profile
    /// (value) already holds that many dialogs cluster-wide.
    fn set_profile(
        &self,
        id: DialogId,
        profile: ProfileKey,
        limit: Option<u32>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        let _ = limit;
        cannot(format!("dialog {id}: set profile {:?}", profile.name))
    }

    /// Removes a live dialog from a profile; `NotFound` if it was not in it.
    fn unset_profile(
        &self,
        id: DialogId,
        profile: ProfileKey,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        cannot(format!("dialog {id}: unset profile {:?}", profile.name))
    }

    /// Replaces the trigger names attached to a dialog (names checked; empty: none).
    fn set_triggers(
        &self,
        id: DialogId,
        names: Vec<String>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        let _ = names;
        cannot(format!("dialog {id}: set triggers"))
    }
}

#[cfg(test)]
#[path = "backend_tests.rs"]
mod tests;
