//! The in-memory `DialogsBackend` and server start-up shared by the `dialogctl` tests: three
//! dialogs (two in `caller/alice`, one early in `caller/bob`) and a log of `end` calls; the
//! in-memory `ClusterBackend` (`cluster.rs`) and the binary runner (`run.rs`).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub mod cluster;
pub mod run;

use dialogd_api::{BackendError, BoxFuture, DialogFilter, DialogsBackend, EndSide, ProfileValues};
use dialogd_dialog::{DialogId, DialogSnapshot, DialogState, LegView, ProfileKey, Stats};

pub const STATS: Stats = Stats {
    active: 2,
    early: 1,
    processed: 2000,
    expired: 3,
    failed: 0,
};

fn dialog(
    seq: u64,
    call_id: &str,
    state: DialogState,
    profiles: Vec<ProfileKey>,
) -> DialogSnapshot {
    DialogSnapshot {
        did: DialogId::new(1, seq),
        call_id: call_id.into(),
        state,
        caller: LegView {
            uri: "sip:alice@a.example".into(),
            tag: Some(format!("tag-{seq}")),
            ..Default::default()
        },
        callee: LegView {
            uri: "sip:bob@b.example".into(),
            ..Default::default()
        },
        request_uri: "sip:bob@b.example".into(),
        start_unix_ms: 1_700_000_000_000,
        answer_unix_ms: None,
        timeout_secs: 120,
        timeout_left_secs: None,
        bye_on_timeout: true,
        timeout_noreset: false,
        flags: 0,
        vars: BTreeMap::new(),
        profiles,
        owner_node: 1,
        end_cause: None,
        triggers: Vec::new(),
    }
}

/// Three dialogs: two of `caller/alice`, one early of `caller/bob`.
pub struct Backend {
    pub dialogs: Vec<DialogSnapshot>,
    pub ended: Mutex<Vec<(DialogId, EndSide, Vec<String>)>>,
}

impl Backend {
    fn new() -> Arc<Backend> {
        let alice = || vec![ProfileKey::with_value("caller", "alice")];
        Arc::new(Backend {
            dialogs: vec![
                dialog(1, "call-1", DialogState::Confirmed, alice()),
                dialog(2, "call-2", DialogState::Confirmed, alice()),
                dialog(
                    3,
                    "call-3",
                    DialogState::Early,
                    vec![ProfileKey::with_value("caller", "bob")],
                ),
            ],
            ended: Mutex::new(vec![]),
        })
    }

    fn in_profile(&self, name: &str, value: Option<&str>) -> Vec<DialogId> {
        let key = ProfileKey {
            name: name.into(),
            value: value.map(str::to_owned),
        };
        let filter = DialogFilter {
            profile: Some(key),
            ..Default::default()
        };
        self.dialogs
            .iter()
            .filter(|d| filter.matches(d))
            .map(|d| d.did)
            .collect()
    }
}

