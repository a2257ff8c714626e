//! `dialogd-proxy`: the SIP proxy node's runtime.
//!
//! Owns the tokio transports (UDP, TCP), the transaction driver, RFC 3261 §16 stateful
//! proxying, one ractor `DialogActor` per dialog with the `Registry` that finds them, and the
//! routing/admission policy of DESIGN.md §5. It calls the profile store only through
//! [`dialogd_dialog::Admission`]: it knows nothing of Raft.

pub mod policy;
pub mod transport;
