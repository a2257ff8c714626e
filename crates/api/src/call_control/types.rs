//! The values of the `CallControl` calls that act inside a call (Transfer,
//! Hold, Unhold, Bridge) as the API sees them once checked: what the service hands to
//! [`crate::CallControlBackend`] and what the [`crate::Client`] returns. Plain data, no gRPC
//! and no proxy types (this crate must not depend on the proxy). The values the proxy takes
//! and answers as they are are [`dialogd_dialog::call_control`]'s; the transfer target here
//! names the other dialog by id, which the node looks up.

use dialogd_dialog::{DialogId, Leg};

pub use dialogd_dialog::call_control::{
    BridgeRequest, BridgeStarted, HoldMode, LegResult, LinkMode, TransferStarted,
};

/// Where a transferred leg is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTargetSpec {
    /// Blind: REFER with `Refer-To: <destination>` (a checked sip:, sips: or tel: URI).
    Blind { destination: String },
    /// Attended: the leg `leg` of the answered dialog `other` receives an INVITE with
    /// Replaces; `destination` overrides the URI it is sent to (default: that leg's Contact).
    Attended {
        other: DialogId,
        leg: Leg,
        destination: Option<String>,
    },
}
