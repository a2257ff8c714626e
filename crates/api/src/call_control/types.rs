//! The values of the `CallControl` calls that act inside a call (Transfer,
//! Hold, Unhold, Bridge) as the API sees them once checked: what the service hands to
//! [`crate::CallControlBackend`] and what the [`crate::Client`] returns. Plain data, no gRPC
//! and no proxy types: the node turns them into the proxy's own (`dialogd_proxy::
//! call_control::types`), which this crate must not depend on.

use dialogd_dialog::{DialogId, Leg};

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

/// How the transferred party's new call is linked to the old one (`LinkMode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LinkModeSpec {
    /// A parameter on the Refer-To URI names the old call (its id, authenticated).
    #[default]
    Param,
    /// A parameter on the Refer-To URI carries the old call's Call-ID.
    CallId,
    /// No parameter: the application links the calls (`LinkTransfer`).
    Manual,
}

impl LinkModeSpec {
    /// Lower-case name for logs and the CLI (`callid`).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkModeSpec::Param => "param",
            LinkModeSpec::CallId => "callid",
            LinkModeSpec::Manual => "manual",
        }
    }
}

/// The direction a held leg is offered (`HoldMode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HoldModeSpec {
    /// `a=sendonly`.
    #[default]
    SendOnly,
    /// `a=inactive`.
    Inactive,
}

impl HoldModeSpec {
    /// Lower-case name for logs and the CLI (`sendonly`).
    pub fn as_str(self) -> &'static str {
        match self {
            HoldModeSpec::SendOnly => "sendonly",
            HoldModeSpec::Inactive => "inactive",
        }
    }
}

/// A transfer whose REFER the leg accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferOutcome {
    /// The REFER's 2xx status (usually 202).
    pub status: u16,
    /// The Refer-To value sent.
    pub refer_to: String,
}

/// One leg's answer to a hold or unhold re-INVITE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegOutcome {
    pub leg: Leg,
    /// The final status; 0 when none came in time or nothing was sent.
    pub status: u16,
    /// `None` when the leg accepted; else why not.
    pub error: Option<String>,
}

/// A click-to-dial call (`Bridge`), its URIs and headers checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeSpec {
    /// The party called first (sip: or sips:).
    pub from: String,
    /// Where it is REFERred once it answers (sip:, sips: or tel:).
    pub to: String,
    /// The proxy the INVITE goes through (sip: or sips:); `None`: resolved from `from`.
    pub outbound_proxy: Option<String>,
    /// Header lines added to the INVITE.
    pub extra_headers: Vec<String>,
}

/// The dialog a bridge created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeOutcome {
    pub id: DialogId,
    pub call_id: String,
}
