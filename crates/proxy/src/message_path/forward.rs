//! The edits a stateful proxy makes to what it forwards (RFC 3261 §16.6, §16.7): for requests
//! our Route popped (strict-router request-URIs repaired), Max-Forwards decremented (or added),
//! Record-Route and Via prepended; for responses our Via removed. Everything else is spliced
//! through byte for byte.

use bytes::Bytes;
use std::net::SocketAddr;

use dialogd_sip::values::{NameAddr, Uri, Via};
use dialogd_sip::{HeaderName, SipMessage, Splice};

use crate::message_path::routing::{LocalIdentity, OwnRoutes};
use crate::transport::TransportKind;

/// Max-Forwards written when a request arrives without one (RFC 3261 §8.1.1.6).
pub const DEFAULT_MAX_FORWARDS: u32 = 70;

/// What to add to a forwarded request.
#[derive(Debug, Clone)]
pub struct RequestEdits<'a> {
    /// Our Routes to remove.
    pub own: &'a OwnRoutes,
    /// Branch of our Via.
    pub branch: &'a str,
    /// Transport of the outgoing hop (written in our Via).
    pub out_transport: TransportKind,
    /// Record-Route to add: `Some((did value, inbound transport))` for dialog-creating requests.
    pub record_route: Option<(&'a str, TransportKind)>,
    /// Where the request came from: stamped into the sender's Via as `received`/`rport`.
    pub source: Option<SocketAddr>,
}

impl<'a> RequestEdits<'a> {
    /// The edits of a request inside a dialog from `source`, towards an `out_transport` hop:
    /// our Routes `own` removed, our Via with `branch`, no Record-Route (the dialog's route set
    /// is fixed).
    pub fn in_dialog(
        own: &'a OwnRoutes,
        branch: &'a str,
        out_transport: TransportKind,
        source: SocketAddr,
    ) -> RequestEdits<'a> {
        RequestEdits {
            own,
            branch,
            out_transport,
            record_route: None,
            source: Some(source),
        }
    }
}

/// RFC 3261 §18.2.1 and RFC 3581: the sender's (top) Via gets `received=<source ip>` when its
/// sent-by is not that address, and an empty `rport` gets the source port, so responses that
/// travel back statelessly reach a sender behind NAT. `None` when nothing changes.
pub fn stamp_via(element: &str, source: SocketAddr) -> Option<String> {
    let via = Via::parse(element)?;
    let rport_empty = via.has_param("rport") && via.param("rport").is_none_or(str::is_empty);
    let host = via.host.trim_start_matches('[').trim_end_matches(']');
    let same_ip = host
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip == source.ip());
    if same_ip && !rport_empty {
        return None;
    }
    let (base, params) = match element.find(';') {
        Some(i) => (&element[..i], &element[i + 1..]),
        None => (element, ""),
    };
    let mut out = base.trim_end().to_owned();
    for p in params.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let name = p.split('=').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("received") {
            continue;
        }
        if name.eq_ignore_ascii_case("rport") && rport_empty {
            out.push_str(&format!(";rport={}", source.port()));
        } else {
            out.push(';');
            out.push_str(p);
        }
    }
    out.push_str(&format!(";received={}", source.ip()));
    Some(out)
}

/// The Record-Route value(s) for a dialog. One element when both hops use the same transport,
/// two (outbound side first) when they differ, so each side reaches us over its own transport.
pub fn record_route_values(
    local: &LocalIdentity,
    did: &str,
    inbound: TransportKind,
    outbound: TransportKind,
) -> Vec<String> {
    let rr = |t: TransportKind| {
        let tp = match t {
            TransportKind::Udp => "",
            TransportKind::Tcp => ";transport=tcp",
        };
        format!("<sip:{};lr;did={did}{tp}>", local.record_route_host_port())
    };
    if inbound == outbound {
        vec![rr(inbound)]
    } else {
        vec![rr(outbound), rr(inbound)]
    }
}

