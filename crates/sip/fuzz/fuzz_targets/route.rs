//! Fuzz target for the header values a proxy reads to route: arbitrary bytes as a Route or
//! Record-Route value through the name-addr, URI and Via parsers, and as the Route header of an
//! otherwise valid request read the way the proxy reads its own Routes (`list` of Route, then
//! each `element` typed as a name-addr and its URI's parameters looked at). Nothing may panic,
//! and every list element must lie inside its header's value.

#![no_main]

use bytes::Bytes;
use dialogd_sip::values::{NameAddr, Uri, Via};
use dialogd_sip::{HeaderName, SipMessage};
use libfuzzer_sys::fuzz_target;

const HEAD: &[u8] = b"INVITE sip:b@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKfuzz\r\n\
From: <sip:a@example.com>;tag=1\r\n\
To: <sip:b@example.com>\r\n\
Call-ID: fuzz\r\n\
CSeq: 1 INVITE\r\n\
Route: ";
const TAIL: &[u8] = b"\r\nRecord-Route: <sip:rr.example.com;lr>\r\nContent-Length: 0\r\n\r\n";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for value in text.split(',').chain([text.as_ref()]) {
        if let Some(n) = NameAddr::parse(value) {
            let _ = n.tag();
            if let Some(uri) = n.uri() {
                let _ = (uri.param("lr"), uri.param("did"), uri.param("transport"));
            }
        }
        let _ = Uri::parse(value);
        if let Some(via) = Via::parse(value) {
            let _ = via.branch();
        }
    }

    let mut msg = Vec::with_capacity(HEAD.len() + data.len() + TAIL.len());
    msg.extend_from_slice(HEAD);
    msg.extend_from_slice(data);
    msg.extend_from_slice(TAIL);
    let Ok(msg) = SipMessage::parse(Bytes::from(msg)) else {
        return;
    };
    for name in [HeaderName::Route, HeaderName::RecordRoute] {
        for e in msg.list(&name) {
            let h = &msg.headers()[e.header];
            assert!(
                e.range.start >= h.value.start && e.range.end <= h.value.end,
                "list element outside its header value"
            );
            let Some(uri) = NameAddr::parse(&msg.element(&e)).and_then(|n| n.uri()) else {
                break; // where the proxy's own_routes stops reading
            };
            let _ = (uri.param("did"), uri.param("lr"));
        }
    }
});
