//! [`EventBus`]: the node's broadcast of [`DialogEvent`]s to whoever watches (the API's
//! `Events` stream). The dialog actors and the initial-INVITE path emit; watchers subscribe.
//!
//! Emitting never blocks and never fails call processing: with nobody subscribed the event is
//! not even built, and a watcher that falls behind loses the oldest events (its receiver
//! reports how many, [`tokio::sync::broadcast::error::RecvError::Lagged`]) instead of slowing
//! the sender. Event ids rise by one per event in the order watchers receive them.

use std::sync::Mutex;

use dialogd_dialog::{ControlEvent, Dialog, DialogEvent, EndCause, EventKind};
use tokio::sync::broadcast;

/// Events a watcher may fall behind by before it loses the oldest.
pub const EVENT_CAPACITY: usize = 4096;

/// The node's event broadcast.
#[derive(Debug)]
pub struct EventBus {
    tx: broadcast::Sender<DialogEvent>,
    /// The next event id; held while sending so ids reach watchers in order.
    next_id: Mutex<u64>,
    node_id: u64,
}

impl EventBus {
    /// A bus for node `node_id` keeping up to `capacity` events per lagging watcher.
    pub fn new(node_id: u64, capacity: usize) -> EventBus {
        let (tx, _) = broadcast::channel(capacity.max(1));
        EventBus {
            tx,
            next_id: Mutex::new(1),
            node_id,
        }
    }

    /// A receiver of every event emitted from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DialogEvent> {
        self.tx.subscribe()
    }

    /// Emits `kind` for `dialog` as it is now; `cause` is the end cause of `Failed` and
    /// `Deleted`. Does nothing when nobody watches.
    pub fn emit(&self, dialog: &Dialog, kind: EventKind, cause: Option<EndCause>) {
        if self.tx.receiver_count() == 0 {
            return;
        }
        let mut event = self.event(dialog, kind);
        match kind {
            EventKind::Failed => event.failed_code = cause.and_then(DialogEvent::failed_code_of),
            EventKind::Deleted => event.end_cause = cause,
            _ => {}
        }
        self.send(event);
    }

    /// Emits a `Transfer` or `Hold` event for `dialog` with its details. Does nothing when
    /// nobody watches.
    pub fn emit_control(&self, dialog: &Dialog, kind: EventKind, control: ControlEvent) {
        tracing::info!(kind = %kind, leg = ?control.leg, action = control.action, state = control.state, status = %control.status, "call control event");
        if self.tx.receiver_count() == 0 {
            return;
        }
        let mut event = self.event(dialog, kind);
        event.control = Some(control);
        self.send(event);
    }

    /// `kind` for `dialog` as it is now, without the kind's details.
    fn event(&self, dialog: &Dialog, kind: EventKind) -> DialogEvent {
        DialogEvent {
            id: 0,
            unix_ms: crate::message_path::initial::unix_ms(),
            node_id: self.node_id,
            did: dialog.did(),
            call_id: dialog.call_id().to_owned(),
            kind,
            failed_code: None,
            end_cause: None,
            state: dialog.state(),
            profiles: dialog.profiles().to_vec(),
            timeout: dialog.timeout(),
            control: None,
        }
    }

    fn send(&self, mut event: DialogEvent) {
        // A poisoned lock only means another emitter panicked mid-send: the counter is fine.
        let mut next = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
        event.id = *next;
        // Fails only when every receiver is gone since the check above: nobody to tell.
        if self.tx.send(event).is_ok() {
            *next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_subscribed_is_not_an_error_and_ids_rise() {
        let bus = EventBus::new(7, 4);
        let invite = dialogd_dialog::InitialInvite {
            call_id: "c1".into(),
            from_tag: "t1".into(),
            ..Default::default()
        };
        let dialog = Dialog::new(
            dialogd_dialog::DialogId::new(7, 1),
            crate::clock::now(),
            0,
            invite,
            dialogd_dialog::DialogSettings::default(),
            std::time::Duration::from_secs(60),
        );
        bus.emit(&dialog, EventKind::Created, None);
        let mut rx = bus.subscribe();
        bus.emit(&dialog, EventKind::Early, None);
        bus.emit(&dialog, EventKind::Failed, Some(EndCause::Failed(486)));
        let first = rx.try_recv().unwrap();
        let second = rx.try_recv().unwrap();
        assert_eq!(
            (first.id, first.kind, first.node_id),
            (1, EventKind::Early, 7)
        );
        assert_eq!(
            (second.id, second.failed_code, second.end_cause),
            (2, Some(486), None)
        );
    }
}
