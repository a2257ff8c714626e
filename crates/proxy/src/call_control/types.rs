//! The values of the call-control calls that act inside a call: what [`crate::Proxy::transfer`],
//! [`crate::Proxy::hold`], [`crate::Proxy::unhold`] and [`crate::Proxy::bridge`] take and
//! answer. Plain data. The ones the API shares are [`dialogd_dialog::call_control`]'s; the
//! proxy's own transfer target carries the other dialog's Call-ID and tags.

use dialogd_dialog::{DialogSnapshot, Leg};

pub use dialogd_dialog::call_control::{
    BridgeRequest, BridgeStarted, HoldMode, LegResult, LinkMode, TransferStarted,
};

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
