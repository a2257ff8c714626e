//! Fuzz target for the message indexer: arbitrary bytes through TCP framing, the indexer and,
//! when the indexer refuses them, the best-effort 400 builder. Nothing may panic, and the
//! invariants the proxy relies on must hold for every message that indexes:
//! an empty splice returns exactly the wire bytes, and every range points inside the buffer.
//! Incremental framing must agree with one-shot framing when the bytes arrive in two pieces.

#![no_main]

use bytes::Bytes;
use dialogd_sip::framing::{self, Frame, Framer};
use dialogd_sip::{HeaderName, SipMessage, Splice, build_bad_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = framing::frame(data);
    if let Ok(Frame::Message { skip, len }) = whole {
        assert!(skip + len <= data.len(), "frame beyond the buffer");
    }
    let mut framer = Framer::new();
    let first = framer.next(&data[..data.len() / 2]);
    if first == Ok(Frame::Incomplete) {
        assert_eq!(framer.next(data), whole, "incremental framing differs");
    }
    match SipMessage::parse(Bytes::copy_from_slice(data)) {
        Ok(msg) => {
            assert_eq!(
                Splice::new(&msg).build(),
                msg.wire_bytes(),
                "empty splice is not the identity"
            );
            for h in msg.headers() {
                assert!(
                    h.line.end <= data.len()
                        && h.value.start >= h.line.start
                        && h.value.end <= h.line.end
                );
                let _ = msg.value_of(h);
            }
            let _ = (
                msg.from(),
                msg.to(),
                msg.from_tag(),
                msg.to_tag(),
                msg.top_via(),
                msg.max_forwards(),
            );
            for name in [
                HeaderName::Via,
                HeaderName::Route,
                HeaderName::RecordRoute,
                HeaderName::Contact,
            ] {
                for e in msg.list(&name) {
                    if let Some(n) = dialogd_sip::values::NameAddr::parse(&msg.element(&e)) {
                        let _ = n.uri();
                    }
                }
            }
            if let Some(uri) = msg.request_uri() {
                let _ = dialogd_sip::values::Uri::parse(uri);
            }
        }
        Err(e) => {
            if let Some(resp) = build_bad_request(data, &e.to_string()) {
                assert!(resp.starts_with(b"SIP/2.0 400 "));
                let first = resp.split(|&b| b == b'\r').next().unwrap_or_default();
                assert!(
                    first.iter().all(|&b| (b' '..=b'~').contains(&b)),
                    "reason phrase not printable ASCII"
                );
            }
        }
    }
});
