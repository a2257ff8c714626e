//! The values of the call-control actions inside a call (transfer, hold, unhold, bridge) that
//! the proxy, the API and the CLI share: what the `CallControl` service hands on once it has
//! checked a request, what the proxy takes and what it answers. Plain data.
//!
//! What differs between the layers stays apart: the API's transfer target names another
//! dialog by id, the proxy's carries that dialog's Call-ID and tags (each crate has its own).

use crate::id::DialogId;
use crate::state::Leg;

pub use dialogd_sip::sdp::HoldMode;

/// How the transferred party's new call is linked to the old one (OpenSIPS callops `mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LinkMode {
    /// `dlgd_xfer=<did>.<mac>` on the Refer-To URI (the old call's id, authenticated); the
    /// new INVITE's request-URI brings it back, the proxy links and strips it.
    #[default]
    Param,
    /// `dlgd_xfer=<old Call-ID>` (escaped) on the Refer-To URI.
    CallId,
    /// No parameter: the application links the calls (`LinkTransfer`).
    Manual,
}

impl LinkMode {
    /// Lower-case name for logs and the CLI (`callid`).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkMode::Param => "param",
            LinkMode::CallId => "callid",
            LinkMode::Manual => "manual",
        }
    }
}

/// A transfer whose REFER the leg accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferStarted {
    /// The REFER's 2xx status (usually 202).
    pub status: u16,
    /// The Refer-To value sent.
    pub refer_to: String,
}

/// One leg's answer to a hold or unhold re-INVITE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegResult {
    pub leg: Leg,
    /// The final status; 0 when none came in time or nothing was sent.
    pub status: u16,
    /// `None` when the leg accepted; else why not.
    pub error: Option<String>,
}

/// A click-to-dial call (Kamailio `dlg_bridge`), its URIs and headers checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeRequest {
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
pub struct BridgeStarted {
    pub did: DialogId,
    pub call_id: String,
}
