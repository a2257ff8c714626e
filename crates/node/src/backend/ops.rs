//! The cluster-wide work behind [`NodeBackend`]'s API calls: running a call at the dialog's
//! owner ([`NodeBackend::at_owner`]), listing the dialogs of every member, finding a dialog
//! by Call-ID and From tag, and the calls on many dialogs (terminate by Call-ID, set the
//! timeouts of a profile).

use std::future::Future;
use std::time::Duration;

use dialogd_api::{BackendError, DialogFilter, EndSide};
use dialogd_cluster::DialogEntry;
use dialogd_dialog::{DialogId, DialogSnapshot};
use dialogd_proxy::proxy::ControlError;

use crate::backend::{NodeBackend, control_error, store_error};
use crate::owners::{Target, remote_error};
use crate::record_view::snapshot_of;

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl NodeBackend {
    /// Runs `local` if this node drives `id`, else `remote` with a client to its owner.
    pub(crate) async fn at_owner<T, L, R, RF>(
        &self,
        id: DialogId,
        local: L,
        remote: R,
    ) -> Result<T, BackendError>
    where
        L: Future<Output = Result<T, ControlError>>,
        R: FnOnce(dialogd_api::Client) -> RF,
        RF: Future<Output = dialogd_api::Result<T>>,
    {
        match self.owners.target(&self.proxy, id)? {
            Target::Local => local.await.map_err(control_error),
            Target::Remote(node, client) => {
                remote(*client).await.map_err(|e| remote_error(node, e))
            }
        }
    }

    /// The dialogs this node's proxy drives, meeting `filter`.
    async fn list_local(&self, filter: &DialogFilter) -> Vec<DialogSnapshot> {
        let mut out = Vec::new();
        for s in self.proxy.snapshots_after(filter.after).await {
            if filter.matches(&s) {
                out.push(s);
                if filter.limit.is_some_and(|l| out.len() >= l) {
                    break;
                }
            }
        }
        out
    }

    /// The dialogs `node` drives as the replicated records show them (when it cannot answer).
    fn list_records(&self, node: u64, filter: &DialogFilter) -> Vec<DialogSnapshot> {
        let now = unix_ms();
        let state = self.cluster.state();
        let s = state.read().unwrap_or_else(|e| e.into_inner());
        s.owned_by(node)
            .filter_map(|(_, e)| e.record())
            .map(|r| snapshot_of(&r, now))
            .filter(|d| filter.matches(d))
            .collect()
    }

    /// Every member's dialogs meeting `filter`: each member lists its own (in parallel); a
    /// call forwarded here lists only this node's.
    pub(crate) async fn list_cluster(
        &self,
        filter: DialogFilter,
    ) -> Result<Vec<DialogSnapshot>, BackendError> {
        if dialogd_api::is_forwarded() {
            return Ok(self.list_local(&filter).await);
        }
        let mut nodes = vec![self.node_id];
        nodes.extend(self.owners.peers(0));
        if let Some(only) = filter.owner_node {
            nodes.retain(|&n| n == only);
        }
        let lists = nodes.into_iter().map(|node| {
            let filter = filter.clone();
            async move {
                if node == self.node_id {
                    return self.list_local(&filter).await;
                }
                // Pages of at most 1000 (the API's cap), followed up to the caller's limit.
                let list = match self.owners.client(node) {
                    Ok(c) => c
                        .list(&filter, filter.limit)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                match list {
                    Ok(dialogs) => dialogs,
                    Err(e) => {
                        tracing::debug!(node, error = %e, "member cannot list; records shown");
                        self.list_records(node, &filter)
                    }
                }
            }
        });
        Ok(futures::future::join_all(lists)
            .await
            .into_iter()
            .flatten()
            .collect())
    }

    /// A dialog's view from its owner (or, if the owner cannot answer, from its record).
    pub(crate) async fn get_anywhere(
        &self,
        id: DialogId,
    ) -> Result<Option<DialogSnapshot>, BackendError> {
        let target = match self.owners.target(&self.proxy, id) {
            Ok(t) => t,
            Err(BackendError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        match target {
            Target::Local => Ok(self.proxy.snapshot(id).await),
            Target::Remote(node, client) => match client.get(id).await {
                Ok(d) => Ok(Some(d)),
                Err(e) => match remote_error(node, e) {
                    BackendError::NotFound(_) => Ok(None),
                    BackendError::Unavailable(msg) => {
                        tracing::debug!(node, %msg, "owner cannot answer; record shown");
                        Ok(self.record_view(id))
                    }
                    other => Err(other),
                },
            },
        }
    }

    fn record_view(&self, id: DialogId) -> Option<DialogSnapshot> {
        let state = self.cluster.state();
        let s = state.read().unwrap_or_else(|e| e.into_inner());
        s.dialog(id)
            .and_then(DialogEntry::record)
            .map(|r| snapshot_of(&r, unix_ms()))
    }

    /// The ids of the dialogs with this Call-ID (and From tag, if given) any node knows.
    fn ids_by_call(&self, call_id: &str, from_tag: Option<&str>) -> Vec<DialogId> {
        let mut ids: Vec<DialogId> = self
            .proxy
            .context()
            .registry
            .by_call_id(call_id)
            .into_iter()
            .map(|h| h.did)
            .collect();
        let state = self.cluster.state();
        let s = state.read().unwrap_or_else(|e| e.into_inner());
        ids.extend(s.dialogs().filter_map(|(did, e)| {
            if e.call_id()? != call_id {
                return None;
            }
            let tag_matches = from_tag.is_none_or(|t| {
                e.record()
                    .is_some_and(|r| r.caller.tag.as_deref() == Some(t))
            });
            tag_matches.then_some(*did)
        }));
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The dialog with this Call-ID and From tag, wherever it is driven.
    pub(crate) async fn find_anywhere(
        &self,
        call_id: &str,
        from_tag: &str,
    ) -> Result<Option<DialogSnapshot>, BackendError> {
        for id in self.ids_by_call(call_id, Some(from_tag)) {
            if let Some(d) = self.get_anywhere(id).await?
                && d.caller.tag.as_deref() == Some(from_tag)
            {
                return Ok(Some(d));
            }
        }
        Ok(None)
    }

    pub(crate) async fn end_at_owner(
        &self,
        id: DialogId,
        side: EndSide,
        extra_headers: Vec<String>,
    ) -> Result<(), BackendError> {
        self.at_owner(
            id,
            self.proxy.end(id, side.legs(), extra_headers.clone()),
            |c| async move { c.end(id, side, extra_headers).await },
        )
        .await
    }

    pub(crate) async fn set_timeout_at_owner(
        &self,
        id: DialogId,
        seconds: u32,
    ) -> Result<(), BackendError> {
        self.at_owner(
            id,
            self.proxy
                .set_timeout(id, Duration::from_secs(u64::from(seconds))),
            |c| async move { c.set_timeout(id, seconds).await },
        )
        .await
    }

    /// Ends every confirmed dialog with this Call-ID; the ids ended. NOT_FOUND if no node
    /// knows the Call-ID; the first error if none could be ended.
    pub(crate) async fn terminate_call(
        &self,
        call_id: String,
        extra_headers: Vec<String>,
    ) -> Result<Vec<DialogId>, BackendError> {
        let ids = self.ids_by_call(&call_id, None);
        if ids.is_empty() {
            return Err(BackendError::NotFound(format!(
                "no dialog with Call-ID {call_id:?}"
            )));
        }
        let mut ended = Vec::new();
        let mut first_error = None;
        for id in ids {
            match self
                .end_at_owner(id, EndSide::Both, extra_headers.clone())
                .await
            {
                Ok(()) => ended.push(id),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match (ended.is_empty(), first_error) {
            (true, Some(e)) => Err(e),
            _ => Ok(ended),
        }
    }

    /// Sets the timeout of every dialog of a profile (value); how many changed. Dialogs
    /// that end meanwhile are skipped; the first other error if none changed.
    pub(crate) async fn set_profile_timeouts(
        &self,
        name: String,
        value: Option<String>,
        seconds: u32,
    ) -> Result<u64, BackendError> {
        let ids = self
            .admission
            .profile_dialogs(&name, value.as_deref())
            .await
            .map_err(store_error)?;
        let mut changed = 0;
        let mut first_error = None;
        for id in ids {
            match self.set_timeout_at_owner(id, seconds).await {
                Ok(()) => changed += 1,
                Err(BackendError::NotFound(_)) => {}
                Err(e) => {
                    tracing::warn!(%id, error = %e, "timeout not set");
                    first_error.get_or_insert(e);
                }
            }
        }
        match (changed, first_error) {
            (0, Some(e)) => Err(e),
            _ => Ok(changed),
        }
    }
}
