//! The trigger controllers connected to THIS node (API `Triggers`): who serves
//! which trigger name, and the `on_timeout` triggers waiting for their decision.
//!
//! ```text
//!  node ── offer(kind, name, dialog, deadline) ──▶ TriggerHub ──round robin──▶ controller queue
//!                                                     │  (try_send, CONTROLLER_BUFFER,        │
//!                                                     │   never blocks)                       ▼
//!        ◀── Offer::Delivered(Some(decision)) ── pending oneshot ◀── deliver_decision ◀── TriggersService
//! ```
//!
//! [`TriggerHub::register`] adds a controller (the `Triggers` stream does it after a valid
//! `Subscribe`) and hands back a [`ControllerRegistration`] that removes it again when dropped;
//! the timeouts still waiting on it then resolve at once to [`Offer::NoAnswer`]. The hub knows
//! nothing of gRPC: it queues [`HubTrigger`]s, `convert.rs` turns them into messages.
//! It must not decide what a missing answer means for the dialog: that is the caller's
//! (`TriggerSink` says: expire).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use dialogd_dialog::{DialogSnapshot, TimeoutDecision, TriggerKind};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};

/// Triggers queued per controller before offers skip it as full.
pub const CONTROLLER_BUFFER: usize = 1024;

/// How long an `on_timeout` offer waits for its decision when the caller gives no deadline.
pub const DEFAULT_DECISION_WAIT: Duration = Duration::from_secs(2);

/// A controller's number in its hub (unique per hub, never reused).
pub type ControllerId = u64;

/// One trigger queued for a controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubTrigger {
    /// Unique per hub; the decision echoes it.
    pub trigger_id: u64,
    pub kind: TriggerKind,
    /// The name the controller subscribed to.
    pub name: String,
    pub dialog: DialogSnapshot,
    /// `OnTimeout` only: the decision must arrive before this time.
    pub deadline: Option<SystemTime>,
}

/// What became of an offered trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// No controller on this node serves the name (or all of them have gone).
    NoController,
    /// Queued for a controller; for `OnTimeout`, with the decision it sent in time.
    Delivered(Option<TimeoutDecision>),
    /// `OnTimeout` only: the controller did not answer before the deadline, or went away
    /// first; or every controller serving the name had a full queue.
    NoAnswer,
}

/// The controllers of one node. Cheap to share (`Arc`); all methods take `&self`.
#[derive(Debug)]
pub struct TriggerHub {
    node_id: u64,
    next_controller: AtomicU64,
    next_trigger: AtomicU64,
    state: Mutex<HubState>,
}

#[derive(Debug, Default)]
struct HubState {
    /// By id, so that round robin walks them in a stable order.
    controllers: BTreeMap<ControllerId, Controller>,
    /// Per name, the controller that got the last trigger of that name.
    last_served: HashMap<String, ControllerId>,
    /// `OnTimeout` triggers waiting for their decision, by trigger id.
    pending: HashMap<u64, Pending>,
}

#[derive(Debug)]
struct Controller {
    names: BTreeSet<String>,
    queue: mpsc::Sender<HubTrigger>,
}

#[derive(Debug)]
struct Pending {
    controller: ControllerId,
    reply: oneshot::Sender<TimeoutDecision>,
}

/// A controller's place in the hub; dropping it unregisters the controller.
#[derive(Debug)]
pub struct ControllerRegistration {
    hub: Arc<TriggerHub>,
    id: ControllerId,
}

impl ControllerRegistration {
    /// The controller's id in the hub.
    pub fn id(&self) -> ControllerId {
        self.id
    }

    /// Hands this controller's decision for `trigger_id` to the offer waiting for it
    /// ([`TriggerHub::deliver_decision`]).
    pub fn deliver_decision(&self, trigger_id: u64, decision: TimeoutDecision) -> bool {
        self.hub.deliver_decision(self.id, trigger_id, decision)
    }
}

