//! Non-INVITE server transaction (RFC 3261 §17.2.2).
//!
//! ```text
//!   Trying ──1xx──▶ Proceeding ──200-699──▶ Completed ──J──▶ Terminated
//!   request retransmissions: absorbed in Trying, last response sent again afterwards
//! ```

use std::time::Instant;

use bytes::Bytes;

use super::machine::{Machine, MachineState, driver_methods};
use super::output::TransactionOutput;
use super::timers::TimerConfig;
use crate::message::SipMessage;

/// States of [`NonInviteServerTransaction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonInviteServerState {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

impl MachineState for NonInviteServerState {
    const TERMINATED: Self = NonInviteServerState::Terminated;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    J,
}

/// A non-INVITE server transaction.
#[derive(Debug)]
pub struct NonInviteServerTransaction {
    machine: Machine<NonInviteServerState, Timer>,
    last_response: Option<Bytes>,
}

impl NonInviteServerTransaction {
    /// A transaction for a received request.
    pub fn new(_now: Instant, _request: &SipMessage, reliable: bool, config: TimerConfig) -> Self {
        NonInviteServerTransaction {
            machine: Machine::new(NonInviteServerState::Trying, reliable, config),
            last_response: None,
        }
    }

    driver_methods!(NonInviteServerState);

    /// The last response sent (what a retransmitted request gets again).
    pub fn last_response(&self) -> Option<&Bytes> {
        self.last_response.as_ref()
    }

    /// A retransmission of the request.
    pub fn handle_request(&mut self, _now: Instant, _msg: &SipMessage) {
        use NonInviteServerState::*;
        if matches!(self.machine.state, Proceeding | Completed)
            && let Some(r) = &self.last_response
        {
            self.machine.transmit(r.clone());
        }
    }

    /// A response from the TU.
    pub fn send_response(&mut self, now: Instant, status: u16, bytes: Bytes) {
        let m = &mut self.machine;
        use NonInviteServerState::*;
        match (m.state, status) {
            (Trying | Proceeding, 100..=199) => {
                m.state = Proceeding;
                self.last_response = Some(bytes.clone());
                m.transmit(bytes);
            }
            (Trying | Proceeding, 200..=699) => {
                m.linger(Completed, Timer::J, now, m.config.timer_j(m.reliable));
                self.last_response = Some(bytes.clone());
                m.transmit(bytes);
            }
            _ => {}
        }
    }

    /// Fires due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Timer::J) = self.machine.timers.pop_due(now) {
            self.machine.terminate();
        }
    }
}
