//! An in-memory `DialogsBackend` for the API tests: a fixed set of dialogs, counters, and a log
//! of the `end` calls it received. It lists in reverse id order and ignores `limit` on purpose,
//! so the tests prove the service sorts and pages by itself. Profile `down` answers UNAVAILABLE.
//! The changes to dialogs' data (vars, flags, profiles, triggers) are in `control.rs`.
//! The in-memory `ClusterBackend` is in `cluster.rs`; [`start`] (`server.rs`) serves both.

#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)] // each test binary uses part of it; tests may unwrap

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

pub mod cluster;
mod control;
mod server;

pub use server::{EVENT_CAPACITY, TestServer, start, start_options, start_with};

use dialogd_api::{BackendError, BoxFuture, DialogFilter, DialogsBackend, EndSide, ProfileValues};
use dialogd_dialog::{DialogId, DialogSnapshot, DialogState, EndCause, LegView, ProfileKey, Stats};

pub const NODE_ID: u64 = 7;

pub fn stats() -> Stats {
    Stats {
        active: 3,
        early: 1,
        processed: 120,
        expired: 4,
        failed: 9,
    }
}

pub fn id(node: u16, seq: u64) -> DialogId {
    DialogId::new(node, seq)
}

fn snapshot(did: DialogId, call_id: &str, tag: &str, state: DialogState) -> DialogSnapshot {
    DialogSnapshot {
        did,
        call_id: call_id.into(),
        state,
        caller: LegView {
            uri: "sip:alice@atlanta.example.com".into(),
            tag: Some(tag.into()),
            contact: Some("<sip:alice@192.0.2.10:5060>".into()),
            cseq: 101,
            route_set: vec!["<sip:edge.atlanta.example.com;lr>".into()],
            source: Some("udp:192.0.2.10:5060".into()),
        },
        callee: LegView {
            uri: "sip:bob@biloxi.example.com".into(),
            tag: state.is_confirmed().then(|| format!("callee-{tag}")),
            contact: Some("<sip:bob@192.0.2.20>".into()),
            cseq: 0,
            route_set: vec![],
            source: Some("tcp:192.0.2.20:5060".into()),
        },
        request_uri: "sip:bob@biloxi.example.com".into(),
        start_unix_ms: 1_700_000_000_000 + did.0 % 1000,
        answer_unix_ms: state.is_confirmed().then_some(1_700_000_002_000),
        timeout_secs: 3600,
        timeout_left_secs: state.is_confirmed().then_some(3500),
        bye_on_timeout: true,
        timeout_noreset: false,
        flags: 0b101,
        vars: BTreeMap::from([
            ("account".into(), "acme".into()),
            ("tier".into(), "gold".into()),
        ]),
        profiles: vec![],
        owner_node: u64::from(did.node()),
        end_cause: None,
        triggers: Vec::new(),
    }
}

/// The fixture dialogs, ascending by id.
pub fn dialogs() -> Vec<DialogSnapshot> {
    let mut a = snapshot(id(1, 1), "call-a@example.com", "ta", DialogState::Confirmed);
    a.profiles = vec![
        ProfileKey::with_value("caller", "alice"),
        ProfileKey::plain("trunk"),
    ];
    let mut b = snapshot(id(1, 2), "call-b@example.com", "tb", DialogState::Early);
    b.profiles = vec![ProfileKey::with_value("caller", "bob")];
    let mut c = snapshot(id(1, 3), "call-c@example.com", "tc", DialogState::Confirmed);
    c.profiles = vec![ProfileKey::with_value("caller", "alice")];
    let mut d = snapshot(id(1, 4), "call-d@example.com", "td", DialogState::Deleted);
    d.end_cause = Some(EndCause::Failed(486));
    let mut e = snapshot(
        id(2, 1),
        "call-e@example.com",
        "te",
        DialogState::ConfirmedNoAck,
    );
    e.profiles = vec![ProfileKey::plain("trunk")];
    vec![a, b, c, d, e]
}

/// One `end` call the backend received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndCall {
    pub id: DialogId,
    pub side: EndSide,
    pub headers: Vec<String>,
}

#[derive(Default)]
pub struct MemoryBackend {
    pub dialogs: Mutex<Vec<DialogSnapshot>>,
    pub ended: Mutex<Vec<EndCall>>,
    /// What `dialogd_api::is_forwarded()` answered in each `stats` call.
    pub stats_forwarded: Mutex<Vec<bool>>,
}

impl MemoryBackend {
    pub fn new() -> Arc<MemoryBackend> {
        Arc::new(MemoryBackend {
            dialogs: Mutex::new(dialogs()),
            ended: Mutex::new(vec![]),
            stats_forwarded: Mutex::new(vec![]),
        })
    }

    fn live_in_profile(&self, name: &str, value: Option<&str>) -> Vec<DialogSnapshot> {
        let want = ProfileKey {
            name: name.into(),
            value: value.map(str::to_owned),
        };
        let filter = DialogFilter {
            profile: Some(want),
            ..Default::default()
        };
        let dialogs = self.dialogs.lock().unwrap();
        dialogs
            .iter()
            .filter(|d| d.state != DialogState::Deleted && filter.matches(d))
            .cloned()
            .collect()
    }
}

fn check_up(name: &str) -> Result<(), BackendError> {
    if name == "down" {
        return Err(BackendError::Unavailable(
            "profile store unavailable: no quorum".into(),
        ));
    }
    Ok(())
}

