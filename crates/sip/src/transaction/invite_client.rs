//! INVITE client transaction (RFC 3261 §17.1.1, with RFC 6026 §7.2's Accepted state).
//!
//! ```text
//!   Calling ──1xx──▶ Proceeding ──2xx──▶ Accepted ──M──▶ Terminated
//!     │ A: retransmit    │ 300-699: ACK ──▶ Completed ──D──▶ Terminated
//!     └ B: TimedOut ──────────────────────────────────────────▶ Terminated
//! ```
//! The ACK for a non-2xx final response is built here (§17.1.1.3); the ACK for a 2xx is the
//! transaction user's business.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::output::TransactionOutput;
use super::timers::{TimerConfig, Timers};
use crate::builder::ack_for_non_2xx;
use crate::message::SipMessage;

/// States of [`InviteClientTransaction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteClientState {
    Calling,
    Proceeding,
    Completed,
    Accepted,
    Terminated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    A,
    B,
    D,
    M,
}

/// An INVITE client transaction.
#[derive(Debug)]
pub struct InviteClientTransaction {
    state: InviteClientState,
    /// The INVITE, kept while it may be retransmitted or ACKed; dropped once a final
    /// response arrived (a proxy holds many finished transactions for 64·T1).
    request: Option<SipMessage>,
    ack: Option<Bytes>,
    reliable: bool,
    config: TimerConfig,
    interval_a: Duration,
    timers: Timers<Timer>,
    out: VecDeque<TransactionOutput>,
}

impl InviteClientTransaction {
    /// Starts the transaction: the request is transmitted at once.
    pub fn new(now: Instant, request: &SipMessage, reliable: bool, config: TimerConfig) -> Self {
        let mut t = InviteClientTransaction {
            state: InviteClientState::Calling,
            request: Some(request.clone()),
            ack: None,
            reliable,
            config,
            interval_a: config.timer_a(),
            timers: Timers::default(),
            out: VecDeque::new(),
        };
        t.out
            .push_back(TransactionOutput::Transmit(request.wire_bytes()));
        if !reliable {
            t.timers.set(Timer::A, now + config.timer_a());
        }
        t.timers.set(Timer::B, now + config.timer_b());
        t
    }

    /// The current state.
    pub fn state(&self) -> InviteClientState {
        self.state
    }

    /// True once terminated.
    pub fn is_terminated(&self) -> bool {
        self.state == InviteClientState::Terminated
    }

    /// A response matched to this transaction.
    pub fn handle_response(&mut self, now: Instant, resp: &SipMessage) {
        let Some(status) = resp.status() else { return };
        use InviteClientState::*;
        match (self.state, status) {
            (Calling | Proceeding, 100..=199) => {
                self.state = Proceeding;
                self.timers.cancel(Timer::A);
                self.timers.cancel(Timer::B);
                self.out.push_back(TransactionOutput::Deliver(resp.clone()));
            }
            (Calling | Proceeding, 200..=299) => {
                self.state = Accepted;
                self.timers.clear();
                self.timers.set(Timer::M, now + self.config.timer_m());
                self.request = None;
                self.out.push_back(TransactionOutput::Deliver(resp.clone()));
            }
            (Calling | Proceeding, _) => {
                self.state = Completed;
                self.timers.clear();
                if let Some(request) = self.request.take() {
                    let ack = ack_for_non_2xx(&request, resp);
                    self.out.push_back(TransactionOutput::Transmit(ack.clone()));
                    self.ack = Some(ack);
                }
                self.out.push_back(TransactionOutput::Deliver(resp.clone()));
                let d = self.config.timer_d(self.reliable);
                self.timers.set(Timer::D, now + d);
            }
            (Completed, 300..=699) => {
                if let Some(ack) = &self.ack {
                    self.out.push_back(TransactionOutput::Transmit(ack.clone()));
                }
            }
            (Accepted, 200..=299) => self.out.push_back(TransactionOutput::Deliver(resp.clone())),
            _ => {}
        }
    }

    /// Fires due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.pop_due(now) {
            match timer {
                Timer::A if self.state == InviteClientState::Calling => {
                    if let Some(request) = &self.request {
                        self.out
                            .push_back(TransactionOutput::Transmit(request.wire_bytes()));
                    }
                    self.interval_a *= 2;
                    self.timers.set(Timer::A, now + self.interval_a);
                }
                Timer::B if self.state == InviteClientState::Calling => {
                    self.out.push_back(TransactionOutput::TimedOut);
                    self.terminate();
                }
                Timer::D | Timer::M => self.terminate(),
                _ => {}
            }
        }
    }

    fn terminate(&mut self) {
        if self.state != InviteClientState::Terminated {
            self.state = InviteClientState::Terminated;
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
