//! The proxy's transactions (RFC 3261 §17, the sans-IO machines of `dialogd_sip::transaction`
//! driven here):
//!
//! - [`table`]: the live transactions by key, where the dispatcher finds them;
//! - [`proxied`]: a proxied request's server and client transaction, one task until its final
//!   response;
//! - [`generated`]: requests the proxy sends itself (BYE, keep-alive OPTIONS, REFER, re-INVITE);
//! - [`ends`]: what a transaction leaves once it only absorbs retransmissions;
//! - [`finished`]: those leftovers, kept as data until their RFC 3261 timers run out.

pub mod ends;
pub mod finished;
pub mod generated;
pub mod proxied;
pub mod table;
