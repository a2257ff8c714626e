//! `dialogd-sip`: the SIP layer of dialogd, sans-IO.
//!
//! Owns message indexing and byte splicing (RFC 3261 §7, §16.6), typed header values, stream
//! framing (§18.3), the transaction state machines (§17) and builders for the requests the proxy
//! generates itself. It never touches sockets, clocks or tokio: time is passed in, outputs are
//! polled out.
//!
//! ```text
//!  bytes ──▶ SipMessage::parse ──▶ SipMessage (offsets) ──▶ Splice ──▶ bytes to forward
//!              │ Err(ParseError)
//!              └──▶ build_error_response ──▶ 400 / 513 to send, or None: drop
//!  stream ─▶ framing::frame ─────▶ one message at a time
//!  (now, msg | timer) ──▶ transaction::* ──▶ poll_output(): Transmit | Event   poll_timeout()
//! ```
//!
//! For the proxy's call control (keep-alive, transfer, hold): SDP direction and session
//! version edits ([`sdp`]), Refer-To values with Replaces ([`refer_to`]), URI parameter and
//! header edits ([`uri_edit`]) and the status of NOTIFY sipfrag bodies ([`sipfrag`]).
//!
//! Main types: [`SipMessage`], [`Splice`], [`Method`], [`HeaderName`], [`values::Via`],
//! [`values::NameAddr`], [`values::Uri`] (typed with rsip where rsip is right, see
//! [`values`]). RFC 4475 torture tests, proptest round-trips and a `cargo fuzz` target
//! (`fuzz/`) exercise the indexer.

pub mod builder;
pub mod error;
pub mod framing;
mod header_line;
pub mod header_name;
pub mod limits;
pub mod message;
pub mod method;
pub mod refer_to;
pub mod response;
pub mod sdp;
pub mod sipfrag;
pub mod splice;
mod start_line;
pub mod transaction;
pub mod uri_edit;
pub mod values;

pub use error::ParseError;
pub use header_name::HeaderName;
pub use limits::ParseLimits;
pub use message::{Header, ListElement, SipMessage, StartLine};
pub use method::Method;
pub use response::{build_bad_request, build_error_response, build_response};
pub use splice::Splice;
