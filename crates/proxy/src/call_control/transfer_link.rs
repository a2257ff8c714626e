//! The link between a transferred party's new call and the call it was transferred from
//! (mode `param` / `callid` of [`crate::call_control::transfer`]): the initial INVITE's request-URI brings
//! back [`dialogd_dialog::transfer::LINK_PARAM`]; it is stripped before anything else looks at
//! the request (rules, forwarding), the new dialog gets the variable
//! [`crate::call_control::transfer::LINK_VAR`], and the old dialog, when this node drives it, hears of the
//! new Call-ID. A token that names no dialog (forged, stale, from another cluster) is still
//! stripped and only logged: the call goes on unlinked.

use std::sync::Arc;

use dialogd_dialog::{Dialog, DialogId};
use dialogd_sip::SipMessage;

use crate::call_control::msg::CallControlMsg;
use crate::call_control::transfer::LINK_VAR;
use crate::context::ProxyContext;
use crate::dialog_actor::DialogMsg;

/// `msg` without the link parameter in its request-URI, and the parameter's value. Only
/// INVITEs are looked at; a message that does not re-index after the edit is kept as it was.
pub fn take(msg: SipMessage) -> (SipMessage, Option<String>) {
    if msg.method() != Some(&dialogd_sip::Method::Invite) {
        return (msg, None);
    }
    let Some(uri) = msg.request_uri() else {
        return (msg, None);
    };
    let Some((stripped, token)) = dialogd_dialog::transfer::take_link(uri) else {
        return (msg, None);
    };
    let bytes = dialogd_sip::Splice::new(&msg)
        .set_request_uri(&stripped)
        .build();
    match SipMessage::parse(bytes) {
        Ok(m) => (m, Some(token)),
        Err(e) => {
            tracing::warn!(error = %e, "request-URI without the transfer link does not index");
            (msg, None)
        }
    }
}

/// The old dialog `token` names (a `did` value with a valid MAC, or a Call-ID this node
/// drives); the new `dialog` gets [`LINK_VAR`] either way.
pub fn resolve(ctx: &ProxyContext, dialog: &mut Dialog, token: &str) -> Option<DialogId> {
    let (old, value) = match ctx.did.decode(token) {
        Ok(did) => (Some(did), did.to_string()),
        Err(_) => {
            let call_id = dialogd_sip::uri_edit::unescape_uri_value(token)
                .unwrap_or_else(|| token.to_owned());
            let by_call = ctx.registry.by_call_id(&call_id);
            (by_call.first().map(|h| h.did), call_id)
        }
    };
    if let Err(e) = dialog.set_var(LINK_VAR, value) {
        tracing::debug!(error = %e, "transfer link variable not set");
    }
    tracing::info!(new_call_id = dialog.call_id(), old = ?old, "new call linked to a transfer");
    metrics::counter!("dialogd_transfers_linked_total").increment(1);
    old
}

/// Tells the old dialog (when this node drives it) which new call completes its transfer.
pub fn tell_old(ctx: &Arc<ProxyContext>, old: DialogId, new_call_id: &str) {
    match ctx.registry.get(old) {
        Some(h) => {
            let msg = CallControlMsg::Linked {
                call_id: new_call_id.to_owned(),
            };
            h.cast(DialogMsg::CallControl(msg));
        }
        None => {
            tracing::info!(%old, "transferred call not driven by this node: only the new call records the link")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(ruri: &str) -> SipMessage {
        let text = format!(
            "INVITE {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
             From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\
             Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        );
        SipMessage::parse(bytes::Bytes::from(text)).unwrap()
    }

    #[test]
    fn the_link_parameter_is_taken_out_of_the_request_uri() {
        let (msg, token) = take(invite(
            "sip:carol@192.0.2.9:5062;dlgd_xfer=00ab.12345678;lr",
        ));
        assert_eq!(token.as_deref(), Some("00ab.12345678"));
        assert_eq!(msg.request_uri(), Some("sip:carol@192.0.2.9:5062;lr"));
        assert_eq!(msg.call_id(), "c1");
    }

    #[test]
    fn a_request_without_it_is_left_alone() {
        let (msg, token) = take(invite("sip:carol@192.0.2.9"));
        assert_eq!(token, None);
        assert_eq!(msg.request_uri(), Some("sip:carol@192.0.2.9"));
    }
}
