//! The two ends of a transaction the proxy drives, each behind one type whatever the method:
//! [`ServerTransaction`] (INVITE or non-INVITE server, RFC 3261 §17.2) and
//! [`ClientTransaction`] (INVITE or non-INVITE client, §17.1). The proxied-request tasks and the
//! tasks of the proxy's own requests drive them the same way.

use std::time::Instant;

use bytes::Bytes;
use dialogd_sip::transaction::{
    InviteClientTransaction, InviteServerTransaction, NonInviteClientTransaction,
    NonInviteServerTransaction, TimerConfig, TransactionOutput,
};
use dialogd_sip::{Method, SipMessage};

/// A server transaction.
pub enum ServerTransaction {
    Invite(InviteServerTransaction),
    NonInvite(NonInviteServerTransaction),
}

/// A client transaction.
pub enum ClientTransaction {
    Invite(InviteClientTransaction),
    NonInvite(NonInviteClientTransaction),
}

impl ServerTransaction {
    /// The server transaction for a received request.
    pub fn new(now: Instant, request: &SipMessage, reliable: bool, timers: TimerConfig) -> Self {
        if request.method() == Some(&Method::Invite) {
            ServerTransaction::Invite(InviteServerTransaction::new(now, request, reliable, timers))
        } else {
            ServerTransaction::NonInvite(NonInviteServerTransaction::new(
                now, request, reliable, timers,
            ))
        }
    }

    pub fn poll_output(&mut self) -> Option<TransactionOutput> {
        match self {
            ServerTransaction::Invite(t) => t.poll_output(),
            ServerTransaction::NonInvite(t) => t.poll_output(),
        }
    }
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self {
            ServerTransaction::Invite(t) => t.poll_timeout(),
            ServerTransaction::NonInvite(t) => t.poll_timeout(),
        }
    }
    pub fn handle_timeout(&mut self, now: Instant) {
        match self {
            ServerTransaction::Invite(t) => t.handle_timeout(now),
            ServerTransaction::NonInvite(t) => t.handle_timeout(now),
        }
    }
    pub fn handle_request(&mut self, now: Instant, msg: &SipMessage) {
        match self {
            ServerTransaction::Invite(t) => t.handle_request(now, msg),
            ServerTransaction::NonInvite(t) => t.handle_request(now, msg),
        }
    }
    pub fn send_response(&mut self, now: Instant, status: u16, bytes: Bytes) {
        match self {
            ServerTransaction::Invite(t) => t.send_response(now, status, bytes),
            ServerTransaction::NonInvite(t) => t.send_response(now, status, bytes),
        }
    }
    pub fn is_terminated(&self) -> bool {
        match self {
            ServerTransaction::Invite(t) => t.is_terminated(),
            ServerTransaction::NonInvite(t) => t.is_terminated(),
        }
    }

    /// Once the transaction only absorbs retransmissions: until when, and what it keeps
    /// ([`crate::transaction::finished`]); `Leftover::Nothing` once terminated; `None` while it still
    /// has work of its own (no final response yet, or a non-2xx final response it
    /// retransmits until the ACK).
    pub fn leftover(&self) -> Option<Leftover> {
        use dialogd_sip::transaction::{InviteServerState as I, NonInviteServerState as N};
        match self {
            ServerTransaction::Invite(t) => match t.state() {
                I::Accepted | I::Confirmed => Some(Leftover::until(t.poll_timeout(), None)),
                I::Terminated => Some(Leftover::Nothing),
                I::Proceeding | I::Completed => None,
            },
            ServerTransaction::NonInvite(t) => match t.state() {
                N::Completed => Some(Leftover::until(
                    t.poll_timeout(),
                    t.last_response().cloned(),
                )),
                N::Terminated => Some(Leftover::Nothing),
                N::Trying | N::Proceeding => None,
            },
        }
    }
}

/// What a transaction leaves once it only absorbs retransmissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leftover {
    /// Nothing to absorb any more.
    Nothing,
    /// Absorb until `until`; a server re-sends `response` (non-INVITE) to each retransmission.
    Absorb {
        until: Instant,
        response: Option<Bytes>,
    },
}

impl Leftover {
    fn until(at: Option<Instant>, response: Option<Bytes>) -> Leftover {
        match at {
            Some(until) => Leftover::Absorb { until, response },
            // No timer left (a reliable transport ends at once): nothing to absorb.
            None => Leftover::Nothing,
        }
    }
}

impl ClientTransaction {
    /// The client transaction for a request we send (transmitted at once).
    pub fn new(now: Instant, request: &SipMessage, reliable: bool, timers: TimerConfig) -> Self {
        if request.method() == Some(&Method::Invite) {
            ClientTransaction::Invite(InviteClientTransaction::new(now, request, reliable, timers))
        } else {
            ClientTransaction::NonInvite(NonInviteClientTransaction::new(
                now, request, reliable, timers,
            ))
        }
    }

    pub fn poll_output(&mut self) -> Option<TransactionOutput> {
        match self {
            ClientTransaction::Invite(t) => t.poll_output(),
            ClientTransaction::NonInvite(t) => t.poll_output(),
        }
    }
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self {
            ClientTransaction::Invite(t) => t.poll_timeout(),
            ClientTransaction::NonInvite(t) => t.poll_timeout(),
        }
    }
    pub fn handle_timeout(&mut self, now: Instant) {
        match self {
            ClientTransaction::Invite(t) => t.handle_timeout(now),
            ClientTransaction::NonInvite(t) => t.handle_timeout(now),
        }
    }
    pub fn handle_response(&mut self, now: Instant, msg: &SipMessage) {
        match self {
            ClientTransaction::Invite(t) => t.handle_response(now, msg),
            ClientTransaction::NonInvite(t) => t.handle_response(now, msg),
        }
    }
    pub fn is_terminated(&self) -> bool {
        match self {
            ClientTransaction::Invite(t) => t.is_terminated(),
            ClientTransaction::NonInvite(t) => t.is_terminated(),
        }
    }

    /// As [`ServerTransaction::leftover`]. An INVITE client past its 2xx (Accepted) leaves
    /// nothing: a retransmitted 2xx then finds no transaction and is relayed statelessly by
    /// its Via (RFC 6026 §8.4), which is what the Accepted state would do.
    pub fn leftover(&self) -> Option<Leftover> {
        use dialogd_sip::transaction::{InviteClientState as I, NonInviteClientState as N};
        match self {
            ClientTransaction::Invite(t) => match t.state() {
                I::Accepted | I::Terminated => Some(Leftover::Nothing),
                I::Calling | I::Proceeding | I::Completed => None,
            },
            ClientTransaction::NonInvite(t) => match t.state() {
                N::Completed => Some(Leftover::until(t.poll_timeout(), None)),
                N::Terminated => Some(Leftover::Nothing),
                N::Trying | N::Proceeding => None,
            },
        }
    }
}
