//! Argument checks of the `CallControl` RPCs: each turns a raw field into a domain value or an
//! `InvalidArgument` whose message names the field (`refer_to: "x" is not a sip:, sips: or
//! tel: URI`, `replaces.side: ...`). Pure functions; the dialog references' Call-ID form is
//! resolved by the service.

use std::time::Duration;

use dialogd_dialog::{
    DEFAULT_FAILED_LIMIT, DialogId, KeepaliveConfig, Leg, MAX_KEEPALIVE_INTERVAL,
};
use dialogd_sip::values::Uri;

use crate::call_control::types::{BridgeRequest, HoldMode, LinkMode};
use crate::dialogs::backend::{BackendError, EndSide};
use crate::dialogs::validate::{dialog_id, extra_headers, invalid, required_text};
use crate::pb;

type Result<T> = std::result::Result<T, BackendError>;

/// Longest URI (Refer-To, transfer destination, bridge parties), in bytes.
pub const MAX_URI_LEN: usize = 1024;

/// How a request names its dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogRef {
    Id(DialogId),
    Call { call_id: String, from_tag: String },
}

/// The `dialog` field: an id, or a Call-ID and From tag.
pub fn dialog_ref(r: Option<&pb::DialogRef>) -> Result<DialogRef> {
    dialog_ref_at("dialog", r)
}

/// A dialog reference in the field `field` (`replaces.dialog`, `old_dialog`).
pub fn dialog_ref_at(field: &str, r: Option<&pb::DialogRef>) -> Result<DialogRef> {
    match r.and_then(|r| r.key.as_ref()) {
        None => Err(invalid(
            field,
            format_args!("give {field}.id, or {field}.call.call_id and {field}.call.from_tag"),
        )),
        Some(pb::dialog_ref::Key::Id(hex)) => {
            dialog_id(&format!("{field}.id"), hex).map(DialogRef::Id)
        }
        Some(pb::dialog_ref::Key::Call(call)) => Ok(DialogRef::Call {
            call_id: required_text(&format!("{field}.call.call_id"), &call.call_id)?,
            from_tag: required_text(&format!("{field}.call.from_tag"), &call.from_tag)?,
        }),
    }
}

/// The side of an `End`: unspecified means both.
pub fn end_side(value: i32) -> Result<EndSide> {
    match pb::CallSide::try_from(value) {
        Ok(pb::CallSide::Unspecified | pb::CallSide::Both) => Ok(EndSide::Both),
        Ok(pb::CallSide::Caller) => Ok(EndSide::Caller),
        Ok(pb::CallSide::Callee) => Ok(EndSide::Callee),
        Err(_) => Err(invalid(
            "side",
            format_args!("{value} is not a call side (0 to 3)"),
        )),
    }
}

/// The leg of a `Refer`: CALLER or CALLEE.
pub fn one_leg(value: i32) -> Result<Leg> {
    leg_at("side", value, "a REFER goes to one leg")
}

/// A CALLER or CALLEE in the field `field`; `why` ends the message.
fn leg_at(field: &str, value: i32, why: &str) -> Result<Leg> {
    match pb::CallSide::try_from(value) {
        Ok(pb::CallSide::Caller) => Ok(Leg::Caller),
        Ok(pb::CallSide::Callee) => Ok(Leg::Callee),
        _ => Err(invalid(
            field,
            format_args!("{value} is not CALLER (1) or CALLEE (2): {why}"),
        )),
    }
}

/// A Refer-To URI: `sip:`/`sips:` with a host, or `tel:`; angle brackets optional; returned
/// without them.
pub fn refer_to(value: &str) -> Result<String> {
    uri("refer_to", value, true)
}

/// A URI in the field `field`: `sip:`/`sips:` with a host, or (if `tel`) `tel:`; angle
/// brackets optional; returned trimmed and without them.
fn uri(field: &str, value: &str, tel: bool) -> Result<String> {
    let text = required_text(field, value.trim())?;
    if text.len() > MAX_URI_LEN {
        return Err(invalid(
            field,
            format_args!("{} bytes, at most {MAX_URI_LEN} allowed", text.len()),
        ));
    }
    let bare = text
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(&text);
    let bad = || {
        let schemes = if tel {
            "sip:, sips: or tel:"
        } else {
            "sip: or sips:"
        };
        invalid(field, format_args!("{value:?} is not a {schemes} URI"))
    };
    if bare.contains(['<', '>', ' ', '"']) {
        return Err(bad());
    }
    let lower = bare.to_ascii_lowercase();
    let ok = if lower.starts_with("tel:") {
        tel && bare.len() > 4
    } else {
        Uri::parse(bare)
            .is_some_and(|u| matches!(u.scheme.as_str(), "sip" | "sips") && !u.host.is_empty())
    };
    if !ok {
        return Err(bad());
    }
    Ok(bare.to_owned())
}

