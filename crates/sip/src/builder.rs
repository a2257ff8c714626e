//! Builders for the requests the proxy sends on its own (RFC 3261 §12.2.1.1, §9.1,
//! §17.1.1.3): BYE, OPTIONS, re-INVITE, REFER inside a dialog; CANCEL for a forwarded INVITE;
//! ACK for a non-2xx final response (hop by hop) and for a 2xx (end to end).
//!
//! Every builder produces bytes that [`crate::SipMessage::parse`] indexes, with a correct
//! Content-Length. Randomness is the caller's: branches are built from a seed it passes.

use bytes::Bytes;

use crate::header_name::HeaderName;
use crate::message::SipMessage;
use crate::method::Method;
use crate::values::NameAddr;

/// Our Via for a request: transport, sent-by and branch.
#[derive(Debug, Clone, Copy)]
pub struct ViaSpec<'a> {
    /// `UDP` or `TCP`.
    pub transport: &'a str,
    /// `host:port` written as sent-by.
    pub sent_by: &'a str,
    /// The branch (with magic cookie).
    pub branch: &'a str,
}

/// Everything a request inside a dialog needs (RFC 3261 §12.2.1.1).
#[derive(Debug, Clone)]
pub struct InDialogRequest<'a> {
    pub method: Method,
    /// The remote target (the peer's Contact URI).
    pub request_uri: &'a str,
    /// Route values in order, nearest first, each a full value like `<sip:p1;lr>`.
    pub route_set: &'a [String],
    /// From header value with tag.
    pub from: &'a str,
    /// To header value with tag.
    pub to: &'a str,
    pub call_id: &'a str,
    pub cseq: u32,
    pub via: ViaSpec<'a>,
    /// Contact to write (re-INVITE, REFER), without angle brackets handling: a full value.
    pub contact: Option<&'a str>,
    pub max_forwards: u32,
    /// Complete header lines (`Name: value`) added after the mandatory ones. A Content-Length
    /// line here is ignored (the builder writes the right one), and so is a Content-Type line
    /// when `body` gives one.
    pub extra_headers: &'a [String],
    /// Content-Type and body.
    pub body: Option<(&'a str, &'a [u8])>,
}

/// A branch from caller-supplied entropy: `z9hG4bK` + 16 hex digits.
pub fn new_branch(seed: u64) -> String {
    format!("z9hG4bK{seed:016x}")
}

