//! INVITE client transaction (RFC 3261 §17.1.1, with RFC 6026 §7.2's Accepted state).
//!
//! ```text
//!   Calling ──1xx──▶ Proceeding ──2xx──▶ Accepted ──M──▶ Terminated
//!     │ A: retransmit    │ 300-699: ACK ──▶ Completed ──D──▶ Terminated
//!     └ B: TimedOut ──────────────────────────────────────────▶ Terminated
//! ```
//! The ACK for a non-2xx final response is built here (§17.1.1.3); the ACK for a 2xx is the
//! transaction user's business.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::machine::{Machine, MachineState, driver_methods};
use super::output::TransactionOutput;
use super::timers::TimerConfig;
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

impl MachineState for InviteClientState {
    const TERMINATED: Self = InviteClientState::Terminated;
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
    machine: Machine<InviteClientState, Timer>,
    /// The INVITE, kept while it may be retransmitted or ACKed; dropped once a final
    /// response arrived (a proxy holds many finished transactions for 64·T1).
    request: Option<SipMessage>,
    ack: Option<Bytes>,
    interval_a: Duration,
}

impl InviteClientTransaction {
    /// Starts the transaction: the request is transmitted at once.
    pub fn new(now: Instant, request: &SipMessage, reliable: bool, config: TimerConfig) -> Self {
        let mut machine = Machine::new(InviteClientState::Calling, reliable, config);
        machine.transmit(request.wire_bytes());
        machine.arm_retransmit(Timer::A, now, config.timer_a());
        machine.timers.set(Timer::B, now + config.timer_b());
        InviteClientTransaction {
            machine,
            request: Some(request.clone()),
            ack: None,
            interval_a: config.timer_a(),
        }
    }

    driver_methods!(InviteClientState);

    /// A response matched to this transaction.
    pub fn handle_response(&mut self, now: Instant, resp: &SipMessage) {
        let Some(status) = resp.status() else { return };
        let m = &mut self.machine;
        use InviteClientState::*;
        match (m.state, status) {
            (Calling | Proceeding, 100..=199) => {
                m.state = Proceeding;
                m.timers.cancel(Timer::A);
                m.timers.cancel(Timer::B);
                m.deliver(resp);
            }
            (Calling | Proceeding, 200..=299) => {
                m.linger(Accepted, Timer::M, now, m.config.timer_m());
                self.request = None;
                m.deliver(resp);
            }
            (Calling | Proceeding, _) => {
                m.linger(Completed, Timer::D, now, m.config.timer_d(m.reliable));
                if let Some(request) = self.request.take() {
                    let ack = ack_for_non_2xx(&request, resp);
                    m.transmit(ack.clone());
                    self.ack = Some(ack);
                }
                m.deliver(resp);
            }
            (Completed, 300..=699) => {
                if let Some(ack) = &self.ack {
                    m.transmit(ack.clone());
                }
            }
            (Accepted, 200..=299) => m.deliver(resp),
            _ => {}
        }
    }

    /// Fires due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        let m = &mut self.machine;
        while let Some(timer) = m.timers.pop_due(now) {
            match timer {
                Timer::A if m.state == InviteClientState::Calling => {
                    if let Some(request) = &self.request {
                        m.transmit(request.wire_bytes());
                    }
                    self.interval_a *= 2;
                    m.timers.set(Timer::A, now + self.interval_a);
                }
                Timer::B if m.state == InviteClientState::Calling => m.time_out(),
                Timer::D | Timer::M => m.terminate(),
                _ => {}
            }
        }
    }
}
