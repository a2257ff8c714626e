//! [`FinishedTransactions`]: transactions whose final response is out and whose only duty left
//! is absorbing retransmissions, kept as data instead of a task each.
//!
//! | transaction, state | until | what a retransmission gets |
//! |---|---|---|
//! | non-INVITE server, Completed (RFC 3261 §17.2.2) | timer J (32 s over UDP) | the final response again |
//! | INVITE server, Accepted (RFC 6026 §7.1) or Confirmed (§17.2.1) | timer L (32 s) / I (5 s) | nothing: an INVITE is absorbed (the UAS retransmits its 2xx, relayed statelessly), a CANCEL is answered 200 |
//! | non-INVITE client, Completed (§17.1.2.2) | timer K (5 s over UDP) | nothing: the response is absorbed |
//!
//! An INVITE client transaction past its 2xx (Accepted) keeps nothing: a retransmitted 2xx
//! finds no transaction and is relayed statelessly by its Via, as RFC 6026 has the proxy do.
//! Each entry is its key, its deadline and, for a non-INVITE server, the response's bytes and
//! where they go — a few hundred bytes where a task kept the request, both machines and a
//! channel. Deadlines sit in one ordered map, swept as entries are added: no task, no timer per
//! transaction. The table is bounded: past its cap the entries closest to their deadline go
//! first (a retransmission that finds nothing is then handled as a new request, as after the
//! deadline). Pure data: time is passed in.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use dialogd_sip::transaction::TransactionKey;

use crate::message_path::routing::Target;

/// What a finished transaction keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// A non-INVITE server transaction: its final response, sent again to `to` for every
    /// retransmitted request.
    Resend { to: Target, response: Bytes },
    /// An INVITE server transaction past its final response: requests are absorbed, a CANCEL
    /// is answered 200 (it comes too late to cancel anything).
    InviteAnswered,
    /// A client transaction: responses are absorbed.
    Absorb,
}

/// What to do with a message that matched a finished transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Absorbed {
    /// Send these bytes there.
    Resend(Target, Bytes),
    /// Nothing.
    Drop,
}

#[derive(Debug, Default)]
struct Inner {
    /// One allocation per key, shared by both maps.
    entries: HashMap<Arc<TransactionKey>, (Instant, u64, Kept)>,
    /// Deadlines, in order: (deadline, sequence) → key.
    deadlines: BTreeMap<(Instant, u64), Arc<TransactionKey>>,
    seq: u64,
}

impl Inner {
    fn remove_first(&mut self) {
        if let Some((at, key)) = self.deadlines.pop_first()
            && self
                .entries
                .get(&key)
                .is_some_and(|(_, seq, _)| *seq == at.1)
        {
            self.entries.remove(&key);
        }
    }

    fn sweep(&mut self, now: Instant) {
        while self
            .deadlines
            .first_key_value()
            .is_some_and(|((at, _), _)| *at <= now)
        {
            self.remove_first();
        }
    }
}

/// See the module doc.
#[derive(Debug)]
pub struct FinishedTransactions {
    inner: Mutex<Inner>,
    cap: usize,
}