impl DialogsBackend for Backend {
    fn stats(&self) -> BoxFuture<'_, Result<(u64, Stats), BackendError>> {
        Box::pin(async { Ok((1, STATS)) })
    }
    fn list(
        &self,
        filter: DialogFilter,
    ) -> BoxFuture<'_, Result<Vec<DialogSnapshot>, BackendError>> {
        Box::pin(async move {
            Ok(self
                .dialogs
                .iter()
                .filter(|d| filter.matches(d))
                .cloned()
                .collect())
        })
    }
    fn get(&self, id: DialogId) -> BoxFuture<'_, Result<Option<DialogSnapshot>, BackendError>> {
        Box::pin(async move { Ok(self.dialogs.iter().find(|d| d.did == id).cloned()) })
    }
    fn find<'a>(
        &'a self,
        call_id: &'a str,
        from_tag: &'a str,
    ) -> BoxFuture<'a, Result<Option<DialogSnapshot>, BackendError>> {
        Box::pin(async move {
            Ok(self
                .dialogs
                .iter()
                .find(|d| d.call_id == call_id && d.caller.tag.as_deref() == Some(from_tag))
                .cloned())
        })
    }
    fn end(
        &self,
        id: DialogId,
        side: EndSide,
        headers: Vec<String>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            if !self.dialogs.iter().any(|d| d.did == id) {
                return Err(BackendError::NotFound(format!("dialog {id} not found")));
            }
            self.ended.lock().unwrap().push((id, side, headers));
            Ok(())
        })
    }
    fn profile_size<'a>(
        &'a self,
        name: &'a str,
        value: Option<&'a str>,
        _stale_ok: bool,
    ) -> BoxFuture<'a, Result<u64, BackendError>> {
        Box::pin(async move { Ok(self.in_profile(name, value).len() as u64) })
    }
    fn profile_dialogs<'a>(
        &'a self,
        name: &'a str,
        value: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<DialogId>, BackendError>> {
        Box::pin(async move { Ok(self.in_profile(name, value)) })
    }
    fn terminate_by_call_id(
        &self,
        call_id: String,
        headers: Vec<String>,
    ) -> BoxFuture<'_, Result<Vec<DialogId>, BackendError>> {
        Box::pin(async move {
            let ids: Vec<DialogId> = self
                .dialogs
                .iter()
                .filter(|d| d.call_id == call_id && d.state.is_confirmed())
                .map(|d| d.did)
                .collect();
            if ids.is_empty() {
                return Err(BackendError::NotFound(format!(
                    "no confirmed dialog with call_id {call_id:?}"
                )));
            }
            let mut ended = self.ended.lock().unwrap();
            ended.extend(ids.iter().map(|id| (*id, EndSide::Both, headers.clone())));
            Ok(ids)
        })
    }
    fn get_vars(
        &self,
        id: DialogId,
    ) -> BoxFuture<'_, Result<BTreeMap<String, String>, BackendError>> {
        Box::pin(async move {
            if !self.dialogs.iter().any(|d| d.did == id) {
                return Err(BackendError::NotFound(format!("dialog {id} not found")));
            }
            Ok(BTreeMap::from([
                ("account".to_owned(), "acme".to_owned()),
                ("tier".to_owned(), "gold".to_owned()),
            ]))
        })
    }
    fn set_flag(&self, id: DialogId, flag: u32) -> BoxFuture<'_, Result<u32, BackendError>> {
        Box::pin(async move {
            let d = self.dialogs.iter().find(|d| d.did == id);
            let d = d.ok_or_else(|| BackendError::NotFound(format!("dialog {id} not found")))?;
            Ok(d.flags | 1 << flag)
        })
    }
    fn profile_values<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ProfileValues, BackendError>> {
        Box::pin(async move {
            let mut counts: BTreeMap<Option<String>, u64> = BTreeMap::new();
            for d in &self.dialogs {
                for k in d.profiles.iter().filter(|k| k.name == name) {
                    *counts.entry(k.value.clone()).or_default() += 1;
                }
            }
            Ok(counts.into_iter().collect())
        })
    }
}

/// Starts the API server on 127.0.0.1:0 and returns its address (it stops with the test).
pub async fn start() -> (String, Arc<Backend>) {
    let (addr, backend, _) = start_cluster().await;
    (addr, backend)
}

/// [`start`], also returning the cluster backend.
pub async fn start_cluster() -> (String, Arc<Backend>, Arc<cluster::Cluster>) {
    start_options(dialogd_api::ApiOptions::default()).await
}

/// [`start_cluster`] with `options` (a token, TLS).
pub async fn start_options(
    options: dialogd_api::ApiOptions,
) -> (String, Arc<Backend>, Arc<cluster::Cluster>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let backend = Backend::new();
    let cluster = Arc::new(cluster::Cluster::new());
    tokio::spawn(dialogd_api::serve(
        listener,
        backend.clone(),
        cluster.clone(),
        Arc::new(tokio::sync::broadcast::channel(16).0),
        options,
        std::future::pending(),
    ));
    (addr, backend, cluster)
}
