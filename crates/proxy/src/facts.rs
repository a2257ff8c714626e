//! Conversions between SIP messages and the dialog machine's plain facts
//! ([`dialogd_dialog::facts`]), and the bytes of the requests a dialog asks the proxy to send.

use bytes::Bytes;
use dialogd_dialog::{GeneratedRequest, InitialInvite, RequestFacts, ResponseFacts};
use dialogd_sip::builder::{InDialogRequest, ViaSpec, build_request};
use dialogd_sip::values::NameAddr;
use dialogd_sip::{HeaderName, SipMessage};

use crate::context::ProxyContext;
use crate::message_path::forward::new_branch;
use crate::transport::{Inbound, TransportKind};

fn contact_uri(msg: &SipMessage) -> Option<String> {
    msg.list(&HeaderName::Contact)
        .first()
        .and_then(|e| NameAddr::parse(&msg.element(e)))
        .map(|n| n.uri)
}

fn header(msg: &SipMessage, name: HeaderName) -> String {
    msg.header(&name)
        .map(|v| v.into_owned())
        .unwrap_or_default()
}

/// The facts of an initial INVITE.
pub fn initial_invite(msg: &SipMessage, inbound: &Inbound) -> InitialInvite {
    let from = msg.from();
    let to = msg.to();
    InitialInvite {
        call_id: msg.call_id().to_owned(),
        from: header(msg, HeaderName::From),
        from_tag: from.tag().unwrap_or_default().to_owned(),
        from_uri: from.uri.clone(),
        to: header(msg, HeaderName::To),
        to_uri: to.uri.clone(),
        request_uri: msg.request_uri().unwrap_or_default().to_owned(),
        cseq: msg.cseq().number,
        contact: contact_uri(msg),
        record_route: msg
            .list(&HeaderName::RecordRoute)
            .iter()
            .map(|e| msg.element(e).into_owned())
            .collect(),
        source: Some(format!(
            "{}:{}",
            inbound.transport.as_str().to_ascii_lowercase(),
            inbound.source
        )),
    }
}

/// The facts of a response to the initial INVITE. `record_route_above` holds the
/// Record-Route elements before the first one carrying a `did` (ours).
pub fn response(msg: &SipMessage) -> ResponseFacts {
    let mut above = Vec::new();
    for e in msg.list(&HeaderName::RecordRoute) {
        let value = msg.element(&e).into_owned();
        let ours = NameAddr::parse(&value)
            .and_then(|n| n.uri())
            .is_some_and(|u| u.has_param("did"));
        if ours {
            break;
        }
        above.push(value);
    }
    ResponseFacts {
        status: msg.status().unwrap_or(0),
        to: header(msg, HeaderName::To),
        to_tag: msg.to_tag(),
        contact: contact_uri(msg),
        record_route_above: above,
        cseq: msg.cseq().number,
        cseq_method: Some(msg.cseq().method.clone()),
    }
}

/// The facts of an in-dialog request.
pub fn request(msg: &SipMessage, matched_by_did: bool) -> RequestFacts {
    RequestFacts {
        method: msg.method().cloned().unwrap_or(dialogd_sip::Method::Ack),
        call_id: msg.call_id().to_owned(),
        from_tag: msg.from_tag(),
        to_tag: msg.to_tag(),
        cseq: msg.cseq().number,
        contact: contact_uri(msg),
        matched_by_did,
    }
}

/// The bytes of a request the dialog asked for, with our Via.
pub fn build_generated(
    ctx: &ProxyContext,
    req: &GeneratedRequest,
    transport: TransportKind,
) -> Bytes {
    let branch = new_branch();
    let sent_by = ctx.settings.local.host_port();
    build_request(&InDialogRequest {
        method: req.method.clone(),
        request_uri: &req.request_uri,
        route_set: &req.route_set,
        from: &req.from,
        to: &req.to,
        call_id: &req.call_id,
        cseq: req.cseq,
        via: ViaSpec {
            transport: transport.as_str(),
            sent_by: &sent_by,
            branch: &branch,
        },
        contact: None,
        max_forwards: ctx.settings.max_forwards,
        extra_headers: &req.extra_headers,
        body: req
            .body
            .as_ref()
            .map(|b| (b.content_type.as_str(), b.bytes.as_slice())),
    })
}

/// The body of `msg` if it is an SDP (`Content-Type: application/sdp`, any case, parameters
/// allowed) and not empty: what a leg offered or answered ([`dialogd_dialog::Media`]).
pub fn sdp_body(msg: &SipMessage) -> Option<&[u8]> {
    let body = msg.body();
    if body.is_empty() {
        return None;
    }
    let ct = msg.header(&HeaderName::ContentType)?;
    let media = ct.split(';').next().unwrap_or_default().trim();
    media
        .eq_ignore_ascii_case("application/sdp")
        .then_some(body)
}

/// The `Event` package of a request (`refer` for the NOTIFYs of a REFER), lower-cased,
/// without parameters (`refer;id=93` is `refer`).
pub fn event_package(msg: &SipMessage) -> Option<String> {
    let v = msg.header(&HeaderName::Event)?;
    Some(
        v.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

/// True if the request ends its subscription (`Subscription-State: terminated`).
pub fn subscription_terminated(msg: &SipMessage) -> bool {
    msg.header(&HeaderName::Other("Subscription-State".into()))
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("terminated")
        })
}
