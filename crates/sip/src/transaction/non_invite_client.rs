//! Non-INVITE client transaction (RFC 3261 §17.1.2).
//!
//! ```text
//!   Trying ──1xx──▶ Proceeding ──200-699──▶ Completed ──K──▶ Terminated
//!     │ E: retransmit (T1 doubling, capped at T2; T2 in Proceeding)
//!     └ F: TimedOut ────────────────────────────────────────▶ Terminated
//! ```

use std::time::{Duration, Instant};

use super::machine::{Machine, MachineState, driver_methods};
use super::output::TransactionOutput;
use super::timers::TimerConfig;
use crate::message::SipMessage;

/// States of [`NonInviteClientTransaction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonInviteClientState {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

impl MachineState for NonInviteClientState {
    const TERMINATED: Self = NonInviteClientState::Terminated;
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
    machine: Machine<NonInviteClientState, Timer>,
    /// The request, kept while it may be retransmitted; dropped at the final response.
    request: Option<SipMessage>,
    interval_e: Duration,
}

impl NonInviteClientTransaction {
    /// Starts the transaction: the request is transmitted at once.
    pub fn new(now: Instant, request: &SipMessage, reliable: bool, config: TimerConfig) -> Self {
        let mut machine = Machine::new(NonInviteClientState::Trying, reliable, config);
        machine.transmit(request.wire_bytes());
        machine.arm_retransmit(Timer::E, now, config.timer_e());
        machine.timers.set(Timer::F, now + config.timer_f());
        NonInviteClientTransaction {
            machine,
            request: Some(request.clone()),
            interval_e: config.timer_e(),
        }
    }

    driver_methods!(NonInviteClientState);

    /// A response matched to this transaction.
    pub fn handle_response(&mut self, now: Instant, resp: &SipMessage) {
        let Some(status) = resp.status() else { return };
        let m = &mut self.machine;
        use NonInviteClientState::*;
        match (m.state, status) {
            (Trying | Proceeding, 100..=199) => {
                m.state = Proceeding;
                m.deliver(resp);
            }
            (Trying | Proceeding, _) => {
                m.linger(Completed, Timer::K, now, m.config.timer_k(m.reliable));
                self.request = None;
                m.deliver(resp);
            }
            _ => {}
        }
    }

    /// Fires due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        use NonInviteClientState::*;
        let m = &mut self.machine;
        while let Some(timer) = m.timers.pop_due(now) {
            match timer {
                Timer::E if matches!(m.state, Trying | Proceeding) => {
                    if let Some(request) = &self.request {
                        m.transmit(request.wire_bytes());
                    }
                    self.interval_e = if m.state == Trying {
                        m.config.capped_double(self.interval_e)
                    } else {
                        m.config.t2
                    };
                    m.timers.set(Timer::E, now + self.interval_e);
                }
                Timer::F if matches!(m.state, Trying | Proceeding) => m.time_out(),
                Timer::K => m.terminate(),
                _ => {}
            }
        }
    }
}
