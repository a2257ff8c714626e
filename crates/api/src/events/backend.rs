//! The interface between the `Events` service and the node: [`EventsBackend`] hands out a
//! broadcast receiver of the node's [`DialogEvent`]s; [`EventFilter`] is what a watcher asked
//! for, and [`WatchedEvent`] what a watcher receives (an event, or word that it lagged). This
//! file must not know about gRPC: `convert.rs` maps to protobuf.

use dialogd_dialog::{DialogEvent, DialogId, EventKind, ProfileKey};
use tokio::sync::broadcast;

use crate::dialogs::backend::BackendError;

/// What the `Events` service needs from the node. Object safe: the server holds an
/// `Arc<dyn EventsBackend>`.
pub trait EventsBackend: Send + Sync + 'static {
    /// A receiver of every event emitted from now on. It must lag (drop the oldest) rather
    /// than slow down the emitter: a `tokio::sync::broadcast` receiver does.
    fn subscribe(&self) -> Result<broadcast::Receiver<DialogEvent>, BackendError>;
}

/// A broadcast sender is a backend: tests (and simple embedders) emit with `send`.
impl EventsBackend for broadcast::Sender<DialogEvent> {
    fn subscribe(&self) -> Result<broadcast::Receiver<DialogEvent>, BackendError> {
        Ok(broadcast::Sender::subscribe(self))
    }
}

/// Which events a watcher wants: every `Some`/non-empty criterion must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only these kinds; empty: every kind.
    pub kinds: Vec<EventKind>,
    /// Only dialogs with this Call-ID.
    pub call_id: Option<String>,
    /// Only dialogs in this profile; with `value: None`, in any value of it.
    pub profile: Option<ProfileKey>,
    /// Only this dialog.
    pub did: Option<DialogId>,
}

impl EventFilter {
    /// True if `event` meets every criterion.
    pub fn matches(&self, event: &DialogEvent) -> bool {
        let profile_ok = self.profile.as_ref().is_none_or(|want| {
            event.profiles.iter().any(|have| {
                have.name == want.name && (want.value.is_none() || have.value == want.value)
            })
        });
        (self.kinds.is_empty() || self.kinds.contains(&event.kind))
            && self.call_id.as_ref().is_none_or(|c| *c == event.call_id)
            && self.did.is_none_or(|d| d == event.did)
            && profile_ok
    }
}

/// What a watcher receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchedEvent {
    /// An event that passed the filter.
    Dialog(DialogEvent),
    /// The watcher fell behind and lost `dropped` events (whatever the filter).
    Lagged {
        /// How many events were lost.
        dropped: u64,
        /// When the loss was noticed (Unix milliseconds).
        unix_ms: u64,
        /// The node whose events were lost (0 if unknown).
        node_id: u64,
    },
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use dialogd_dialog::DialogState;

    use super::*;

    fn event(kind: EventKind, call_id: &str, profiles: Vec<ProfileKey>) -> DialogEvent {
        DialogEvent {
            id: 1,
            unix_ms: 0,
            node_id: 1,
            did: DialogId::new(1, 5),
            call_id: call_id.to_owned(),
            kind,
            failed_code: None,
            end_cause: None,
            state: DialogState::Unconfirmed,
            profiles,
            timeout: Duration::from_secs(60),
            control: None,
        }
    }

    #[test]
    fn every_criterion_must_hold() {
        let e = event(
            EventKind::Created,
            "c1",
            vec![ProfileKey::with_value("caller", "alice")],
        );
        assert!(EventFilter::default().matches(&e));
        let kinds = |kinds: Vec<EventKind>| EventFilter {
            kinds,
            ..EventFilter::default()
        };
        assert!(kinds(vec![EventKind::Deleted, EventKind::Created]).matches(&e));
        assert!(!kinds(vec![EventKind::Deleted]).matches(&e));
        let profile = |key: ProfileKey| EventFilter {
            profile: Some(key),
            ..EventFilter::default()
        };
        assert!(profile(ProfileKey::plain("caller")).matches(&e));
        assert!(profile(ProfileKey::with_value("caller", "alice")).matches(&e));
        assert!(!profile(ProfileKey::with_value("caller", "bob")).matches(&e));
        let both = EventFilter {
            call_id: Some("c1".into()),
            did: Some(DialogId::new(1, 6)),
            ..EventFilter::default()
        };
        assert!(!both.matches(&e));
    }
}
