//! The [`Registry`]: finds a dialog by `did` or by Call-ID, hands out dialog ids, keeps the
//! node's dialog counters, parks idle dialogs and drives every dialog's timer.
//!
//! Callers never hold an actor directly: they ask the registry for a [`DialogHandle`]. A
//! dialog is either running (an actor owns its state machine) or parked: confirmed, with
//! nothing to do for a while, it leaves its state here as data ([`Parked`]) and its actor
//! stops. The next message for it — an in-dialog request, an API command, its timer, a
//! member's question — revives it as an actor with the same state ([`handle`] says why no
//! message is lost on the way). A parked dialog costs its data, not an actor's mailbox and
//! task.
//!
//! Timers: one [`TimerQueue`] holds each dialog's next deadline and one task sends `Timer`
//! to the dialogs that fall due.

mod call_ids;
mod handle;
mod timers;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Instant;

use dialogd_dialog::{DialogId, DialogSnapshot, DialogState, EndCause, Stats};
use ractor::ActorRef;

use self::call_ids::CallIdIndex;
use crate::context::ProxyContext;
use crate::dialog_actor::{DialogMsg, Parked};

pub use handle::{DialogHandle, Gate};
pub use timers::TimerQueue;

/// A dialog's actor, or its parked state.
enum Slot {
    Running {
        actor: ActorRef<DialogMsg>,
        gate: Arc<Gate>,
    },
    Parked(Box<Parked>),
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Slot::Running { actor, .. } => write!(f, "Running({actor:?})"),
            Slot::Parked(_) => f.write_str("Parked"),
        }
    }
}

#[derive(Debug)]
struct Entry {
    slot: Slot,
    call_id: Box<str>,
    state: DialogState,
}

#[derive(Debug, Default)]
struct Inner {
    by_did: HashMap<DialogId, Entry>,
    by_call_id: CallIdIndex,
}

/// The `state` label of the `dialogd_dialogs` gauge a dialog in `state` is counted under.
fn gauge_label(state: DialogState) -> &'static str {
    if state.is_confirmed() {
        "confirmed"
    } else {
        "early"
    }
}

