//! `dialogd-proxy`: the SIP proxy node's runtime.
//!
//! Owns the tokio transports (UDP, TCP), the transaction tasks, RFC 3261 §16 stateful
//! proxying, one ractor [`dialog_actor::DialogActor`] per dialog with the
//! [`registry::Registry`] that finds them, and the routing/admission policy.
//! It calls the profile store only through [`dialogd_dialog::Admission`]: it knows nothing of
//! Raft. `docs/architecture.md` draws the message path.
//!
//! Main types: [`proxy::Proxy`] (start, stats, snapshots, end), [`context::ProxySettings`],
//! [`policy::Policy`], [`transport::Transports`].

pub mod adoption;
pub mod call_control;
pub mod clock;
pub mod context;
pub mod dialog_actor;
pub mod dns;
pub mod events;
pub mod facts;
pub mod flood;
pub mod limits;
pub mod message_path;
pub mod owner_link;
pub mod policy;
pub mod proxy;
pub mod registry;
pub mod transaction;
pub mod transport;
