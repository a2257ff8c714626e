//! INVITE server transaction (RFC 3261 §17.2.1, with RFC 6026 §7.1's Accepted state).
//!
//! ```text
//!   Proceeding ──300-699──▶ Completed ──ACK──▶ Confirmed ──I──▶ Terminated
//!     │  │ 1xx: sent             │ G: retransmit final; H: TimedOut ─▶ Terminated
//!     │  └ request retransmission: last response sent again
//!     └ 2xx ──▶ Accepted (2xx from the TU passed, INVITE retransmissions absorbed) ──L──▶ Terminated
//! ```
//! The 100 Trying is the TU's choice: the proxy sends it at once through `send_response`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::output::TransactionOutput;
use super::timers::{TimerConfig, Timers};
use crate::message::SipMessage;
use crate::method::Method;

/// States of [`InviteServerTransaction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteServerState {
    Proceeding,
    Completed,
    Confirmed,
    Accepted,
    Terminated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    G,
    H,
    I,
    L,
}

/// An INVITE server transaction.
#[derive(Debug)]
pub struct InviteServerTransaction {
    state: InviteServerState,
    reliable: bool,
    config: TimerConfig,
    last_response: Option<Bytes>,
    interval_g: Duration,
    timers: Timers<Timer>,
    out: VecDeque<TransactionOutput>,
}

impl InviteServerTransaction {
    /// A transaction for a received INVITE (no output until the TU responds).
    pub fn new(_now: Instant, _request: &SipMessage, reliable: bool, config: TimerConfig) -> Self {
        InviteServerTransaction {
            state: InviteServerState::Proceeding,
            reliable,
            config,
            last_response: None,
            interval_g: config.t1,
            timers: Timers::default(),
            out: VecDeque::new(),
        }
    }

    /// The current state.
    pub fn state(&self) -> InviteServerState {
        self.state
    }

    /// True once terminated.
    pub fn is_terminated(&self) -> bool {
        self.state == InviteServerState::Terminated
    }

    /// A request matched to this transaction: an INVITE retransmission or the ACK of a
    /// non-2xx final response.
    pub fn handle_request(&mut self, now: Instant, msg: &SipMessage) {
        use InviteServerState::*;
        match (msg.method(), self.state) {
            (Some(Method::Invite), Proceeding | Completed) => {
                if let Some(r) = &self.last_response {
                    self.out.push_back(TransactionOutput::Transmit(r.clone()));
                }
            }
            (Some(Method::Ack), Completed) => {
                self.state = Confirmed;
                self.timers.clear();
                let i = self.config.timer_i_k(self.reliable);
                self.timers.set(Timer::I, now + i);
            }
            _ => {}
        }
    }

    /// A response from the TU.
    pub fn send_response(&mut self, now: Instant, status: u16, bytes: Bytes) {
        use InviteServerState::*;
        match (self.state, status) {
            (Proceeding, 100..=199) => {
                self.last_response = Some(bytes.clone());
                self.out.push_back(TransactionOutput::Transmit(bytes));
            }
            (Proceeding, 200..=299) => {
                self.state = Accepted;
                self.last_response = None;
                self.out.push_back(TransactionOutput::Transmit(bytes));
                self.timers
                    .set(Timer::L, now + self.config.transaction_timeout());
            }
            (Proceeding, 300..=699) => {
                self.state = Completed;
                self.last_response = Some(bytes.clone());
                self.out.push_back(TransactionOutput::Transmit(bytes));
                if !self.reliable {
                    self.timers.set(Timer::G, now + self.config.t1);
                }
                self.timers
                    .set(Timer::H, now + self.config.transaction_timeout());
            }
            (Accepted, 200..=299) => self.out.push_back(TransactionOutput::Transmit(bytes)),
            _ => {}
        }
    }

    /// Fires due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.pop_due(now) {
            match timer {
                Timer::G if self.state == InviteServerState::Completed => {
                    if let Some(r) = &self.last_response {
                        self.out.push_back(TransactionOutput::Transmit(r.clone()));
                    }
                    self.interval_g = (self.interval_g * 2).min(self.config.t2);
                    self.timers.set(Timer::G, now + self.interval_g);
                }
                Timer::H if self.state == InviteServerState::Completed => {
                    self.out.push_back(TransactionOutput::TimedOut);
                    self.terminate();
                }
                Timer::I | Timer::L => self.terminate(),
                _ => {}
            }
        }
    }

    fn terminate(&mut self) {
        if self.state != InviteServerState::Terminated {
            self.state = InviteServerState::Terminated;
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
