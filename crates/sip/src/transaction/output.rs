//! What a transaction asks its driver to do.

use bytes::Bytes;

use crate::message::SipMessage;

/// One output of a transaction state machine.
#[derive(Debug, Clone)]
pub enum TransactionOutput {
    /// Send these bytes to the transaction's peer.
    Transmit(Bytes),
    /// Pass this response (client side) up to the transaction user.
    Deliver(SipMessage),
    /// Timer B or F (client: no final response; act as if 408 arrived) or H (server: no ACK).
    TimedOut,
    /// The transaction is over; the driver may forget it.
    Terminated,
}