/// Builds the bytes of a forwarded request. `msg` must be a request.
pub fn forward_request(msg: &SipMessage, local: &LocalIdentity, edits: &RequestEdits<'_>) -> Bytes {
    let mut splice = Splice::new(msg);
    if let (Some(source), Some(top)) = (edits.source, msg.list(&HeaderName::Via).first())
        && let Some(stamped) = stamp_via(&msg.element(top), source)
    {
        splice = splice.replace_range(top.range.clone(), stamped.as_bytes());
    }
    for e in &edits.own.elements {
        splice = splice.remove_element(e);
    }
    // Strict-router repair (RFC 3261 §16.4): the request-URI is one of our Record-Routes and
    // the real target is the last Route.
    let routes = msg.list(&HeaderName::Route);
    let ruri_is_ours = msg
        .request_uri()
        .and_then(Uri::parse)
        .is_some_and(|u| local.is_local(&u) && u.has_param("did"));
    if ruri_is_ours
        && routes.len() > edits.own.elements.len()
        && let Some(last) = routes.last()
        && let Some(na) = NameAddr::parse(&msg.element(last))
    {
        splice = splice.set_request_uri(&na.uri).remove_element(last);
    }
    match msg
        .headers()
        .iter()
        .position(|h| h.name == HeaderName::MaxForwards)
    {
        Some(i) => {
            let n = msg.max_forwards().unwrap_or(DEFAULT_MAX_FORWARDS);
            splice = splice.replace_value(i, &n.saturating_sub(1).to_string());
        }
        None => {
            splice =
                splice.prepend_header(&HeaderName::MaxForwards, &DEFAULT_MAX_FORWARDS.to_string());
        }
    }
    if let Some((did, inbound)) = edits.record_route {
        let values = record_route_values(local, did, inbound, edits.out_transport);
        for v in values.iter().rev() {
            splice = splice.prepend_header(&HeaderName::RecordRoute, v);
        }
    }
    let via = format!(
        "SIP/2.0/{} {};branch={}",
        edits.out_transport.as_str(),
        local.host_port(),
        edits.branch
    );
    splice.prepend_header(&HeaderName::Via, &via).build()
}

/// Builds the bytes of a response forwarded upstream: our (top) Via removed.
pub fn forward_response(msg: &SipMessage) -> Bytes {
    let vias = msg.list(&HeaderName::Via);
    match vias.first() {
        Some(top) => Splice::new(msg).remove_element(top).build(),
        None => msg.wire_bytes(),
    }
}

/// A branch for a request forwarded statelessly (ACK for 2xx): derived from the incoming
/// branch so that retransmissions get the same branch (RFC 3261 §16.11).
pub fn stateless_branch(incoming: &str, salt: u64) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    incoming.hash(&mut h);
    salt.hash(&mut h);
    format!("z9hG4bK{:016x}s", h.finish())
}

/// A fresh branch for a client transaction (RFC 3261 §8.1.1.7: magic cookie + random).
pub fn new_branch() -> String {
    format!("z9hG4bK{:016x}", rand::random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_via_is_stamped_with_received_and_rport() {
        let src: SocketAddr = "203.0.113.7:40000".parse().unwrap();
        let cases: &[(&str, Option<&str>)] = &[
            (
                "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport",
                Some("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport=40000;received=203.0.113.7"),
            ),
            (
                "SIP/2.0/UDP host.example;branch=z9hG4bK1",
                Some("SIP/2.0/UDP host.example;branch=z9hG4bK1;received=203.0.113.7"),
            ),
            ("SIP/2.0/UDP 203.0.113.7:40000;branch=z9hG4bK1", None),
            (
                "SIP/2.0/UDP 203.0.113.7;rport;branch=z9hG4bK1",
                Some("SIP/2.0/UDP 203.0.113.7;rport=40000;branch=z9hG4bK1;received=203.0.113.7"),
            ),
            (
                "SIP/2.0/UDP 10.0.0.1;received=1.1.1.1;branch=z9hG4bK1",
                Some("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;received=203.0.113.7"),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(stamp_via(input, src).as_deref(), *want, "{input}");
        }
    }
}
