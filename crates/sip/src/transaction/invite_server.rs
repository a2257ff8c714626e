//! INVITE server transaction (RFC 3261 §17.2.1, with RFC 6026 §7.1's Accepted state).
//!
//! ```text
//!   Proceeding ──300-699──▶ Completed ──ACK──▶ Confirmed ──I──▶ Terminated
//!     │  │ 1xx: sent             │ G: retransmit final; H: TimedOut ─▶ Terminated
//!     │  └ request retransmission: last response sent again
//!     └ 2xx ──▶ Accepted (2xx from the TU passed, INVITE retransmissions absorbed,
//!                         ACK passed up) ──L──▶ Terminated
//! ```
//!
//! 100 Trying (§17.2.1): [`InviteServerTransaction::with_trying`] sends it at creation (what a
//! proxy wants, §16.2), [`InviteServerTransaction::send_trying`] sends it when the TU asks (for
//! a TU that may answer within 200 ms), and a TU may also pass its own 100 to `send_response`.
//!
//! 2xx: RFC 3261 terminates the transaction at a 2xx and leaves 2xx retransmissions and INVITE
//! retransmissions to the TU. We follow RFC 6026 §7.1 instead: the transaction moves to
//! Accepted for 64·T1 (timer L), passes every 2xx the TU sends (the TU's or a forked branch's
//! retransmission), absorbs INVITE retransmissions so they never reach the TU as new requests,
//! and passes an ACK that matches it up as [`TransactionOutput::Deliver`]. It never
//! retransmits a 2xx on its own.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::machine::{Machine, MachineState, driver_methods};
use super::output::TransactionOutput;
use super::timers::TimerConfig;
use crate::header_name::HeaderName;
use crate::message::SipMessage;
use crate::method::Method;
use crate::response::build_response;

/// States of [`InviteServerTransaction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteServerState {
    Proceeding,
    Completed,
    Confirmed,
    Accepted,
    Terminated,
}

impl MachineState for InviteServerState {
    const TERMINATED: Self = InviteServerState::Terminated;
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
    machine: Machine<InviteServerState, Timer>,
    last_response: Option<Bytes>,
    interval_g: Duration,
}

impl InviteServerTransaction {
    /// A transaction for a received INVITE (no output until the TU responds or asks for a
    /// 100 with [`Self::send_trying`]).
    pub fn new(_now: Instant, _request: &SipMessage, reliable: bool, config: TimerConfig) -> Self {
        InviteServerTransaction {
            machine: Machine::new(InviteServerState::Proceeding, reliable, config),
            last_response: None,
            interval_g: config.timer_g(),
        }
    }

    /// A transaction for a received INVITE that transmits a 100 Trying at once (a proxy's
    /// choice, RFC 3261 §16.2).
    pub fn with_trying(
        now: Instant,
        request: &SipMessage,
        reliable: bool,
        config: TimerConfig,
    ) -> Self {
        let mut t = Self::new(now, request, reliable, config);
        t.send_trying(now, request);
        t
    }

    /// Transmits a 100 Trying built from `request` (Via, From, To, Call-ID, CSeq and
    /// Timestamp copied, §8.2.6.1) unless a response was already sent. Retransmissions of the
    /// INVITE are then answered with it until the TU sends another response.
    pub fn send_trying(&mut self, now: Instant, request: &SipMessage) {
        if self.machine.state != InviteServerState::Proceeding || self.last_response.is_some() {
            return;
        }
        let timestamp: Vec<String> = request
            .header(&HeaderName::parse("Timestamp"))
            .map(|v| format!("Timestamp: {v}"))
            .into_iter()
            .collect();
        let trying = build_response(request, 100, "Trying", None, &timestamp);
        self.send_response(now, 100, trying);
    }

    driver_methods!(InviteServerState);

    /// A request matched to this transaction: an INVITE retransmission or the ACK of a
    /// non-2xx final response.
    pub fn handle_request(&mut self, now: Instant, msg: &SipMessage) {
        let m = &mut self.machine;
        use InviteServerState::*;
        match (msg.method(), m.state) {
            (Some(Method::Invite), Proceeding | Completed) => {
                if let Some(r) = &self.last_response {
                    m.transmit(r.clone());
                }
            }
            (Some(Method::Ack), Completed) => {
                m.linger(Confirmed, Timer::I, now, m.config.timer_i(m.reliable));
            }
            (Some(Method::Ack), Accepted) => m.deliver(msg),
            _ => {}
        }
    }

    /// A response from the TU.
    pub fn send_response(&mut self, now: Instant, status: u16, bytes: Bytes) {
        let m = &mut self.machine;
        use InviteServerState::*;
        match (m.state, status) {
            (Proceeding, 100..=199) => {
                self.last_response = Some(bytes.clone());
                m.transmit(bytes);
            }
            (Proceeding, 200..=299) => {
                m.linger(Accepted, Timer::L, now, m.config.timer_l());
                self.last_response = None;
                m.transmit(bytes);
            }
            (Proceeding, 300..=699) => {
                m.state = Completed;
                self.last_response = Some(bytes.clone());
                m.transmit(bytes);
                m.arm_retransmit(Timer::G, now, self.interval_g);
                m.timers.set(Timer::H, now + m.config.timer_h());
            }
            (Accepted, 200..=299) => m.transmit(bytes),
            _ => {}
        }
    }

    /// Fires due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        let m = &mut self.machine;
        while let Some(timer) = m.timers.pop_due(now) {
            match timer {
                Timer::G if m.state == InviteServerState::Completed => {
                    if let Some(r) = &self.last_response {
                        m.transmit(r.clone());
                    }
                    self.interval_g = m.config.capped_double(self.interval_g);
                    m.timers.set(Timer::G, now + self.interval_g);
                }
                Timer::H if m.state == InviteServerState::Completed => m.time_out(),
                Timer::I | Timer::L => m.terminate(),
                _ => {}
            }
        }
    }
}
