//! What the four transaction machines share (RFC 3261 §17): the current state, the transport's
//! reliability and timer values, the armed timers, and the queue of outputs the driver drains.
//!
//! Every machine moves the same way at its edges: it retransmits only over an unreliable
//! transport (timers A, E, G), ends its life in one state that waits for stray retransmissions
//! under a single timer (D, K, I, J, or RFC 6026's L and M), and on the way out reports
//! [`TransactionOutput::TimedOut`] (B, F, H) and [`TransactionOutput::Terminated`] once. What
//! moves a machine between states stays in its own module.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::output::TransactionOutput;
use super::timers::{TimerConfig, Timers};
use crate::message::SipMessage;

/// A machine's state type, which names the state a machine ends in.
pub(crate) trait MachineState: Copy + PartialEq {
    /// The state after [`TransactionOutput::Terminated`]; nothing leaves it.
    const TERMINATED: Self;
}

/// State, timers and outputs of one transaction; `S` names its states, `K` its timers.
#[derive(Debug)]
pub(crate) struct Machine<S, K: Copy + PartialEq> {
    pub(crate) state: S,
    pub(crate) reliable: bool,
    pub(crate) config: TimerConfig,
    pub(crate) timers: Timers<K>,
    out: VecDeque<TransactionOutput>,
}

impl<S: MachineState, K: Copy + PartialEq> Machine<S, K> {
    pub(crate) fn new(state: S, reliable: bool, config: TimerConfig) -> Self {
        Machine {
            state,
            reliable,
            config,
            timers: Timers::default(),
            out: VecDeque::new(),
        }
    }

    /// Queues `bytes` for the peer.
    pub(crate) fn transmit(&mut self, bytes: Bytes) {
        self.out.push_back(TransactionOutput::Transmit(bytes));
    }

    /// Queues `msg` for the transaction user.
    pub(crate) fn deliver(&mut self, msg: &SipMessage) {
        self.out.push_back(TransactionOutput::Deliver(msg.clone()));
    }

    /// Arms a retransmission timer to fire `interval` after `now`, over an unreliable
    /// transport only: a reliable one retransmits by itself (§17.1.1.2, §17.1.2.2, §17.2.1).
    pub(crate) fn arm_retransmit(&mut self, timer: K, now: Instant, interval: Duration) {
        if !self.reliable {
            self.timers.set(timer, now + interval);
        }
    }

    /// Moves to `state`, where the machine only absorbs retransmissions until `timer` fires
    /// `wait` after `now` and ends it; every other timer is dropped.
    pub(crate) fn linger(&mut self, state: S, timer: K, now: Instant, wait: Duration) {
        self.state = state;
        self.timers.clear();
        self.timers.set(timer, now + wait);
    }

    /// Timer B, F or H fired: reports [`TransactionOutput::TimedOut`] and terminates.
    pub(crate) fn time_out(&mut self) {
        self.out.push_back(TransactionOutput::TimedOut);
        self.terminate();
    }

    /// Moves to the terminated state and reports [`TransactionOutput::Terminated`], once.
    pub(crate) fn terminate(&mut self) {
        if self.state != S::TERMINATED {
            self.state = S::TERMINATED;
            self.timers.clear();
            self.out.push_back(TransactionOutput::Terminated);
        }
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state == S::TERMINATED
    }

    pub(crate) fn poll_output(&mut self) -> Option<TransactionOutput> {
        self.out.pop_front()
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }
}

/// The driver-facing methods every machine has the same way (`state`, `is_terminated`,
/// `poll_output`, `poll_timeout`), for a machine whose [`Machine`] is its `machine` field.
macro_rules! driver_methods {
    ($state:ty) => {
        /// The current state.
        pub fn state(&self) -> $state {
            self.machine.state
        }

        /// True once terminated.
        pub fn is_terminated(&self) -> bool {
            self.machine.is_terminated()
        }

        /// The next output, if any.
        pub fn poll_output(&mut self) -> Option<TransactionOutput> {
            self.machine.poll_output()
        }

        /// When `handle_timeout` must be called next.
        pub fn poll_timeout(&self) -> Option<Instant> {
            self.machine.poll_timeout()
        }
    };
}

pub(crate) use driver_methods;