/// Counts `parked` in (`sign` 1) or out (-1) of the parked dialogs' gauges.
fn parked_gauges(parked: &Parked, sign: f64) {
    metrics::gauge!("dialogd_dialogs_parked").increment(sign);
    metrics::gauge!("dialogd_dialogs_parked_bytes").increment(sign * parked.packed_len() as f64);
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
    /// Every dialog's next deadline ([`TimerQueue`]).
    timers: Mutex<TimerQueue>,
    /// Wakes the timer task when a deadline earlier than its sleep was set.
    timers_changed: Arc<tokio::sync::Notify>,
    /// The proxy the dialogs run in (revived actors need it); set once by [`Registry::bind`].
    context: OnceLock<Weak<ProxyContext>>,
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
            timers: Mutex::new(TimerQueue::default()),
            timers_changed: Arc::new(tokio::sync::Notify::new()),
            context: OnceLock::new(),
        }
    }

    /// Ties the registry to its proxy and starts the timer task (which ends with the proxy).
    /// Call once, inside a tokio runtime.
    pub(crate) fn bind(self: &Arc<Self>, ctx: &Arc<ProxyContext>) {
        if self.context.set(Arc::downgrade(ctx)).is_err() {
            return;
        }
        tokio::spawn(run_timers(Arc::downgrade(self)));
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
    pub(crate) fn insert(
        &self,
        did: DialogId,
        call_id: &str,
        actor: ActorRef<DialogMsg>,
        gate: Arc<Gate>,
        state: DialogState,
    ) {
        let mut inner = self.lock();
        inner.by_call_id.insert(call_id, did);
        inner.by_did.insert(
            did,
            Entry {
                slot: Slot::Running { actor, gate },
                call_id: call_id.into(),
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

    /// Forgets `did` if it is parked (no actor to tell); false if it runs or is unknown.
    pub fn detach_parked(&self, did: DialogId) -> bool {
        self.take_if(did, |e| matches!(e.slot, Slot::Parked(_)))
            .is_some()
    }

    /// Unregisters a dialog (both indexes, its timer and its live gauge); its last entry, if
    /// it was here.
    fn take(&self, did: DialogId) -> Option<Entry> {
        self.take_if(did, |_| true)
    }

    /// [`take`](Registry::take) if `did`'s entry passes `pass` (checked under the same lock).
    fn take_if(&self, did: DialogId, pass: impl FnOnce(&Entry) -> bool) -> Option<Entry> {
        let mut inner = self.lock();
        if !inner.by_did.get(&did).is_some_and(pass) {
            return None;
        }
        let e = inner.by_did.remove(&did)?;
        self.unregister(inner, did, &e.call_id, e.state);
        if let Slot::Parked(p) = &e.slot {
            parked_gauges(p, -1.0);
        }
        Some(e)
    }

    /// The rest of forgetting `did`, already out of `by_did`: its Call-ID index entry, its
    /// timer and its count in the live gauge.
    fn unregister(
        &self,
        mut inner: std::sync::MutexGuard<'_, Inner>,
        did: DialogId,
        call_id: &str,
        state: DialogState,
    ) {
        inner.by_call_id.remove(call_id, did);
        drop(inner);
        self.set_timer(did, None);
        metrics::gauge!("dialogd_dialogs", "state" => gauge_label(state)).decrement(1.0);
    }

    fn handle(self: &Arc<Self>, did: DialogId, e: &Entry) -> DialogHandle {
        let route = match &e.slot {
            Slot::Running { actor, gate } => Some((actor.clone(), gate.clone())),
            Slot::Parked(_) => None,
        };
        DialogHandle::new(did, route, self.clone())
    }

    /// The dialog with this id.
    pub fn get(self: &Arc<Self>, did: DialogId) -> Option<DialogHandle> {
        let inner = self.lock();
        inner.by_did.get(&did).map(|e| self.handle(did, e))
    }

    /// Every dialog with this Call-ID (usually one; more after a spiral to another
    /// destination or a Call-ID reused by a broken peer).
    pub fn by_call_id(self: &Arc<Self>, call_id: &str) -> Vec<DialogHandle> {
        let inner = self.lock();
        inner
            .by_call_id
            .candidates(call_id)
            .iter()
            .filter_map(|d| {
                let e = inner.by_did.get(d)?;
                (*e.call_id == *call_id).then(|| self.handle(*d, e))
            })
            .collect()
    }

    /// Delivers `msg` to `did`'s actor, reviving the dialog if it is parked; false if the
    /// dialog is not here (any more).
    pub(crate) fn send(self: &Arc<Self>, did: DialogId, msg: DialogMsg) -> bool {
        let mut inner = self.lock();
        let Some(e) = inner.by_did.get_mut(&did) else {
            return false;
        };
        if let Slot::Running { actor, gate } = &e.slot {
            // Under the lock a registered actor's gate is open: parking closes it and
            // swaps the slot in one step under this lock.
            if !gate.enter() {
                return false;
            }
            let (actor, gate) = (actor.clone(), gate.clone());
            drop(inner);
            return gate.deliver(&actor, msg);
        }
        let Some(ctx) = self.context.get().and_then(Weak::upgrade) else {
            return false;
        };
        // Revived under the lock: a second sender meanwhile finds the new actor.
        let Some(Entry {
            slot: Slot::Parked(parked),
            call_id,
            state,
        }) = inner.by_did.remove(&did)
        else {
            return false;
        };
        let gate = Arc::new(Gate::default());
        gate.enter();
        parked_gauges(&parked, -1.0);
        let revived = crate::dialog_actor::revive(ctx, *parked, gate.clone());
        let actor = match revived {
            Ok(actor) => actor,
            Err(e) => {
                // Neither can happen (spawning without a name does not fail in ractor, and
                // only parking wrote the packed state); should one, the dialog is forgotten
                // as if detached (the cluster's record remains for a takeover).
                self.unregister(inner, did, &call_id, state);
                tracing::error!(%did, error = %e, "parked dialog could not be revived; forgotten");
                return false;
            }
        };
        let entry = Entry {
            slot: Slot::Running {
                actor: actor.clone(),
                gate: gate.clone(),
            },
            call_id,
            state,
        };
        inner.by_did.insert(did, entry);
        drop(inner);
        metrics::counter!("dialogd_dialogs_revived_total").increment(1);
        gate.deliver(&actor, msg)
    }

    /// Leaves a running dialog's state here and closes its actor's gate, if no message is on
    /// its way to that actor; else hands the state back (the actor goes on).
    pub(crate) fn park(
        &self,
        did: DialogId,
        gate: &Arc<Gate>,
        parked: Box<Parked>,
    ) -> Result<(), Box<Parked>> {
        let mut inner = self.lock();
        let Some(e) = inner.by_did.get_mut(&did) else {
            return Err(parked);
        };
        match &e.slot {
            Slot::Running { gate: g, .. } if Arc::ptr_eq(g, gate) && gate.close_if_idle() => {}
            _ => return Err(parked),
        }
        parked_gauges(&parked, 1.0);
        e.slot = Slot::Parked(parked);
        drop(inner);
        metrics::counter!("dialogd_dialogs_parked_total").increment(1);
        Ok(())
    }

    /// `did`'s current view: a parked dialog's from its state here, a running one's from its
    /// actor.
    pub async fn snapshot(self: &Arc<Self>, did: DialogId, node_id: u64) -> Option<DialogSnapshot> {
        let handle = {
            let inner = self.lock();
            let e = inner.by_did.get(&did)?;
            if let Slot::Parked(p) = &e.slot {
                return p.snapshot(crate::clock::now(), node_id);
            }
            self.handle(did, e)
        };
        handle.call(DialogMsg::Snapshot).await
    }

    /// Sets (`None`: clears) `did`'s one deadline: at that time it gets a `Timer`, revived
    /// if parked.
    pub(crate) fn set_timer(&self, did: DialogId, at: Option<Instant>) {
        let earlier = self.timers().set(did, at);
        if earlier {
            self.timers_changed.notify_one();
        }
    }

    fn timers(&self) -> std::sync::MutexGuard<'_, TimerQueue> {
        // `TimerQueue` never panics half-way, so a poisoned lock is consistent.
        self.timers.lock().unwrap_or_else(|e| e.into_inner())
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

    /// Number of dialogs driven here (early and confirmed, running or parked).
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

/// Sleeps until the earliest deadline and sends `Timer` to the dialogs due; ends when the
/// registry does.
async fn run_timers(registry: Weak<Registry>) {
    loop {
        let (next, changed) = {
            let Some(r) = registry.upgrade() else { return };
            let due = r.timers().pop_due(crate::clock::now());
            for did in due {
                r.send(did, DialogMsg::Timer);
            }
            (r.timers().next_deadline(), r.timers_changed.clone())
        };
        // `notify_one` keeps a permit when nobody waits: a `set` made since is not missed.
        // Wakes at least once a minute, to notice the registry is gone.
        let cap = crate::clock::now() + std::time::Duration::from_secs(60);
        let at = next.map_or(cap, |at| at.min(cap));
        tokio::select! {
            () = tokio::time::sleep_until(at.into()) => {}
            () = changed.notified() => {}
        }
    }
}
