//! The values of the call-control calls that act inside a call: what [`crate::Proxy::transfer`],
//! [`crate::Proxy::hold`], [`crate::Proxy::unhold`] and [`crate::Proxy::bridge`] take and
//! answer. Plain data: the node's `CallControl` backend builds them from gRPC requests.

use dialogd_dialog::{DialogSnapshot, Leg};

pub use dialogd_sip::sdp::HoldMode;

/// How the transferred party's new call is linked to the old one (OpenSIPS callops `mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LinkMode {
    /// `dlgd_xfer=<did>.<mac>` on the Refer-To URI; the new INVITE's request-URI brings it
    /// back, the proxy links and strips it.
    #[default]
    Param,
    /// `dlgd_xfer=<old Call-ID>` (escaped) on the Refer-To URI.
    CallId,
    /// No parameter: the application links with [`crate::Proxy::link_transfer`].
    Manual,
}

/// Where a transferred leg is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    /// Blind: REFER with `Refer-To: <destination>`.
    Blind { destination: String },
    /// Attended: REFER with `Refer-To: <target_uri?Replaces=...>` naming a leg of another
    /// dialog ([`TransferTarget::attended`] builds it from that dialog's view).
    Attended {
        /// The URI the transferred party sends its INVITE with Replaces to.
        target_uri: String,
        /// The other dialog's Call-ID.
        call_id: String,
        /// The other dialog's caller (From) tag.
        caller_tag: String,
        /// The other dialog's callee (To) tag.
        callee_tag: String,
        /// The other dialog's leg that receives the INVITE with Replaces.
        leg: Leg,
    },
}

impl TransferTarget {
    /// The attended target `leg` of the dialog `other` (an answered call): its Replaces from
    /// the tags, the URI `destination` if given, else that leg's Contact, else its address.
    /// `Err` says why `other` cannot be the target (not answered: no callee tag).
    pub fn attended(
        other: &DialogSnapshot,
        leg: Leg,
        destination: Option<String>,
    ) -> Result<TransferTarget, String> {
        let (Some(caller_tag), Some(callee_tag)) =
            (other.caller.tag.clone(), other.callee.tag.clone())
        else {
            return Err(format!(
                "dialog {} is not answered: no Replaces can name it",
                other.did
            ));
        };
        let view = match leg {
            Leg::Caller => &other.caller,
            Leg::Callee => &other.callee,
        };
        let target_uri = destination
            .or_else(|| view.contact.clone())
            .unwrap_or_else(|| view.uri.clone());
        Ok(TransferTarget::Attended {
            target_uri,
            call_id: other.call_id.clone(),
            caller_tag,
            callee_tag,
            leg,
        })
    }
}

/// A transfer whose REFER was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferStarted {
    /// The REFER's 2xx status (202).
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

/// A click-to-dial call ([`crate::Proxy::bridge`], Kamailio `dlg_bridge`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeRequest {
    /// The party called first (a sip: or sips: URI).
    pub from: String,
    /// Where it is REFERred once it answers.
    pub to: String,
    /// The URI of the proxy the INVITE goes through; `None`: resolved from `from`.
    pub outbound_proxy: Option<String>,
    /// Header lines added to the INVITE.
    pub extra_headers: Vec<String>,
}

/// The dialog a bridge created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeStarted {
    pub did: dialogd_dialog::DialogId,
    pub call_id: String,
}
