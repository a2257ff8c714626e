//! [`NodeBackend`]: the API's [`DialogsBackend`] for a node of a cluster. Calls about one
//! dialog run where the dialog is driven ([`crate::owners`]): here through the proxy, or
//! forwarded to the owner. Lists ask every member for the dialogs it drives (one call each;
//! a member that cannot answer is shown from the replicated records). Profile reads come from
//! the replicated state (linearizable unless `stale_ok`). Store errors become `Unavailable`
//! (try again or elsewhere); a dialog that is gone is `NotFound`.

mod call_control;
mod ops;
pub mod raft_cluster;

use std::collections::BTreeMap;
use std::sync::Arc;

use dialogd_api::{BackendError, DialogFilter, DialogsBackend, EndSide, ProfileValues};
use dialogd_dialog::{
    Admission, AdmitError, BoxFuture, DialogId, DialogSnapshot, ProfileKey, Stats,
};
use dialogd_proxy::proxy::{ControlError, Proxy};

use crate::owners::Owners;

/// The node's implementation of the API backend.
pub struct NodeBackend {
    pub node_id: u64,
    pub proxy: Proxy,
    pub admission: Arc<dyn Admission>,
    /// This node's Raft member (stale reads, cluster-wide stats, records).
    pub cluster: Arc<dialogd_cluster::ClusterNode>,
    /// Owner lookup and forwarding.
    pub owners: Arc<Owners>,
}

pub(crate) fn store_error(e: AdmitError) -> BackendError {
    match e {
        AdmitError::Unknown(did) => BackendError::NotFound(format!("dialog {did} not found")),
        other => BackendError::Unavailable(other.to_string()),
    }
}

