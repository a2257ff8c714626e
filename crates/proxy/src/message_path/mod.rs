//! The message path: what happens to every SIP message the transports hand over, from the
//! first byte checked to the bytes forwarded (RFC 3261 §16).
//!
//! ```text
//! transport ─▶ dispatch ─┬─ response / retransmission / CANCEL ─▶ crate::transaction
//!                        ├─ in-dialog request ─▶ in_dialog ─┐
//!                        └─ initial request ───▶ initial ───┴─▶ routing ─▶ forward ─▶ transport
//! ```
//!
//! [`dispatch`]'s own diagram shows every branch.
//!
//! - [`dispatch`]: parses, checks and sorts each message; answers what is malformed.
//! - [`initial`]: out-of-dialog requests (policy, admission into profiles, a new dialog).
//! - [`in_dialog`]: requests with a To tag (find the dialog, let its actor judge, proxy).
//! - [`routing`]: loose routing, our own Route elements, the next hop.
//! - [`did`]: the signed dialog id in our Record-Route.
//! - [`relay`]: where a request may go when no rule names its next hop (no open relay).
//! - [`forward`]: the edits a stateful proxy makes to what it forwards.

pub mod did;
pub mod dispatch;
pub mod forward;
pub mod in_dialog;
pub mod initial;
pub mod relay;
pub mod routing;
