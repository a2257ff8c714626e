//! [`NodeBackend`]: the API's [`DialogsBackend`] over this node's proxy (dialog views, ending
//! dialogs) and its profile store (sizes, members, values). Store errors become
//! `Unavailable` (try again or elsewhere); a dialog that is gone is `NotFound`.

use std::sync::Arc;

use dialogd_api::{BackendError, DialogFilter, DialogsBackend, EndSide, ProfileValues};
use dialogd_dialog::{Admission, AdmitError, BoxFuture, DialogId, DialogSnapshot, Stats};
use dialogd_proxy::proxy::{ControlError, Proxy};

/// The node's implementation of the API backend.
pub struct NodeBackend {
    pub node_id: u64,
    pub proxy: Proxy,
    pub admission: Arc<dyn Admission>,
    /// This node's Raft member (stale reads, cluster-wide stats).
    pub cluster: Arc<dialogd_cluster::ClusterNode>,
}

fn store_error(e: AdmitError) -> BackendError {
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
        Box::pin(async move {
            let mut out = Vec::new();
            for s in self.proxy.snapshots_after(filter.after).await {
                if filter.matches(&s) {
                    out.push(s);
                    if filter.limit.is_some_and(|l| out.len() >= l) {
                        break;
                    }
                }
            }
            Ok(out)
        })
    }

    fn get(&self, id: DialogId) -> BoxFuture<'_, Result<Option<DialogSnapshot>, BackendError>> {
        Box::pin(async move { Ok(self.proxy.snapshot(id).await) })
    }

    fn find<'a>(
        &'a self,
        call_id: &'a str,
        from_tag: &'a str,
    ) -> BoxFuture<'a, Result<Option<DialogSnapshot>, BackendError>> {
        Box::pin(async move {
            for s in self.proxy.snapshots_by_call_id(call_id).await {
                if s.caller.tag.as_deref() == Some(from_tag) {
                    return Ok(Some(s));
                }
            }
            Ok(None)
        })
    }

    fn end(
        &self,
        id: DialogId,
        side: EndSide,
        extra_headers: Vec<String>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            self.proxy
                .end(id, side.legs(), extra_headers)
                .await
                .map_err(control_error)
        })
    }

    fn set_timeout(&self, id: DialogId, seconds: u32) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            self.proxy
                .set_timeout(id, std::time::Duration::from_secs(u64::from(seconds)))
                .await
                .map_err(control_error)
        })
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
fn control_error(e: ControlError) -> BackendError {
    match e {
        ControlError::NotFound(_) => BackendError::NotFound(e.to_string()),
        ControlError::NotConfirmed(_) => BackendError::FailedPrecondition(e.to_string()),
    }
}