impl DialogsBackend for NodeBackend {
    fn stats(&self) -> BoxFuture<'_, Result<(u64, Stats), BackendError>> {
        let stats = self.proxy.stats();
        let node = self.node_id;
        Box::pin(async move { Ok((node, stats)) })
    }

    fn list(
        &self,
        filter: DialogFilter,
    ) -> BoxFuture<'_, Result<Vec<DialogSnapshot>, BackendError>> {
        Box::pin(self.list_cluster(filter))
    }

    fn get(&self, id: DialogId) -> BoxFuture<'_, Result<Option<DialogSnapshot>, BackendError>> {
        Box::pin(self.get_anywhere(id))
    }

    fn find<'a>(
        &'a self,
        call_id: &'a str,
        from_tag: &'a str,
    ) -> BoxFuture<'a, Result<Option<DialogSnapshot>, BackendError>> {
        Box::pin(self.find_anywhere(call_id, from_tag))
    }

    fn end(
        &self,
        id: DialogId,
        side: EndSide,
        extra_headers: Vec<String>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(self.end_at_owner(id, side, extra_headers))
    }

    fn set_timeout(&self, id: DialogId, seconds: u32) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(self.set_timeout_at_owner(id, seconds))
    }

    fn cluster_stats(&self) -> BoxFuture<'_, Result<Option<Stats>, BackendError>> {
        Box::pin(async move {
            match self
                .cluster
                .read(dialogd_cluster::network::ReadRequest::Counters, false)
                .await
            {
                Ok(dialogd_cluster::network::ReadReply::Counters(c, early, active)) => {
                    Ok(Some(Stats {
                        active,
                        early,
                        processed: c.processed,
                        expired: c.expired,
                        failed: c.failed,
                    }))
                }
                Ok(_) => Ok(None),
                Err(e) => Err(BackendError::Unavailable(e.to_string())),
            }
        })
    }

    fn profile_size<'a>(
        &'a self,
        name: &'a str,
        value: Option<&'a str>,
        stale_ok: bool,
    ) -> BoxFuture<'a, Result<u64, BackendError>> {
        Box::pin(async move {
            if stale_ok {
                let state = self.cluster.state();
                let s = state.read().unwrap_or_else(|e| e.into_inner());
                return Ok(s.profile_size(name, value));
            }
            self.admission
                .profile_size(name, value)
                .await
                .map_err(store_error)
        })
    }

    fn profile_dialogs<'a>(
        &'a self,
        name: &'a str,
        value: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<DialogId>, BackendError>> {
        Box::pin(async move {
            self.admission
                .profile_dialogs(name, value)
                .await
                .map_err(store_error)
        })
    }

    fn profile_values<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ProfileValues, BackendError>> {
        Box::pin(async move {
            self.admission
                .profile_values(name)
                .await
                .map_err(store_error)
        })
    }

    fn terminate_by_call_id(
        &self,
        call_id: String,
        extra_headers: Vec<String>,
    ) -> BoxFuture<'_, Result<Vec<DialogId>, BackendError>> {
        Box::pin(self.terminate_call(call_id, extra_headers))
    }

    fn set_timeout_by_profile(
        &self,
        name: String,
        value: Option<String>,
        seconds: u32,
    ) -> BoxFuture<'_, Result<u64, BackendError>> {
        Box::pin(self.set_profile_timeouts(name, value, seconds))
    }

    fn set_var(
        &self,
        id: DialogId,
        name: String,
        value: String,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let (n, v) = (name.clone(), value.clone());
            let local = self.proxy.set_var(id, name, value);
            self.at_owner(
                id,
                local,
                move |c| async move { c.set_var(id, &n, &v).await },
            )
            .await
        })
    }

    fn get_vars(
        &self,
        id: DialogId,
    ) -> BoxFuture<'_, Result<BTreeMap<String, String>, BackendError>> {
        Box::pin(async move {
            let local = self.proxy.vars(id);
            self.at_owner(
                id,
                local,
                move |c| async move { c.get_vars(id, None).await },
            )
            .await
        })
    }

    fn unset_var(&self, id: DialogId, name: String) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let n = name.clone();
            let local = self.proxy.unset_var(id, name);
            self.at_owner(id, local, move |c| async move { c.unset_var(id, &n).await })
                .await
        })
    }

    fn set_flag(&self, id: DialogId, flag: u32) -> BoxFuture<'_, Result<u32, BackendError>> {
        Box::pin(async move {
            let local = self.proxy.set_flag(id, flag);
            self.at_owner(
                id,
                local,
                move |c| async move { c.set_flag(id, flag).await },
            )
            .await
        })
    }

    fn reset_flag(&self, id: DialogId, flag: u32) -> BoxFuture<'_, Result<u32, BackendError>> {
        Box::pin(async move {
            let local = self.proxy.reset_flag(id, flag);
            self.at_owner(
                id,
                local,
                move |c| async move { c.reset_flag(id, flag).await },
            )
            .await
        })
    }

    fn set_profile(
        &self,
        id: DialogId,
        profile: ProfileKey,
        limit: Option<u32>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let p = profile.clone();
            let local = self.proxy.add_profile(id, profile, limit);
            self.at_owner(id, local, move |c| async move {
                c.set_profile(id, &p, limit).await
            })
            .await
        })
    }

    fn unset_profile(
        &self,
        id: DialogId,
        profile: ProfileKey,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let p = profile.clone();
            let local = self.proxy.remove_profile(id, profile);
            self.at_owner(
                id,
                local,
                move |c| async move { c.unset_profile(id, &p).await },
            )
            .await
        })
    }

    fn set_triggers(
        &self,
        id: DialogId,
        names: Vec<String>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let n = names.clone();
            let local = self.proxy.set_triggers(id, names);
            self.at_owner(
                id,
                local,
                move |c| async move { c.set_triggers(id, n).await },
            )
            .await
        })
    }
}

/// The `Events` stream: this node's dialog events, straight from the proxy's bus.
impl dialogd_api::EventsBackend for NodeBackend {
    fn subscribe(
        &self,
    ) -> Result<tokio::sync::broadcast::Receiver<dialogd_dialog::DialogEvent>, BackendError> {
        Ok(self.proxy.subscribe_events())
    }
}

/// A proxy control error as the API reports it.
pub(crate) fn control_error(e: ControlError) -> BackendError {
    match e {
        ControlError::NotFound(_)
        | ControlError::NotInProfile(..)
        | ControlError::VarNotSet(..) => BackendError::NotFound(e.to_string()),
        ControlError::NotConfirmed(_)
        | ControlError::Refused { .. }
        | ControlError::Precondition { .. } => BackendError::FailedPrecondition(e.to_string()),
        ControlError::NoAnswer { .. } => BackendError::Unavailable(e.to_string()),
        ControlError::InvalidArgument(_) => BackendError::InvalidArgument(e.to_string()),
        ControlError::ProfileFull { .. } => BackendError::ResourceExhausted(e.to_string()),
        ControlError::Unavailable(_) => BackendError::Unavailable(e.to_string()),
    }
}
