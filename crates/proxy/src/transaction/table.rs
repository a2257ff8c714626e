//! The [`TransactionTable`]: RFC 3261 §17.1.3 / §17.2.3 transaction keys → the task that owns
//! the transaction's state machines. A proxied request's task is registered under its server
//! key (the request as received) and its client key (our branch), so retransmissions, ACKs for
//! non-2xx, CANCELs and responses all reach the one task that can act on them.

use std::collections::HashMap;
use std::sync::Mutex;

use dialogd_sip::SipMessage;
use dialogd_sip::transaction::TransactionKey;
use tokio::sync::mpsc;

/// What a transaction task is told.
#[derive(Debug)]
pub enum TransactionInput {
    /// A retransmitted request, or the ACK of a non-2xx final response. (Boxed: channel
    /// blocks hold 32 slots, so the slot size is paid by every live transaction.)
    Request(Box<SipMessage>),
    /// A response from downstream.
    Response(Box<SipMessage>),
    /// The upstream CANCELled this INVITE.
    Cancel,
    /// A message this transaction queued on a stream could not be delivered (connect or
    /// write failed, connection closed): RFC 3261 §17.1.4, a 503 from downstream.
    TransportFailed,
}

/// Senders to live transaction tasks, by key.
#[derive(Debug, Default)]
pub struct TransactionTable {
    map: Mutex<HashMap<TransactionKey, mpsc::UnboundedSender<TransactionInput>>>,
}

impl TransactionTable {
    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<TransactionKey, mpsc::UnboundedSender<TransactionInput>>>
    {
        // Inserts and removes cannot panic half-way, so a poisoned map is still consistent.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers `tx` under `key` unless a live task already has it; returns the existing
    /// sender in that case (the request is a retransmission).
    pub fn insert_or_get(
        &self,
        key: TransactionKey,
        tx: &mpsc::UnboundedSender<TransactionInput>,
    ) -> Option<mpsc::UnboundedSender<TransactionInput>> {
        let mut map = self.lock();
        if let Some(existing) = map.get(&key)
            && !existing.is_closed()
        {
            return Some(existing.clone());
        }
        map.insert(key, tx.clone());
        None
    }

    /// Registers `tx` under `key`, replacing any previous entry.
    pub fn insert(&self, key: TransactionKey, tx: &mpsc::UnboundedSender<TransactionInput>) {
        self.lock().insert(key, tx.clone());
    }

    /// The task owning `key`, if it is still running.
    pub fn get(&self, key: &TransactionKey) -> Option<mpsc::UnboundedSender<TransactionInput>> {
        self.lock().get(key).filter(|tx| !tx.is_closed()).cloned()
    }

    /// Forgets `key`.
    pub fn remove(&self, key: &TransactionKey) {
        self.lock().remove(key);
    }

    /// Number of live transactions (for metrics).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no transaction is live.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}
