//! [`TimerQueue`]: the one timer structure of a node's dialogs. Each dialog has at most one
//! deadline in it — the earliest of its timeout, its next keep-alive probe and, while its
//! actor runs, the moment it may be parked ([`super::Registry`]). One task sleeps until the
//! queue's earliest deadline and sends the due dialogs a `Timer`, reviving parked ones;
//! no dialog keeps a sleeping task of its own.
//!
//! Sans-IO: callers pass the time in, tests step it by hand.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use dialogd_dialog::DialogId;

/// One deadline per dialog, ordered by time.
#[derive(Debug, Default)]
pub struct TimerQueue {
    at: HashMap<DialogId, Instant>,
    queue: BTreeSet<(Instant, DialogId)>,
}

impl TimerQueue {
    /// Sets (or with `None` clears) `did`'s deadline, replacing the one it had. True when the
    /// queue's earliest deadline moved earlier (the sleeping task must wake to re-arm).
    pub fn set(&mut self, did: DialogId, at: Option<Instant>) -> bool {
        let earliest = self.next_deadline();
        if let Some(old) = self.at.remove(&did) {
            self.queue.remove(&(old, did));
        }
        let Some(at) = at else {
            return false;
        };
        self.at.insert(did, at);
        self.queue.insert((at, did));
        earliest.is_none_or(|e| at < e)
    }

    /// The earliest deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.queue.first().map(|(at, _)| *at)
    }

    /// Removes and returns the dialogs due at `now`, earliest first.
    pub fn pop_due(&mut self, now: Instant) -> Vec<DialogId> {
        let mut due = Vec::new();
        while let Some(&(at, did)) = self.queue.first() {
            if at > now {
                break;
            }
            self.queue.remove(&(at, did));
            self.at.remove(&did);
            due.push(did);
        }
        due
    }

    /// The deadline of `did`.
    pub fn deadline(&self, did: DialogId) -> Option<Instant> {
        self.at.get(&did).copied()
    }

    /// Number of dialogs with a deadline.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// True when no dialog has a deadline.
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn did(n: u64) -> DialogId {
        DialogId::new(1, n)
    }

    #[test]
    fn dialogs_fall_due_in_time_order_once() {
        let t0 = crate::clock::now();
        let mut q = TimerQueue::default();
        assert!(q.set(did(1), Some(t0 + Duration::from_secs(30))));
        assert!(q.set(did(2), Some(t0 + Duration::from_secs(10))));
        assert!(!q.set(did(3), Some(t0 + Duration::from_secs(20))));
        assert_eq!(q.next_deadline(), Some(t0 + Duration::from_secs(10)));
        assert!(q.pop_due(t0 + Duration::from_secs(9)).is_empty());
        assert_eq!(
            q.pop_due(t0 + Duration::from_secs(25)),
            vec![did(2), did(3)]
        );
        assert_eq!(
            q.pop_due(t0 + Duration::from_secs(25)),
            Vec::<DialogId>::new()
        );
        assert_eq!(q.pop_due(t0 + Duration::from_secs(60)), vec![did(1)]);
        assert!(q.is_empty());
    }

    #[test]
    fn a_dialog_has_one_deadline_which_set_replaces_or_clears() {
        let t0 = crate::clock::now();
        let mut q = TimerQueue::default();
        q.set(did(1), Some(t0 + Duration::from_secs(10)));
        // Moved later: the old deadline no longer fires.
        assert!(!q.set(did(1), Some(t0 + Duration::from_secs(40))));
        assert_eq!(q.len(), 1);
        assert!(q.pop_due(t0 + Duration::from_secs(20)).is_empty());
        assert_eq!(q.deadline(did(1)), Some(t0 + Duration::from_secs(40)));
        // Moved earlier than everything else: the sleeper must re-arm.
        q.set(did(2), Some(t0 + Duration::from_secs(50)));
        assert!(q.set(did(1), Some(t0 + Duration::from_secs(5))));
        q.set(did(1), None);
        assert_eq!(q.deadline(did(1)), None);
        assert_eq!(q.next_deadline(), Some(t0 + Duration::from_secs(50)));
    }

    #[test]
    fn equal_deadlines_of_different_dialogs_are_kept_apart() {
        let t0 = crate::clock::now();
        let mut q = TimerQueue::default();
        for n in 0..100 {
            q.set(did(n), Some(t0));
        }
        assert_eq!(q.len(), 100);
        assert_eq!(q.pop_due(t0).len(), 100);
    }
}