impl Drop for ControllerRegistration {
    fn drop(&mut self) {
        self.hub.unregister(self.id);
    }
}

impl TriggerHub {
    /// An empty hub for node `node_id`.
    pub fn new(node_id: u64) -> Arc<TriggerHub> {
        Arc::new(TriggerHub {
            node_id,
            next_controller: AtomicU64::new(1),
            next_trigger: AtomicU64::new(1),
            state: Mutex::new(HubState::default()),
        })
    }

    /// The node this hub belongs to.
    pub fn node_id(&self) -> u64 {
        self.node_id
    }

    /// Adds a controller serving `names` (already validated). It receives its triggers on the
    /// returned queue until the registration is dropped.
    pub fn register(
        self: &Arc<Self>,
        names: Vec<String>,
    ) -> (ControllerRegistration, mpsc::Receiver<HubTrigger>) {
        let id = self.next_controller.fetch_add(1, Ordering::Relaxed);
        let (queue, triggers) = mpsc::channel(CONTROLLER_BUFFER);
        let names: BTreeSet<String> = names.into_iter().collect();
        tracing::info!(controller = id, ?names, "triggers: controller registered");
        self.lock()
            .controllers
            .insert(id, Controller { names, queue });
        let registration = ControllerRegistration {
            hub: Arc::clone(self),
            id,
        };
        (registration, triggers)
    }

    /// Removes a controller; the timeouts waiting on it resolve to [`Offer::NoAnswer`] now.
    fn unregister(&self, id: ControllerId) {
        let mut state = self.lock();
        state.controllers.remove(&id);
        // Dropping the oneshot senders wakes their offers.
        state.pending.retain(|_, p| p.controller != id);
        state.last_served.retain(|_, last| *last != id);
        tracing::info!(controller = id, "triggers: controller gone");
    }

    /// True when a connected controller serves `name`.
    pub fn serves(&self, name: &str) -> bool {
        self.lock()
            .controllers
            .values()
            .any(|c| c.names.contains(name) && !c.queue.is_closed())
    }

    /// Every name some connected controller serves.
    pub fn served_names(&self) -> BTreeSet<String> {
        self.lock()
            .controllers
            .values()
            .filter(|c| !c.queue.is_closed())
            .flat_map(|c| c.names.iter().cloned())
            .collect()
    }

    /// Number of connected controllers.
    pub fn controller_count(&self) -> usize {
        self.lock().controllers.len()
    }

    /// Queues a trigger for one controller serving `name` (round robin, skipping closed and
    /// full queues). `OnTimeout` then waits for that controller's decision until `deadline`
    /// ([`DEFAULT_DECISION_WAIT`] from now when `None`); the others return once queued.
    pub async fn offer(
        &self,
        kind: TriggerKind,
        name: &str,
        dialog: DialogSnapshot,
        deadline: Option<SystemTime>,
    ) -> Offer {
        let trigger_id = self.next_trigger.fetch_add(1, Ordering::Relaxed);
        let deadline = match kind {
            TriggerKind::OnTimeout => {
                Some(deadline.unwrap_or_else(|| SystemTime::now() + DEFAULT_DECISION_WAIT))
            }
            TriggerKind::OnAnswer | TriggerKind::OnHangup => None,
        };
        let trigger = HubTrigger {
            trigger_id,
            kind,
            name: name.to_owned(),
            dialog,
            deadline,
        };
        let reply = match self.enqueue(trigger) {
            Enqueued::To(controller, reply) => {
                tracing::debug!(
                    trigger_id,
                    controller,
                    name,
                    kind = kind.as_str(),
                    "triggers: trigger queued"
                );
                reply
            }
            Enqueued::Nobody => return Offer::NoController,
            Enqueued::AllFull => return Offer::NoAnswer,
        };
        let Some((reply, deadline)) = reply.zip(deadline) else {
            return Offer::Delivered(None);
        };
        let _forget = ForgetPending {
            hub: self,
            trigger_id,
        };
        let wait = deadline
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        match tokio::time::timeout(wait, reply).await {
            Ok(Ok(decision)) => Offer::Delivered(Some(decision)),
            Ok(Err(_)) => {
                tracing::info!(
                    trigger_id,
                    name,
                    "triggers: controller left before deciding"
                );
                Offer::NoAnswer
            }
            Err(_) => {
                tracing::info!(
                    trigger_id,
                    name,
                    "triggers: no decision before the deadline"
                );
                Offer::NoAnswer
            }
        }
    }

