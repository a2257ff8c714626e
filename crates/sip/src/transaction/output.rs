//! What a transaction asks its driver to do. A driver creates a machine, drains
//! `poll_output()` until `None`, arms one timer at `poll_timeout()`, calls `handle_timeout(now)`
//! when it fires or `handle_request`/`handle_response`/`send_response` on input, drains again,
//! and forgets the machine after [`TransactionOutput::Terminated`].

use bytes::Bytes;

use crate::message::SipMessage;

/// One output of a transaction state machine.
#[derive(Debug, Clone)]
pub enum TransactionOutput {
    /// Send these bytes to the transaction's peer.
    Transmit(Bytes),
    /// Pass this message up to the transaction user: a response (client side; after a 2xx,
    /// each further 2xx, RFC 6026) or a request (INVITE server in Accepted: the ACK).
    Deliver(SipMessage),
    /// Timer B or F (client: no final response; act as if 408 arrived) or H (server: no ACK
    /// for a non-2xx final response).
    TimedOut,
    /// The transaction is over; the driver may forget it.
    Terminated,
}