impl DialogsBackend for MemoryBackend {
    fn stats(&self) -> BoxFuture<'_, Result<(u64, Stats), BackendError>> {
        Box::pin(async {
            let forwarded = dialogd_api::is_forwarded();
            self.stats_forwarded.lock().unwrap().push(forwarded);
            Ok((NODE_ID, stats()))
        })
    }

    fn list(
        &self,
        filter: DialogFilter,
    ) -> BoxFuture<'_, Result<Vec<DialogSnapshot>, BackendError>> {
        Box::pin(async move {
            let dialogs = self.dialogs.lock().unwrap();
            // Reverse order and no limit: the service must sort and trim.
            Ok(dialogs
                .iter()
                .rev()
                .filter(|d| filter.matches(d))
                .cloned()
                .collect())
        })
    }

    fn get(&self, id: DialogId) -> BoxFuture<'_, Result<Option<DialogSnapshot>, BackendError>> {
        Box::pin(async move {
            Ok(self
                .dialogs
                .lock()
                .unwrap()
                .iter()
                .find(|d| d.did == id)
                .cloned())
        })
    }

    fn find<'a>(
        &'a self,
        call_id: &'a str,
        from_tag: &'a str,
    ) -> BoxFuture<'a, Result<Option<DialogSnapshot>, BackendError>> {
        Box::pin(async move {
            let dialogs = self.dialogs.lock().unwrap();
            Ok(dialogs
                .iter()
                .find(|d| d.call_id == call_id && d.caller.tag.as_deref() == Some(from_tag))
                .cloned())
        })
    }

    fn end(
        &self,
        id: DialogId,
        side: EndSide,
        extra_headers: Vec<String>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let mut dialogs = self.dialogs.lock().unwrap();
            let Some(d) = dialogs.iter_mut().find(|d| d.did == id) else {
                return Err(BackendError::NotFound(format!("dialog {id} not found")));
            };
            if d.state == DialogState::Deleted {
                return Err(BackendError::FailedPrecondition(format!(
                    "dialog {id} is already deleted"
                )));
            }
            d.state = DialogState::Deleted;
            d.end_cause = Some(EndCause::Api);
            self.ended.lock().unwrap().push(EndCall {
                id,
                side,
                headers: extra_headers,
            });
            Ok(())
        })
    }

    fn profile_size<'a>(
        &'a self,
        name: &'a str,
        value: Option<&'a str>,
        _stale_ok: bool,
    ) -> BoxFuture<'a, Result<u64, BackendError>> {
        Box::pin(async move {
            check_up(name)?;
            Ok(self.live_in_profile(name, value).len() as u64)
        })
    }

    fn profile_dialogs<'a>(
        &'a self,
        name: &'a str,
        value: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<DialogId>, BackendError>> {
        Box::pin(async move {
            check_up(name)?;
            // Reverse order: the service sorts.
            Ok(self
                .live_in_profile(name, value)
                .iter()
                .rev()
                .map(|d| d.did)
                .collect())
        })
    }

    fn profile_values<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ProfileValues, BackendError>> {
        Box::pin(async move {
            check_up(name)?;
            let mut counts: BTreeMap<Option<String>, u64> = BTreeMap::new();
            for d in self.live_in_profile(name, None) {
                let values: BTreeSet<_> = d
                    .profiles
                    .iter()
                    .filter(|k| k.name == name)
                    .map(|k| k.value.clone())
                    .collect();
                for v in values {
                    *counts.entry(v).or_default() += 1;
                }
            }
            Ok(counts.into_iter().rev().collect())
        })
    }

    fn terminate_by_call_id(
        &self,
        call_id: String,
        extra_headers: Vec<String>,
    ) -> BoxFuture<'_, Result<Vec<DialogId>, BackendError>> {
        Box::pin(async move { self.do_terminate(&call_id, extra_headers) })
    }

    fn set_timeout_by_profile(
        &self,
        name: String,
        value: Option<String>,
        seconds: u32,
    ) -> BoxFuture<'_, Result<u64, BackendError>> {
        let key = ProfileKey { name, value };
        Box::pin(async move { self.do_timeout_by_profile(&key, seconds) })
    }

    fn set_var(
        &self,
        id: DialogId,
        name: String,
        value: String,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move { self.do_set_var(id, name, value) })
    }

    fn get_vars(
        &self,
        id: DialogId,
    ) -> BoxFuture<'_, Result<BTreeMap<String, String>, BackendError>> {
        Box::pin(async move { self.do_get_vars(id) })
    }

    fn unset_var(&self, id: DialogId, name: String) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move { self.do_unset_var(id, &name) })
    }

    fn set_flag(&self, id: DialogId, flag: u32) -> BoxFuture<'_, Result<u32, BackendError>> {
        Box::pin(async move { self.do_flag(id, flag, true) })
    }

    fn reset_flag(&self, id: DialogId, flag: u32) -> BoxFuture<'_, Result<u32, BackendError>> {
        Box::pin(async move { self.do_flag(id, flag, false) })
    }

    fn set_profile(
        &self,
        id: DialogId,
        profile: ProfileKey,
        limit: Option<u32>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move { self.do_set_profile(id, profile, limit) })
    }

    fn unset_profile(
        &self,
        id: DialogId,
        profile: ProfileKey,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move { self.do_unset_profile(id, &profile) })
    }

    fn set_triggers(
        &self,
        id: DialogId,
        names: Vec<String>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move { self.do_set_triggers(id, names) })
    }
}
