//! The [`Registry`]: finds a dialog's actor by `did` or by Call-ID, hands out dialog ids and
//! keeps the node's dialog counters (DESIGN.md §2 "Stats").
//!
//! Callers never hold an actor directly: they ask the registry for a [`DialogHandle`]. That
//! leaves the registry free to passivate idle dialogs later (stop the actor, keep the compact
//! state, restart it on the next message) without changing any caller (DESIGN.md §8).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use dialogd_dialog::{DialogId, DialogState, EndCause, Stats};
use ractor::ActorRef;

use crate::dialog_actor::DialogMsg;

/// How to reach a live dialog.
#[derive(Debug, Clone)]
pub struct DialogHandle {
    pub did: DialogId,
    pub actor: ActorRef<DialogMsg>,
}

impl DialogHandle {
    /// Tells the dialog the SDP `leg` sent (kept for hold, [`dialogd_dialog::Media`]).
    pub fn note_sdp(&self, leg: dialogd_dialog::Leg, sdp: &[u8]) {
        let note = crate::call_control_msg::CallControlMsg::Sdp(leg, sdp.to_vec());
        let _ = self.actor.cast(DialogMsg::CallControl(note));
    }
}

#[derive(Debug)]
struct Entry {
    actor: ActorRef<DialogMsg>,
    call_id: String,
    state: DialogState,
}

#[derive(Debug, Default)]
struct Inner {
    by_did: HashMap<DialogId, Entry>,
    by_call_id: HashMap<String, Vec<DialogId>>,
}

/// The `state` label of the `dialogd_dialogs` gauge a dialog in `state` is counted under.
fn gauge_label(state: DialogState) -> &'static str {
    if state.is_confirmed() {
        "confirmed"
    } else {
        "early"
    }
}

/// Every dialog of this node.
#[derive(Debug)]
pub struct Registry {
    node_id: u16,
    /// The first sequence number of this process: ids from it on were created here.
    seq_start: u64,
    seq: AtomicU64,
    inner: Mutex<Inner>,
    processed: AtomicU64,
    expired: AtomicU64,
    failed: AtomicU64,
}

impl Registry {
    /// An empty registry for node `node_id`; dialog sequence numbers start at `seq_start`
    /// (pass something that differs across restarts, e.g. the start time in ms).
    pub fn new(node_id: u16, seq_start: u64) -> Registry {
        Registry {
            node_id,
            seq_start,
            seq: AtomicU64::new(seq_start),
            inner: Mutex::new(Inner::default()),
            processed: AtomicU64::new(0),
            expired: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every mutation below completes without panicking, so a poisoned lock is consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh dialog id.
    pub fn next_id(&self) -> DialogId {
        DialogId::new(self.node_id, self.seq.fetch_add(1, Ordering::Relaxed))
    }

    /// The dialog was created by this process (since it started), not by an earlier run of
    /// this node nor by another node.
    pub fn created_here(&self, did: DialogId) -> bool {
        let seq = did.0 & 0xFFFF_FFFF_FFFF;
        did.node() == self.node_id
            && seq >= (self.seq_start & 0xFFFF_FFFF_FFFF)
            && seq < self.seq.load(Ordering::Relaxed)
    }

    /// Registers a dialog's actor: a new one (state 1) or one adopted from another node.
    pub fn insert(
        &self,
        did: DialogId,
        call_id: &str,
        actor: ActorRef<DialogMsg>,
        state: DialogState,
    ) {
        let mut inner = self.lock();
        inner
            .by_call_id
            .entry(call_id.to_owned())
            .or_default()
            .push(did);
        inner.by_did.insert(
            did,
            Entry {
                actor,
                call_id: call_id.to_owned(),
                state,
            },
        );
        drop(inner);
        metrics::gauge!("dialogd_dialogs", "state" => gauge_label(state)).increment(1.0);
    }

    /// Forgets a dialog this node no longer drives, without counting it as ended.
    pub fn detach(&self, did: DialogId) {
        self.take(did);
    }

    /// Unregisters a dialog (both indexes and its live gauge); its last entry, if it was here.
    fn take(&self, did: DialogId) -> Option<Entry> {
        let mut inner = self.lock();
        let e = inner.by_did.remove(&did)?;
        if let Some(list) = inner.by_call_id.get_mut(&e.call_id) {
            list.retain(|d| *d != did);
            if list.is_empty() {
                inner.by_call_id.remove(&e.call_id);
            }
        }
        drop(inner);
        metrics::gauge!("dialogd_dialogs", "state" => gauge_label(e.state)).decrement(1.0);
        Some(e)
    }

    /// The dialog with this id.
    pub fn get(&self, did: DialogId) -> Option<DialogHandle> {
        self.lock().by_did.get(&did).map(|e| DialogHandle {
            did,
            actor: e.actor.clone(),
        })
    }

    /// Every dialog with this Call-ID (usually one; more after a spiral to another
    /// destination or a Call-ID reused by a broken peer).
    pub fn by_call_id(&self, call_id: &str) -> Vec<DialogHandle> {
        let inner = self.lock();
        inner
            .by_call_id
            .get(call_id)
            .map(|dids| {
                dids.iter()
                    .filter_map(|d| {
                        inner.by_did.get(d).map(|e| DialogHandle {
                            did: *d,
                            actor: e.actor.clone(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every live dialog id, sorted.
    pub fn ids(&self) -> Vec<DialogId> {
        let mut ids: Vec<DialogId> = self.lock().by_did.keys().copied().collect();
        ids.sort();
        ids
    }

    /// Records a state change for the counters.
    pub fn set_state(&self, did: DialogId, to: DialogState) {
        if to == DialogState::Deleted {
            // Counted by `remove`, which needs the last live state to tell failed from ended.
            return;
        }
        let mut inner = self.lock();
        let Some(e) = inner.by_did.get_mut(&did) else {
            return;
        };
        let from = std::mem::replace(&mut e.state, to);
        drop(inner);
        if !from.is_confirmed() && to.is_confirmed() {
            // Kamailio's `processed_dialogs`: counted when a dialog is confirmed.
            self.processed.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("dialogd_calls_total").increment(1);
            metrics::gauge!("dialogd_dialogs", "state" => "early").decrement(1.0);
            metrics::gauge!("dialogd_dialogs", "state" => "confirmed").increment(1.0);
        }
    }

    /// Removes an ended dialog and counts how it ended.
    pub fn remove(&self, did: DialogId, cause: EndCause) {
        let Some(e) = self.take(did) else {
            return;
        };
        metrics::counter!("dialogd_dialogs_ended_total", "cause" => cause.as_str()).increment(1);
        if !e.state.is_confirmed() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        } else if cause == EndCause::Timeout {
            self.expired.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Number of dialogs driven here (early and confirmed).
    pub fn len(&self) -> usize {
        self.lock().by_did.len()
    }

    /// True when no dialog is driven here.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The node's counters.
    pub fn stats(&self) -> Stats {
        let inner = self.lock();
        let active = inner
            .by_did
            .values()
            .filter(|e| e.state.is_confirmed())
            .count() as u64;
        let early = inner.by_did.len() as u64 - active;
        Stats {
            active,
            early,
            processed: self.processed.load(Ordering::Relaxed),
            expired: self.expired.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}
