//! [`DialogHandle`]: how the rest of the proxy reaches a dialog, whether its actor runs or it is
//! parked, and the [`Gate`] that makes parking safe.
//!
//! Every message for a dialog goes through its gate. The gate counts messages on their way
//! into the running actor's mailbox; the actor parks only by closing a gate that counts
//! zero, under the registry's lock, in the same step as it leaves its state in the registry.
//! So a parked dialog's mailbox is empty, and a sender who finds the gate closed asks the
//! registry, which revives the dialog and delivers the message to the new actor: no message
//! is lost to parking and none is reordered behind it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use dialogd_dialog::{DialogId, DialogSnapshot};
use ractor::{ActorRef, RpcReplyPort};

use super::Registry;
use crate::dialog_actor::DialogMsg;

/// Set in [`Gate`] when the actor behind it parked: no message may enter any more.
const CLOSED: u32 = 1 << 31;

/// The count of messages sent to a running actor and not yet taken by it, and whether the
/// actor has parked.
#[derive(Debug, Default)]
pub struct Gate(AtomicU32);

impl Gate {
    /// Counts one message in; false if the gate is closed (the actor parked).
    pub(crate) fn enter(&self) -> bool {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
                (v & CLOSED == 0).then_some(v + 1)
            })
            .is_ok()
    }

    /// The actor took one message (or a send failed after `enter`).
    pub(crate) fn leave(&self) {
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
                Some((v & CLOSED) | (v & !CLOSED).saturating_sub(1))
            });
    }

    /// Casts `msg`, counted in by a successful [`enter`](Gate::enter), to `actor`; on failure
    /// (the actor stopped without parking: the dialog ended or moved) the count is taken
    /// back and the answer is false.
    pub(crate) fn deliver(&self, actor: &ActorRef<DialogMsg>, msg: DialogMsg) -> bool {
        if actor.cast(msg).is_err() {
            self.leave();
            return false;
        }
        true
    }

    /// Closes the gate if no message is on its way; true if it did. Called under the
    /// registry's lock by the parking actor.
    pub(crate) fn close_if_idle(&self) -> bool {
        self.0
            .compare_exchange(0, CLOSED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    #[cfg(test)]
    fn is_closed(&self) -> bool {
        self.0.load(Ordering::Acquire) & CLOSED != 0
    }
}

/// How to reach a dialog of this node.
#[derive(Debug, Clone)]
pub struct DialogHandle {
    pub did: DialogId,
    /// The actor that ran when the handle was made (none if the dialog was parked).
    route: Option<(ActorRef<DialogMsg>, Arc<Gate>)>,
    registry: Arc<Registry>,
}

impl DialogHandle {
    pub(crate) fn new(
        did: DialogId,
        route: Option<(ActorRef<DialogMsg>, Arc<Gate>)>,
        registry: Arc<Registry>,
    ) -> DialogHandle {
        DialogHandle {
            did,
            route,
            registry,
        }
    }

    /// Sends `msg` to the dialog, reviving it if it is parked; false if the dialog is gone
    /// (ended, detached).
    pub fn cast(&self, msg: DialogMsg) -> bool {
        match &self.route {
            Some((actor, gate)) if gate.enter() => gate.deliver(actor, msg),
            _ => self.registry.send(self.did, msg),
        }
    }

    /// Sends the message `build` makes and waits for its answer; `None` if the dialog is gone
    /// or stopped before answering.
    pub async fn call<T: Send + 'static>(
        &self,
        build: impl FnOnce(RpcReplyPort<T>) -> DialogMsg,
    ) -> Option<T> {
        let (tx, rx) = ractor::concurrency::oneshot();
        if !self.cast(build(tx.into())) {
            return None;
        }
        rx.await.ok()
    }

    /// The dialog's current view; a parked dialog answers from the registry without being
    /// revived.
    pub async fn snapshot(&self, node_id: u64) -> Option<DialogSnapshot> {
        self.registry.snapshot(self.did, node_id).await
    }

    /// Tells the dialog the SDP `leg` sent (kept for hold, [`dialogd_dialog::Media`]).
    pub fn note_sdp(&self, leg: dialogd_dialog::Leg, sdp: &[u8]) {
        let note = crate::call_control::msg::CallControlMsg::Sdp(leg, sdp.to_vec());
        self.cast(DialogMsg::CallControl(note));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gate_closes_only_when_no_message_is_on_its_way() {
        let g = Gate::default();
        assert!(g.enter());
        assert!(g.enter());
        assert!(!g.close_if_idle());
        g.leave();
        assert!(!g.close_if_idle());
        g.leave();
        assert!(g.close_if_idle());
        assert!(g.is_closed());
        assert!(!g.enter(), "a closed gate lets nothing in");
        // A stray leave never reopens it nor underflows.
        g.leave();
        assert!(g.is_closed());
        assert!(!g.enter());
    }
}
