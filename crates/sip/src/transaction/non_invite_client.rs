//! Non-INVITE client transaction (RFC 3261 §17.1.2).
//!
//! ```text
//!   Trying ──1xx──▶ Proceeding ──200-699──▶ Completed ──K──▶ Terminated
//!     │ E: retransmit (T1 doubling, capped at T2; T2 in Proceeding)
//!     └ F: TimedOut ────────────────────────────────────────▶ Terminated
//! ```

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::output::TransactionOutput;
use super::timers::{TimerConfig, Timers};
use crate::message::SipMessage;

/// States of [`NonInviteClientTransaction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonInviteClientState {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    E,
    F,
    K,
}

/// A non-INVITE client transaction.
#[derive(Debug)]
pub struct NonInviteClientTransaction {
    state: NonInviteClientState,
    /// The request, kept while it may be retransmitted; dropped at the final response.
    request: Option<SipMessage>,
    reliable: bool,
    config: TimerConfig,
    interval_e: Duration,
    timers: Timers<Timer>,
    out: VecDeque<TransactionOutput>,
}

impl NonInviteClientTransaction {
    /// Starts the transaction: the request is transmitted at once.
    pub fn new(now: Instant, request: &SipMessage, reliable: bool, config: TimerConfig) -> Self {
        let mut t = NonInviteClientTransaction {
            state: NonInviteClientState::Trying,
            request: Some(request.clone()),
            reliable,
            config,
            interval_e: config.timer_e(),
            timers: Timers::default(),
            out: VecDeque::new(),
        };
        t.out
            .push_back(TransactionOutput::Transmit(request.wire_bytes()));
        if !reliable {
            t.timers.set(Timer::E, now + config.timer_e());
        }
        t.timers.set(Timer::F, now + config.timer_f());
        t
    }

    /// The current state.
    pub fn state(&self) -> NonInviteClientState {
        self.state
    }

    /// True once terminated.
    pub fn is_terminated(&self) -> bool {
        self.state == NonInviteClientState::Terminated
    }

    /// A response matched to this transaction.
    pub fn handle_response(&mut self, now: Instant, resp: &SipMessage) {
        let Some(status) = resp.status() else { return };
        use NonInviteClientState::*;
        match (self.state, status) {
            (Trying | Proceeding, 100..=199) => {
                self.state = Proceeding;
                self.out.push_back(TransactionOutput::Deliver(resp.clone()));
            }
            (Trying | Proceeding, _) => {
                self.state = Completed;
                self.timers.clear();
                self.request = None;
                self.out.push_back(TransactionOutput::Deliver(resp.clone()));
                let k = self.config.timer_k(self.reliable);
                self.timers.set(Timer::K, now + k);
            }
            _ => {}
        }
    }

    /// Fires due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.pop_due(now) {
            match timer {
                Timer::E
                    if matches!(
                        self.state,
                        NonInviteClientState::Trying | NonInviteClientState::Proceeding
                    ) =>
                {
                    if let Some(request) = &self.request {
                        self.out
                            .push_back(TransactionOutput::Transmit(request.wire_bytes()));
                    }
                    self.interval_e = if self.state == NonInviteClientState::Trying {
                        self.config.capped_double(self.interval_e)
                    } else {
                        self.config.t2
                    };
                    self.timers.set(Timer::E, now + self.interval_e);
                }
                Timer::F
                    if matches!(
                        self.state,
                        NonInviteClientState::Trying | NonInviteClientState::Proceeding
                    ) =>
                {
                    self.out.push_back(TransactionOutput::TimedOut);
                    self.terminate();
                }
                Timer::K => self.terminate(),
                _ => {}
            }
        }
    }

    fn terminate(&mut self) {
        if self.state != NonInviteClientState::Terminated {
            self.state = NonInviteClientState::Terminated;
            self.timers.clear();
            self.out.push_back(TransactionOutput::Terminated);
        }
    }

    /// The next output, if any.
    pub fn poll_output(&mut self) -> Option<TransactionOutput> {
        self.out.pop_front()
    }

    /// When `handle_timeout` must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }
}
