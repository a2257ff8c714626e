//! SDP bodies as the proxy edits them for call control (hold, unhold, bridge): the media
//! direction attributes (RFC 4566 §6, RFC 3264 §5.1, §8.4, RFC 6337 §5.3) and the session
//! version of the `o=` line (RFC 4566 §5.2, RFC 3264 §8). Nothing else of SDP is interpreted:
//! no codecs, no addresses, no negotiation — the proxy is not a media server.
//!
//! ```text
//!  body bytes ──▶ Layout (line ranges: session, m= sections, o=) ──▶ edits ──▶ new body
//!                   │ Err(ParseError::Sdp*): not SDP, garbage line, no m=, bad o=
//!                   └─▶ directions(): the effective direction of each m= section
//!  hold(body, mode)        = directions held + o= version + 1   (remembers the originals)
//!  unhold(body, originals) = directions restored + o= version + 1
//! ```
//!
//! Every edit is a byte splice: lines the proxy does not change reach the peer as they were
//! written, line endings included. A line the proxy adds takes the body's own line ending
//! (CRLF, or LF when the body's first line ends with a bare LF). Sans-IO and panic-free on
//! any input: a body that is not SDP is an error value.
//!
//! Main items: [`Direction`], [`HoldMode`], [`hold`], [`unhold`], [`directions`],
//! [`set_directions`], [`bump_session_version`].

pub mod direction;
mod layout;
pub mod origin;

pub use direction::{Direction, HeldSdp, HoldMode, directions, hold, set_directions, unhold};
pub use origin::{bump_session_version, session_version};

#[cfg(test)]
#[path = "sdp/direction_tests.rs"]
mod direction_tests;
