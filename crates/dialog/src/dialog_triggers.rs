//! A [`Dialog`]'s trigger names (rule `triggers`, the API) and the answer to its `on_timeout`
//! trigger (OpenSIPS 3.1 `on_timeout` route). The machine only says when to ask
//! ([`crate::DialogOutput::TimeoutTrigger`]) and carries out the decision; asking the controllers
//! is the proxy's business ([`crate::TriggerSink`]).
//!
//! ```text
//!  timeout due, triggers set ──▶ TimeoutTrigger (once; poll_timeout() = None meanwhile)
//!  decide_timeout(now, Extend(d)) ──▶ set_timeout(now, d): TimeoutChanged, deadline now + d
//!  decide_timeout(now, Expire)    ──▶ as a plain timeout: BYE to both legs?, Ended(Timeout)
//! ```
//!
//! A decision that comes when none is awaited (the dialog ended by BYE meanwhile, or a late
//! duplicate) is ignored.

use std::time::Instant;

use crate::dialog::Dialog;
use crate::trigger::TimeoutDecision;

impl Dialog {
    /// The trigger names attached to the dialog.
    pub fn triggers(&self) -> &[String] {
        &self.triggers
    }

    /// Replaces the trigger names (empty: none; a later timeout then simply expires). A
    /// decision already awaited stays awaited.
    pub fn set_triggers(&mut self, triggers: Vec<String>) {
        self.triggers = triggers;
    }

    /// True while the `on_timeout` decision is awaited.
    pub fn is_timeout_pending(&self) -> bool {
        self.timeout_pending
    }

    /// The controllers' answer to the [`crate::DialogOutput::TimeoutTrigger`] last output: `Extend(d)`
    /// restarts the timeout as `d` from `now` (as [`set_timeout`](Dialog::set_timeout)),
    /// `Expire` ends the dialog as a plain timeout would. Ignored unless a decision is awaited
    /// and the dialog is still confirmed.
    pub fn decide_timeout(&mut self, now: Instant, decision: TimeoutDecision) {
        if !self.timeout_pending || !self.state.is_confirmed() {
            return;
        }
        self.timeout_pending = false;
        match decision {
            TimeoutDecision::Extend(timeout) => self.set_timeout(now, timeout),
            TimeoutDecision::Expire => self.expire(),
        }
    }
}