/// Builds an in-dialog request. A strict first route (no `;lr`, RFC 3261 §12.2.1.1) becomes
/// the request-URI and the remote target goes last in the Route set.
pub fn build_request(r: &InDialogRequest<'_>) -> Bytes {
    let mut routes: Vec<String> = r.route_set.to_vec();
    let mut ruri = r.request_uri.to_owned();
    let strict = routes
        .first()
        .and_then(|first| NameAddr::parse(first))
        .and_then(|n| n.uri())
        .is_some_and(|u| !u.has_param("lr"));
    if strict && let Some(first) = NameAddr::parse(&routes.remove(0)) {
        routes.push(format!("<{}>", r.request_uri));
        ruri = first.uri;
    }
    let mut out = String::with_capacity(512);
    out.push_str(&format!("{} {} SIP/2.0\r\n", r.method, ruri));
    out.push_str(&format!(
        "Via: SIP/2.0/{} {};branch={}\r\n",
        r.via.transport, r.via.sent_by, r.via.branch
    ));
    out.push_str(&format!("Max-Forwards: {}\r\n", r.max_forwards));
    for route in &routes {
        out.push_str(&format!("Route: {route}\r\n"));
    }
    out.push_str(&format!(
        "From: {}\r\nTo: {}\r\nCall-ID: {}\r\n",
        r.from, r.to, r.call_id
    ));
    out.push_str(&format!("CSeq: {} {}\r\n", r.cseq, r.method));
    if let Some(c) = r.contact {
        out.push_str(&format!("Contact: {c}\r\n"));
    }
    for h in r.extra_headers {
        if is_framing_line(h, r.body.is_some()) {
            continue;
        }
        out.push_str(h);
        out.push_str("\r\n");
    }
    let mut bytes = out.into_bytes();
    match r.body {
        Some((ctype, body)) => {
            bytes.extend_from_slice(
                format!(
                    "Content-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            );
            bytes.extend_from_slice(body);
        }
        None => bytes.extend_from_slice(b"Content-Length: 0\r\n\r\n"),
    }
    Bytes::from(bytes)
}

/// True for a Content-Length line, or a Content-Type line when the builder writes its own.
fn is_framing_line(line: &str, has_body: bool) -> bool {
    let name = line.split(':').next().unwrap_or_default().trim();
    match HeaderName::parse(name) {
        HeaderName::ContentLength => true,
        HeaderName::ContentType => has_body,
        _ => false,
    }
}

/// BYE inside a dialog.
pub fn bye(r: &InDialogRequest<'_>) -> Bytes {
    build_request(&InDialogRequest {
        method: Method::Bye,
        body: None,
        ..r.clone()
    })
}

/// OPTIONS inside a dialog (keep-alive probe).
pub fn options(r: &InDialogRequest<'_>) -> Bytes {
    build_request(&InDialogRequest {
        method: Method::Options,
        body: None,
        ..r.clone()
    })
}

/// re-INVITE with an SDP body.
pub fn reinvite(r: &InDialogRequest<'_>, sdp: &[u8]) -> Bytes {
    build_request(&InDialogRequest {
        method: Method::Invite,
        body: Some(("application/sdp", sdp)),
        ..r.clone()
    })
}

/// REFER with Refer-To (and Referred-By when given) (RFC 3515).
pub fn refer(r: &InDialogRequest<'_>, refer_to: &str, referred_by: Option<&str>) -> Bytes {
    let mut extra = r.extra_headers.to_vec();
    extra.push(format!("Refer-To: {refer_to}"));
    if let Some(by) = referred_by {
        extra.push(format!("Referred-By: {by}"));
    }
    build_request(&InDialogRequest {
        method: Method::Refer,
        extra_headers: &extra,
        body: None,
        ..r.clone()
    })
}

/// ACK for a 2xx (end to end, a new transaction: the caller gives the Via).
pub fn ack_2xx(r: &InDialogRequest<'_>) -> Bytes {
    build_request(&InDialogRequest {
        method: Method::Ack,
        ..r.clone()
    })
}

fn copy_lines(msg: &SipMessage, names: &[HeaderName], out: &mut String, only_first_via: bool) {
    let mut via_written = false;
    for h in msg.headers() {
        if !names.contains(&h.name) {
            continue;
        }
        if h.name == HeaderName::Via && only_first_via {
            // Once, however many Via lines the request has (RFC 3261 §9.1, §17.1.1.3).
            if !via_written && let Some(top) = msg.list(&HeaderName::Via).first() {
                out.push_str(&format!("Via: {}\r\n", msg.element(top)));
            }
            via_written = true;
            continue;
        }
        out.push_str(&format!("{}: {}\r\n", h.name, msg.value_of(h)));
    }
}

/// CANCEL for an INVITE we sent (RFC 3261 §9.1): same request-URI, top Via (same branch),
/// Call-ID, From, To, CSeq number and Route.
pub fn cancel_for(invite: &SipMessage) -> Bytes {
    let mut out = format!(
        "CANCEL {} SIP/2.0\r\n",
        invite.request_uri().unwrap_or("sip:invalid")
    );
    copy_lines(invite, &[HeaderName::Via], &mut out, true);
    out.push_str("Max-Forwards: 70\r\n");
    copy_lines(
        invite,
        &[
            HeaderName::Route,
            HeaderName::From,
            HeaderName::To,
            HeaderName::CallId,
        ],
        &mut out,
        false,
    );
    out.push_str(&format!(
        "CSeq: {} CANCEL\r\nContent-Length: 0\r\n\r\n",
        invite.cseq().number
    ));
    Bytes::from(out)
}

/// ACK for a non-2xx final response to an INVITE we sent (RFC 3261 §17.1.1.3): the
/// INVITE's request-URI, top Via, Call-ID, From and Route, the response's To (with its tag),
/// the INVITE's CSeq number.
pub fn ack_for_non_2xx(invite: &SipMessage, response: &SipMessage) -> Bytes {
    let mut out = format!(
        "ACK {} SIP/2.0\r\n",
        invite.request_uri().unwrap_or("sip:invalid")
    );
    copy_lines(invite, &[HeaderName::Via], &mut out, true);
    out.push_str("Max-Forwards: 70\r\n");
    copy_lines(
        invite,
        &[HeaderName::Route, HeaderName::From, HeaderName::CallId],
        &mut out,
        false,
    );
    let to = response
        .header(&HeaderName::To)
        .or_else(|| invite.header(&HeaderName::To))
        .unwrap_or_default();
    out.push_str(&format!("To: {to}\r\n"));
    out.push_str(&format!(
        "CSeq: {} ACK\r\nContent-Length: 0\r\n\r\n",
        invite.cseq().number
    ));
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base<'a>(routes: &'a [String], extra: &'a [String]) -> InDialogRequest<'a> {
        InDialogRequest {
            method: Method::Bye,
            request_uri: "sip:bob@10.0.0.2:5070",
            route_set: routes,
            from: "<sip:alice@a>;tag=1",
            to: "<sip:bob@b>;tag=2",
            call_id: "cid",
            cseq: 7,
            via: ViaSpec {
                transport: "UDP",
                sent_by: "127.0.0.1:5060",
                branch: "z9hG4bK1",
            },
            contact: None,
            max_forwards: 70,
            extra_headers: extra,
            body: None,
        }
    }

    #[test]
    fn in_dialog_requests_index_with_their_fields() {
        let routes = vec!["<sip:p1;lr>".to_owned(), "<sip:p2;lr>".to_owned()];
        let extra = vec!["Reason: SIP;cause=200".to_owned()];
        let m = SipMessage::parse(bye(&base(&routes, &extra))).unwrap();
        assert_eq!(m.method(), Some(&Method::Bye));
        assert_eq!(m.request_uri(), Some("sip:bob@10.0.0.2:5070"));
        assert_eq!(m.cseq().number, 7);
        assert_eq!(m.list(&HeaderName::Route).len(), 2);
        assert_eq!(m.from_tag().as_deref(), Some("1"));
        assert_eq!(m.to_tag().as_deref(), Some("2"));
        assert!(m.header(&HeaderName::parse("Reason")).is_some());
        let sdp = b"v=0\r\n";
        let m = SipMessage::parse(reinvite(&base(&[], &[]), sdp)).unwrap();
        assert_eq!(m.body(), sdp);
        assert_eq!(m.cseq().method, Method::Invite);
        let m = SipMessage::parse(refer(&base(&[], &[]), "<sip:carol@c>", Some("<sip:bob@b>")))
            .unwrap();
        assert_eq!(
            m.header(&HeaderName::ReferTo).as_deref(),
            Some("<sip:carol@c>")
        );
        let m = SipMessage::parse(options(&base(&[], &[]))).unwrap();
        assert_eq!(m.method(), Some(&Method::Options));
    }

    #[test]
    fn strict_route_becomes_request_uri() {
        let routes = vec!["<sip:strict.example>".to_owned(), "<sip:p2;lr>".to_owned()];
        let m = SipMessage::parse(bye(&base(&routes, &[]))).unwrap();
        assert_eq!(m.request_uri(), Some("sip:strict.example"));
        let r: Vec<String> = m
            .list(&HeaderName::Route)
            .iter()
            .map(|e| m.element(e).into_owned())
            .collect();
        assert_eq!(r, vec!["<sip:p2;lr>", "<sip:bob@10.0.0.2:5070>"]);
    }

    #[test]
    fn cancel_and_ack_copy_the_invite() {
        let invite = SipMessage::parse(Bytes::from_static(
            b"INVITE sip:bob@b SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKy\r\nRoute: <sip:p;lr>\r\nFrom: <sip:a@a>;tag=1\r\nTo: <sip:bob@b>\r\nCall-ID: c\r\nCSeq: 5 INVITE\r\nContent-Length: 0\r\n\r\n",
        ))
        .unwrap();
        let cancel = SipMessage::parse(cancel_for(&invite)).unwrap();
        assert_eq!(cancel.method(), Some(&Method::Cancel));
        assert_eq!(cancel.top_via().branch(), Some("z9hG4bKx"));
        assert_eq!(cancel.list(&HeaderName::Via).len(), 1);
        assert_eq!(cancel.cseq().number, 5);
        assert_eq!(cancel.list(&HeaderName::Route).len(), 1);
        let resp = SipMessage::parse(Bytes::from_static(
            b"SIP/2.0 486 Busy\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\nFrom: <sip:a@a>;tag=1\r\nTo: <sip:bob@b>;tag=9\r\nCall-ID: c\r\nCSeq: 5 INVITE\r\nContent-Length: 0\r\n\r\n",
        ))
        .unwrap();
        let ack = SipMessage::parse(ack_for_non_2xx(&invite, &resp)).unwrap();
        assert_eq!(ack.to_tag().as_deref(), Some("9"));
        assert_eq!(ack.cseq().method, Method::Ack);
        assert_eq!(ack.top_via().branch(), Some("z9hG4bKx"));
    }
}