    /// Resolves the offer waiting for `trigger_id` with `decision`, if `controller` got that
    /// trigger and it is still waiting. Unknown, late or foreign ids are logged and ignored
    /// (returns false).
    pub fn deliver_decision(
        &self,
        controller: ControllerId,
        trigger_id: u64,
        decision: TimeoutDecision,
    ) -> bool {
        let mut state = self.lock();
        match state.pending.get(&trigger_id) {
            Some(p) if p.controller == controller => {}
            Some(_) => {
                tracing::info!(
                    controller,
                    trigger_id,
                    "triggers: decision for a trigger sent to another controller; ignored"
                );
                return false;
            }
            None => {
                tracing::info!(
                    controller,
                    trigger_id,
                    "triggers: decision for an unknown or expired trigger; ignored"
                );
                return false;
            }
        }
        let Some(pending) = state.pending.remove(&trigger_id) else {
            return false;
        };
        drop(state);
        pending.reply.send(decision).is_ok()
    }

    /// Picks the controller and queues `trigger`, recording the pending decision of a timeout
    /// under the same lock (so the controller cannot answer before it is recorded).
    fn enqueue(&self, trigger: HubTrigger) -> Enqueued {
        let mut state = self.lock();
        let candidates: Vec<ControllerId> = state
            .controllers
            .iter()
            .filter(|(_, c)| c.names.contains(&trigger.name))
            .map(|(id, _)| *id)
            .collect();
        let start = state
            .last_served
            .get(&trigger.name)
            .and_then(|last| candidates.iter().position(|id| id > last))
            .unwrap_or(0);
        let order = candidates[start..].iter().chain(&candidates[..start]);
        let mut any_full = false;
        for &id in order {
            let Some(controller) = state.controllers.get(&id) else {
                continue;
            };
            match controller.queue.try_send(trigger.clone()) {
                Ok(()) => {
                    let reply = (trigger.kind == TriggerKind::OnTimeout).then(|| {
                        let (tx, rx) = oneshot::channel();
                        let pending = Pending {
                            controller: id,
                            reply: tx,
                        };
                        state.pending.insert(trigger.trigger_id, pending);
                        rx
                    });
                    state.last_served.insert(trigger.name.clone(), id);
                    return Enqueued::To(id, reply);
                }
                Err(TrySendError::Full(_)) => {
                    any_full = true;
                    tracing::warn!(controller = id, name = %trigger.name, "triggers: controller queue full; skipped");
                }
                Err(TrySendError::Closed(_)) => {}
            }
        }
        if any_full {
            Enqueued::AllFull
        } else {
            Enqueued::Nobody
        }
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        // Nothing under the lock can leave the state half-changed: use it even if poisoned.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where [`TriggerHub::enqueue`] put a trigger.
enum Enqueued {
    /// Queued for this controller (with the decision to wait for, for `OnTimeout`).
    To(ControllerId, Option<oneshot::Receiver<TimeoutDecision>>),
    /// Nobody serves the name.
    Nobody,
    /// Every controller serving the name had a full queue.
    AllFull,
}

/// Removes a timeout's pending entry when its offer ends (answered, late or cancelled), so a
/// late decision finds nothing.
struct ForgetPending<'a> {
    hub: &'a TriggerHub,
    trigger_id: u64,
}

impl Drop for ForgetPending<'_> {
    fn drop(&mut self) {
        self.hub.lock().pending.remove(&self.trigger_id);
    }
}