impl FinishedTransactions {
    /// A table of at most `cap` entries.
    pub fn new(cap: usize) -> FinishedTransactions {
        FinishedTransactions {
            inner: Mutex::new(Inner::default()),
            cap: cap.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // No operation can panic half-way through an update: a poisoned table is consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops the entries whose deadline has passed (also done on every `keep`; this is for a
    /// node that receives nothing new for a while).
    pub fn expire(&self, now: Instant) {
        self.lock().sweep(now);
    }

    /// Keeps `key` until `until` (a deadline not after `now` keeps nothing).
    pub fn keep(&self, now: Instant, key: TransactionKey, until: Instant, kept: Kept) {
        let mut inner = self.lock();
        inner.sweep(now);
        if until <= now {
            return;
        }
        while inner.entries.len() >= self.cap && !inner.deadlines.is_empty() {
            inner.remove_first();
        }
        inner.seq += 1;
        let seq = inner.seq;
        let key = Arc::new(key);
        inner.deadlines.insert((until, seq), key.clone());
        inner.entries.insert(key, (until, seq, kept));
    }

    /// A request or a response matched `key`: what to do, if a finished transaction has it.
    pub fn absorb(&self, now: Instant, key: &TransactionKey) -> Option<Absorbed> {
        let inner = self.lock();
        let (until, _, kept) = inner.entries.get(key)?;
        if *until <= now {
            return None;
        }
        Some(match kept {
            Kept::Resend { to, response } => Absorbed::Resend(*to, response.clone()),
            Kept::InviteAnswered | Kept::Absorb => Absorbed::Drop,
        })
    }

    /// Whether `invite` (the key of the INVITE a CANCEL names) was answered already.
    pub fn invite_answered(&self, now: Instant, invite: &TransactionKey) -> bool {
        let inner = self.lock();
        inner
            .entries
            .get(invite)
            .is_some_and(|(until, _, kept)| *until > now && *kept == Kept::InviteAnswered)
    }

    /// Entries kept now (for metrics and tests; expired ones not yet swept count).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::TransportKind;
    use std::time::Duration;

    fn key(branch: &str) -> TransactionKey {
        TransactionKey {
            client: false,
            branch: branch.into(),
            sent_by: "10.0.0.1:5060".into(),
            method: "BYE".into(),
        }
    }

    fn target() -> Target {
        Target {
            transport: TransportKind::Udp,
            addr: "10.0.0.1:5060".parse().unwrap(),
        }
    }

    #[test]
    fn a_kept_response_is_resent_until_its_deadline() {
        let t = FinishedTransactions::new(10);
        let now = crate::clock::now();
        let ok = Bytes::from_static(b"SIP/2.0 200 OK\r\n\r\n");
        let kept = Kept::Resend {
            to: target(),
            response: ok.clone(),
        };
        t.keep(now, key("a"), now + Duration::from_secs(32), kept);
        assert_eq!(
            t.absorb(now + Duration::from_secs(1), &key("a")),
            Some(Absorbed::Resend(target(), ok))
        );
        assert_eq!(t.absorb(now, &key("b")), None);
        // Past the deadline it is gone, and the next insert sweeps it out.
        assert_eq!(t.absorb(now + Duration::from_secs(32), &key("a")), None);
        t.keep(
            now + Duration::from_secs(33),
            key("c"),
            now + Duration::from_secs(40),
            Kept::Absorb,
        );
        assert_eq!(t.len(), 1);
        assert_eq!(
            t.absorb(now + Duration::from_secs(34), &key("c")),
            Some(Absorbed::Drop)
        );
    }

    #[test]
    fn expire_drops_what_is_past_its_deadline_without_a_new_entry() {
        let t = FinishedTransactions::new(10);
        let now = crate::clock::now();
        let s = Duration::from_secs;
        t.keep(now, key("a"), now + s(5), Kept::Absorb);
        t.keep(now, key("b"), now + s(32), Kept::Absorb);
        t.expire(now + s(4));
        assert_eq!(t.len(), 2);
        t.expire(now + s(5));
        assert_eq!(t.len(), 1);
        t.expire(now + s(32));
        assert!(t.is_empty());
    }

    #[test]
    fn a_deadline_already_past_keeps_nothing() {
        let t = FinishedTransactions::new(10);
        let now = crate::clock::now();
        t.keep(now, key("a"), now, Kept::Absorb);
        assert!(t.is_empty());
    }

    #[test]
    fn past_the_cap_the_nearest_deadlines_go_first() {
        let t = FinishedTransactions::new(2);
        let now = crate::clock::now();
        let s = Duration::from_secs;
        t.keep(now, key("late"), now + s(30), Kept::Absorb);
        t.keep(now, key("soon"), now + s(5), Kept::Absorb);
        t.keep(now, key("new"), now + s(32), Kept::Absorb);
        assert_eq!(t.len(), 2);
        assert_eq!(t.absorb(now, &key("soon")), None);
        assert!(t.absorb(now, &key("late")).is_some());
        assert!(t.absorb(now, &key("new")).is_some());
    }

    #[test]
    fn a_key_kept_again_keeps_its_new_deadline() {
        let t = FinishedTransactions::new(10);
        let now = crate::clock::now();
        let s = Duration::from_secs;
        t.keep(now, key("a"), now + s(5), Kept::Absorb);
        t.keep(now, key("a"), now + s(30), Kept::InviteAnswered);
        // The first deadline passing does not remove the entry kept again.
        t.keep(now + s(6), key("b"), now + s(40), Kept::Absorb);
        assert!(t.invite_answered(now + s(7), &key("a")));
        assert!(!t.invite_answered(now + s(31), &key("a")));
    }
}
