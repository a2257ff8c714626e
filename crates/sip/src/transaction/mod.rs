//! RFC 3261 §17 transactions as sans-IO state machines (with RFC 6026's Accepted state).
//!
//! ```text
//!  new(now, request, reliable, timers) ─┐
//!  handle_request(now, msg)            ─┤                   ┌─▶ poll_output(): Transmit(bytes)
//!  handle_response(now, msg)           ─┼─▶ state machine ──┤                  Deliver(msg) to the TU
//!  send_response(now, status, bytes)   ─┤                   │                  TimedOut (timer B/F/H)
//!  handle_timeout(now)                 ─┘                   │                  Terminated
//!                                                           └─▶ poll_timeout(): next Instant
//! ```
//!
//! The machines never read a clock: the driver passes `now`, arms one timer at
//! `poll_timeout()`, and calls `handle_timeout(now)` when it fires. Over a reliable transport
//! nothing is retransmitted and timers D, I, J, K are zero (§17.1.1.2, §17.2.1).
//!
//! A 2xx to an INVITE does not terminate either INVITE machine at once: both follow RFC 6026's
//! Accepted state for 64·T1 (timers L and M) so that 2xx retransmissions still flow (the
//! client passes each up, the server sends each the TU gives it) and INVITE retransmissions
//! are absorbed instead of looking like new requests. The ACK for a non-2xx is built by the
//! INVITE client itself (§17.1.1.3); the ACK for a 2xx is the TU's (see [`crate::builder`]).
//!
//! Each machine's module holds its states and transitions with the RFC's diagram; what all four
//! do alike (queueing outputs, retransmitting only over unreliable transports, lingering under
//! one final timer, reporting `Terminated` once) is `machine.rs`, and the timer values are
//! `timers.rs`.
//!
//! Main types: [`InviteClientTransaction`], [`NonInviteClientTransaction`],
//! [`InviteServerTransaction`], [`NonInviteServerTransaction`], [`TransactionKey`],
//! [`TimerConfig`], [`TransactionOutput`].

mod invite_client;
mod invite_server;
mod key;
mod machine;
mod non_invite_client;
mod non_invite_server;
mod output;
mod timers;

pub use invite_client::{InviteClientState, InviteClientTransaction};
pub use invite_server::{InviteServerState, InviteServerTransaction};
pub use key::{TransactionKey, cancelled_invite_key, client_key, client_request_key, server_key};
pub use non_invite_client::{NonInviteClientState, NonInviteClientTransaction};
pub use non_invite_server::{NonInviteServerState, NonInviteServerTransaction};
pub use output::TransactionOutput;
pub use timers::TimerConfig;
