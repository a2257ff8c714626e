//! Bounds on the work the proxy takes on: live transactions, dialogs and initial requests
//! waiting for their admission. Past a bound a new request is answered 503 with Retry-After
//! (RFC 3261 §21.5.4) at once and nothing is kept for it, so a flood costs memory and CPU up to
//! the bound and no further; the calls already carried go on.
//!
//! [`Limits`] are the settings; [`Load`] counts what is live with atomics the dispatcher and
//! the tasks share, and a [`LoadSlot`] gives its unit back when dropped, so a counter cannot
//! leak when a task ends early. This module must not decide what to answer: the dispatcher and
//! the initial-request path do.
//!
//! In-dialog requests get [`IN_DIALOG_HEADROOM`] more transactions than initial ones: when new
//! work fills the table, the calls in progress can still be ended and re-negotiated.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Default [`Limits::max_transactions`]: a call holds about two transactions for 32 s (the
/// INVITE's server side in Accepted, RFC 6026, and the BYE's timer J), so 200,000 carries
/// about 3,000 calls/s over UDP.
pub const DEFAULT_MAX_TRANSACTIONS: usize = 200_000;
/// Default [`Limits::max_dialogs`]: live dialogs of this node (early and confirmed).
pub const DEFAULT_MAX_DIALOGS: usize = 100_000;
/// Default [`Limits::max_pending_admissions`]: initial requests between the dispatcher and
/// their admission answer (routing, DNS, the profile store's commit).
pub const DEFAULT_MAX_PENDING_ADMISSIONS: usize = 4_096;
/// In-dialog requests may take this fraction (1/8) more transactions than initial ones.
pub const IN_DIALOG_HEADROOM: usize = 8;

/// The bounds (config `[limits]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Live proxied transactions started by received requests (the proxy's own requests,
    /// BYE on timeout and call control, are never refused).
    pub max_transactions: usize,
    /// Live dialogs plus dialogs being admitted.
    pub max_dialogs: usize,
    /// Initial requests waiting for routing and admission.
    pub max_pending_admissions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_transactions: DEFAULT_MAX_TRANSACTIONS,
            max_dialogs: DEFAULT_MAX_DIALOGS,
            max_pending_admissions: DEFAULT_MAX_PENDING_ADMISSIONS,
        }
    }
}

/// Which bound refused a request (the `limit` label of `dialogd_limit_refused_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Transactions,
    Dialogs,
    PendingAdmissions,
}

impl Bound {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Bound::Transactions => "transactions",
            Bound::Dialogs => "dialogs",
            Bound::PendingAdmissions => "pending_admissions",
        }
    }

    /// Counts a refusal in `dialogd_limit_refused_total{limit}`.
    pub fn count(self) {
        metrics::counter!("dialogd_limit_refused_total", "limit" => self.as_str()).increment(1);
    }
}

/// What is live now.
#[derive(Debug, Default)]
pub struct Load {
    transactions: AtomicUsize,
    pending_admissions: AtomicUsize,
}

/// The counters slots are taken from (dialogs are counted by the registry, not here).
#[derive(Debug, Clone, Copy)]
enum Counter {
    Transactions,
    PendingAdmissions,
}

/// One unit of a [`Load`] counter, given back on drop.
#[derive(Debug)]
pub struct LoadSlot {
    load: Arc<Load>,
    kind: Counter,
}

impl Drop for LoadSlot {
    fn drop(&mut self) {
        self.load.counter(self.kind).fetch_sub(1, Ordering::Relaxed);
    }
}

impl Load {
    fn counter(&self, kind: Counter) -> &AtomicUsize {
        match kind {
            Counter::Transactions => &self.transactions,
            Counter::PendingAdmissions => &self.pending_admissions,
        }
    }

    /// Takes a slot of `kind` if fewer than `max` are taken.
    fn take(self: &Arc<Self>, kind: Counter, max: usize) -> Option<LoadSlot> {
        let counter = self.counter(kind);
        counter
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        Some(LoadSlot {
            load: Arc::clone(self),
            kind,
        })
    }

    /// A transaction slot for a received request: initial requests up to `max_transactions`,
    /// in-dialog ones up to [`IN_DIALOG_HEADROOM`] more.
    pub fn transaction(self: &Arc<Self>, limits: &Limits, in_dialog: bool) -> Option<LoadSlot> {
        let max = if in_dialog {
            limits
                .max_transactions
                .saturating_add(limits.max_transactions / IN_DIALOG_HEADROOM)
        } else {
            limits.max_transactions
        };
        self.take(Counter::Transactions, max)
    }

    /// A slot for an initial request on its way to admission.
    pub fn pending_admission(self: &Arc<Self>, limits: &Limits) -> Option<LoadSlot> {
        self.take(Counter::PendingAdmissions, limits.max_pending_admissions)
    }

    /// Live transactions holding a slot.
    pub fn transactions(&self) -> usize {
        self.transactions.load(Ordering::Relaxed)
    }

    /// Initial requests waiting for admission.
    pub fn pending_admissions(&self) -> usize {
        self.pending_admissions.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_transactions: usize, max_pending_admissions: usize) -> Limits {
        Limits {
            max_transactions,
            max_dialogs: 10,
            max_pending_admissions,
        }
    }

    #[test]
    fn slots_are_bounded_and_given_back() {
        let load = Arc::new(Load::default());
        let l = limits(8, 2);
        let held: Vec<_> = (0..8).map(|_| load.transaction(&l, false)).collect();
        assert!(held.iter().all(Option::is_some));
        assert!(
            load.transaction(&l, false).is_none(),
            "initial past the bound"
        );
        // In-dialog requests get 1/8 more: one here.
        let extra = load.transaction(&l, true);
        assert!(extra.is_some());
        assert!(load.transaction(&l, true).is_none());
        assert_eq!(load.transactions(), 9);
        drop(held);
        drop(extra);
        assert_eq!(load.transactions(), 0);
        assert!(load.transaction(&l, false).is_some());

        let a = load.pending_admission(&l);
        let b = load.pending_admission(&l);
        assert!(a.is_some() && b.is_some());
        assert!(load.pending_admission(&l).is_none());
        drop(a);
        assert_eq!(load.pending_admissions(), 1);
        assert!(load.pending_admission(&l).is_some());
    }
}
