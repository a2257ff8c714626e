//! Non-INVITE server transaction (RFC 3261 §17.2.2).
//!
//! ```text
//!   Trying ──1xx──▶ Proceeding ──200-699──▶ Completed ──J──▶ Terminated
//!   request retransmissions: absorbed in Trying, last response sent again afterwards
//! ```

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use super::output::TransactionOutput;
use super::timers::{TimerConfig, Timers};
use crate::message::SipMessage;

/// States of [`NonInviteServerTransaction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonInviteServerState {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    J,
}

/// A non-INVITE server transaction.
#[derive(Debug)]
pub struct NonInviteServerTransaction {
    state: NonInviteServerState,
    reliable: bool,
    config: TimerConfig,
    last_response: Option<Bytes>,
    timers: Timers<Timer>,
    out: VecDeque<TransactionOutput>,
}

impl NonInviteServerTransaction {
    /// A transaction for a received request.
    pub fn new(_now: Instant, _request: &SipMessage, reliable: bool, config: TimerConfig) -> Self {
        NonInviteServerTransaction {
            state: NonInviteServerState::Trying,
            reliable,
            config,
            last_response: None,
            timers: Timers::default(),
            out: VecDeque::new(),
        }
    }

    /// The current state.
    pub fn state(&self) -> NonInviteServerState {
        self.state
    }

    /// True once terminated.
    pub fn is_terminated(&self) -> bool {
        self.state == NonInviteServerState::Terminated
    }

    /// The last response sent (what a retransmitted request gets again).
    pub fn last_response(&self) -> Option<&Bytes> {
        self.last_response.as_ref()
    }

    /// A retransmission of the request.
    pub fn handle_request(&mut self, _now: Instant, _msg: &SipMessage) {
        if matches!(
            self.state,
            NonInviteServerState::Proceeding | NonInviteServerState::Completed
        ) && let Some(r) = &self.last_response
        {
            self.out.push_back(TransactionOutput::Transmit(r.clone()));
        }
    }

    /// A response from the TU.
    pub fn send_response(&mut self, now: Instant, status: u16, bytes: Bytes) {
        use NonInviteServerState::*;
        match (self.state, status) {
            (Trying | Proceeding, 100..=199) => {
                self.state = Proceeding;
                self.last_response = Some(bytes.clone());
                self.out.push_back(TransactionOutput::Transmit(bytes));
            }
            (Trying | Proceeding, 200..=699) => {
                self.state = Completed;
                self.last_response = Some(bytes.clone());
                self.out.push_back(TransactionOutput::Transmit(bytes));
                let j = self.config.timer_j(self.reliable);
                self.timers.set(Timer::J, now + j);
            }
            _ => {}
        }
    }

    /// Fires due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Timer::J) = self.timers.pop_due(now) {
            if self.state != NonInviteServerState::Terminated {
                self.state = NonInviteServerState::Terminated;
                self.timers.clear();
                self.out.push_back(TransactionOutput::Terminated);
            }
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
