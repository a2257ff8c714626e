//! An in-memory API backend for the tests of the API server and of `dialogctl`: a
//! `DialogsBackend` over a seeded list of dialogs ([`MemoryBackend`]), a `ClusterBackend` over a
//! seeded view ([`MemoryCluster`], `cluster.rs`), and [`serve`] (`server.rs`), the real
//! `dialogd_api::serve` on 127.0.0.1:0 over both.
//!
//! The backend lists in reverse id order and ignores `limit` on purpose, so the tests prove the
//! service sorts and pages by itself. Profile `down` answers UNAVAILABLE. It logs the `end`
//! calls it received. The changes to dialogs' data (vars, flags, profiles, triggers) are in
//! `control.rs`; a call named in [`MemoryBackend::without`] answers FAILED_PRECONDITION, as a
//! backend that lacks it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

mod cluster;
mod control;
mod server;

pub use cluster::{
    Change, LEADER, MemoryCluster, TERM, member, view, view_with_unreachable_learner,
};
pub use server::{EVENT_CAPACITY, TestServer, serve};

use dialogd_api::{BackendError, BoxFuture, DialogFilter, DialogsBackend, EndSide, ProfileValues};
use dialogd_dialog::{DialogId, DialogSnapshot, DialogState, EndCause, LegView, ProfileKey, Stats};

/// A fixture dialog: `call_id` with caller tag `tag` in `state`, both legs filled in (the
/// callee's tag, the answer time and the time left once confirmed), flags `0b101`, vars
/// `account=acme` and `tier=gold`, owned by the node of its id, in no profile.
pub fn snapshot(did: DialogId, call_id: &str, tag: &str, state: DialogState) -> DialogSnapshot {
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

/// One `end` call the backend received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndCall {
    pub id: DialogId,
    pub side: EndSide,
    pub headers: Vec<String>,
}

/// Locks `mutex`, also after a test thread panicked holding it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub struct MemoryBackend {
    node_id: u64,
    stats: Stats,
    /// The optional calls this backend answers as one without them.
    without: BTreeSet<&'static str>,
    pub dialogs: Mutex<Vec<DialogSnapshot>>,
    pub ended: Mutex<Vec<EndCall>>,
    /// What `dialogd_api::is_forwarded()` answered in each `stats` call.
    pub stats_forwarded: Mutex<Vec<bool>>,
}

impl MemoryBackend {
    /// Node `node_id` with counters `stats` and `dialogs` (ascending by id).
    pub fn new(node_id: u64, stats: Stats, dialogs: Vec<DialogSnapshot>) -> MemoryBackend {
        MemoryBackend {
            node_id,
            stats,
            without: BTreeSet::new(),
            dialogs: Mutex::new(dialogs),
            ended: Mutex::new(vec![]),
            stats_forwarded: Mutex::new(vec![]),
        }
    }

    /// This backend answers `call` (a `DialogsBackend` method name, as `set_var`) with
    /// FAILED_PRECONDITION, as the trait's default for a backend that cannot do it.
    pub fn without(mut self, call: &'static str) -> MemoryBackend {
        self.without.insert(call);
        self
    }

    fn offers(&self, call: &str) -> Result<(), BackendError> {
        if self.without.contains(call) {
            return Err(BackendError::FailedPrecondition(format!(
                "{call}: this backend cannot do it"
            )));
        }
        Ok(())
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
        lock(&self.dialogs)
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
            lock(&self.stats_forwarded).push(dialogd_api::is_forwarded());
            Ok((self.node_id, self.stats))
        })
    }

    fn list(
        &self,
        filter: DialogFilter,
    ) -> BoxFuture<'_, Result<Vec<DialogSnapshot>, BackendError>> {
        Box::pin(async move {
            // Reverse order and no limit: the service must sort and trim.
            Ok(lock(&self.dialogs)
                .iter()
                .rev()
                .filter(|d| filter.matches(d))
                .cloned()
                .collect())
        })
    }

    fn get(&self, id: DialogId) -> BoxFuture<'_, Result<Option<DialogSnapshot>, BackendError>> {
        Box::pin(async move { Ok(lock(&self.dialogs).iter().find(|d| d.did == id).cloned()) })
    }

    fn find<'a>(
        &'a self,
        call_id: &'a str,
        from_tag: &'a str,
    ) -> BoxFuture<'a, Result<Option<DialogSnapshot>, BackendError>> {
        Box::pin(async move {
            Ok(lock(&self.dialogs)
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
            self.change(id, |d| {
                d.state = DialogState::Deleted;
                d.end_cause = Some(EndCause::Api);
                Ok(())
            })?;
            lock(&self.ended).push(EndCall {
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