/// Where a checked `Transfer` sends the leg; the other dialog is still to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTo {
    /// Blind: the destination URI.
    Blind(String),
    /// Attended: the other dialog, its leg that receives the INVITE with Replaces, and the
    /// override of that leg's Contact, if any.
    Attended {
        other: DialogRef,
        leg: Leg,
        destination: Option<String>,
    },
}

/// A `Transfer` request once checked (all but `dialog`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// The leg transferred (receives the REFER).
    pub leg: Leg,
    pub to: TransferTo,
    pub mode: LinkMode,
    pub extra_headers: Vec<String>,
}

/// The arguments of a `Transfer` (all but `dialog`): blind without `replaces`, where
/// `destination` is required; attended with it, where `destination` is optional.
pub fn transfer(req: &pb::TransferRequest) -> Result<Transfer> {
    let leg = leg_at("side", req.side, "one leg is transferred")?;
    let destination = match req.destination.trim() {
        "" => None,
        _ => Some(uri("destination", &req.destination, true)?),
    };
    let to = match (&req.replaces, destination) {
        (None, Some(destination)) => TransferTo::Blind(destination),
        (None, None) => {
            return Err(invalid(
                "destination",
                "required for a blind transfer (or give replaces)",
            ));
        }
        (Some(r), destination) => TransferTo::Attended {
            other: dialog_ref_at("replaces.dialog", r.dialog.as_ref())?,
            leg: leg_at(
                "replaces.side",
                r.side,
                "the leg of the other call that is replaced",
            )?,
            destination,
        },
    };
    Ok(Transfer {
        leg,
        to,
        mode: link_mode(req.link_mode)?,
        extra_headers: extra_headers(&req.extra_headers)?,
    })
}

/// The `link_mode` of a `Transfer`: unspecified means PARAM.
pub fn link_mode(value: i32) -> Result<LinkMode> {
    match pb::LinkMode::try_from(value) {
        Ok(pb::LinkMode::Unspecified | pb::LinkMode::Param) => Ok(LinkMode::Param),
        Ok(pb::LinkMode::Callid) => Ok(LinkMode::CallId),
        Ok(pb::LinkMode::Manual) => Ok(LinkMode::Manual),
        Err(_) => Err(invalid(
            "link_mode",
            format_args!("{value} is not a link mode (0 to 3)"),
        )),
    }
}

/// The `mode` of a `Hold`: unspecified means SENDONLY.
pub fn hold_mode(value: i32) -> Result<HoldMode> {
    match pb::HoldMode::try_from(value) {
        Ok(pb::HoldMode::Unspecified | pb::HoldMode::Sendonly) => Ok(HoldMode::SendOnly),
        Ok(pb::HoldMode::Inactive) => Ok(HoldMode::Inactive),
        Err(_) => Err(invalid(
            "mode",
            format_args!("{value} is not a hold mode (0 to 2)"),
        )),
    }
}

/// The arguments of a `Bridge`: `from` a sip:/sips: URI, `to` also tel:, `outbound_proxy`
/// empty or sip:/sips:.
pub fn bridge(req: &pb::BridgeRequest) -> Result<BridgeRequest> {
    let outbound_proxy = match req.outbound_proxy.trim() {
        "" => None,
        _ => Some(uri("outbound_proxy", &req.outbound_proxy, false)?),
    };
    Ok(BridgeRequest {
        from: uri("from", &req.from, false)?,
        to: uri("to", &req.to, true)?,
        outbound_proxy,
        extra_headers: extra_headers(&req.extra_headers)?,
    })
}

/// The keep-alive of a `SetKeepalive`: `None` when neither leg is probed.
pub fn keepalive(req: &pb::SetKeepaliveRequest) -> Result<Option<KeepaliveConfig>> {
    if !req.caller && !req.callee {
        return Ok(None);
    }
    let max = MAX_KEEPALIVE_INTERVAL.as_secs();
    if req.interval_secs == 0 || u64::from(req.interval_secs) > max {
        return Err(invalid(
            "interval_secs",
            format_args!("{} is not in 1..={max}", req.interval_secs),
        ));
    }
    Ok(Some(KeepaliveConfig {
        caller: req.caller,
        callee: req.callee,
        interval: Duration::from_secs(u64::from(req.interval_secs)),
        failed_limit: DEFAULT_FAILED_LIMIT,
    }))
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
