//! Unit tests of `sip_message.rs`.

use super::*;

const RESPONSE: &str = "SIP/2.0 200 OK\r\n\
    v: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n\
    Via : SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK2\r\n\
    From: <sip:a@h>;tag=ft\r\n\
    To: \"B\"\r\n <sip:b@h>;tag=tt\r\n\
    i: cid@h\r\n\
    CSeq: 1 INVITE\r\n\
    Record-Route: <sip:127.0.0.1:5060;lr;did=00ab.cd12>, <sip:10.0.0.1;lr>\r\n\
    Record-Route: <sip:10.0.0.2;lr>\r\n\
    m: <sip:b@127.0.0.1:5070;transport=udp>;expires=60\r\n\
    l: 4\r\n\r\nbody";

#[test]
fn headers_by_full_or_compact_name_with_folding() {
    let m = SipMessage::parse(RESPONSE.as_bytes()).unwrap();
    let table = [
        ("Call-ID", Some("cid@h")),
        ("i", Some("cid@h")),
        ("call-id", Some("cid@h")),
        ("To", Some("\"B\" <sip:b@h>;tag=tt")),
        ("Content-Length", Some("4")),
        ("X-None", None),
    ];
    for (name, want) in table {
        assert_eq!(m.header(name).as_deref(), want, "{name}");
    }
    assert_eq!(m.headers("Via").len(), 2);
    assert_eq!(m.status(), Some(200));
    assert_eq!(m.method(), None);
    assert_eq!(m.cseq_method().as_deref(), Some("INVITE"));
    assert_eq!(m.cseq_number(), Some(1));
    assert_eq!(m.body(), b"body");
}

#[test]
fn tags_routes_and_contact() {
    let m = SipMessage::parse(RESPONSE.as_bytes()).unwrap();
    assert_eq!(m.from_tag().as_deref(), Some("ft"));
    assert_eq!(m.to_tag().as_deref(), Some("tt"));
    assert_eq!(
        m.record_routes(),
        vec![
            "<sip:127.0.0.1:5060;lr;did=00ab.cd12>",
            "<sip:10.0.0.1;lr>",
            "<sip:10.0.0.2;lr>"
        ]
    );
    assert_eq!(
        uri_param(&m.record_routes()[0], "did").as_deref(),
        Some("00ab.cd12")
    );
    assert_eq!(
        m.contact_uri().as_deref(),
        Some("sip:b@127.0.0.1:5070;transport=udp")
    );
}

#[test]
fn params_are_found_after_the_name_addr() {
    let table = [
        ("<sip:a@h;tag=inuri>;tag=x", "tag", Some("x")),
        ("<sip:a@h;tag=inuri>", "tag", None),
        ("sip:a@h;tag=y", "tag", Some("y")),
        ("<sip:a@h>;TAG=z;other", "tag", Some("z")),
    ];
    for (value, name, want) in table {
        assert_eq!(param(value, name).as_deref(), want, "{value}");
    }
}

#[test]
fn compose_sets_content_length() {
    let bytes = SipMessage::compose("OPTIONS sip:x SIP/2.0", &[("Call-ID", "c")], "abc");
    let m = SipMessage::parse(&bytes).unwrap();
    assert_eq!(m.header("Content-Length").as_deref(), Some("3"));
    assert_eq!(m.body(), b"abc");
    assert_eq!(m.method(), Some("OPTIONS"));
}

#[test]
fn frame_len_waits_for_the_whole_body() {
    let msg = "SIP/2.0 200 OK\r\nl: 3\r\n\r\nabc";
    let table: [(&str, Option<usize>); 4] = [
        ("SIP/2.0 200 OK\r\nl: 3\r\n", None),
        ("SIP/2.0 200 OK\r\nl: 3\r\n\r\nab", None),
        (msg, Some(msg.len())),
        ("SIP/2.0 200 OK\r\n\r\nnext", Some(18)),
    ];
    for (buf, want) in table {
        assert_eq!(frame_len(buf.as_bytes()).unwrap(), want, "{buf:?}");
    }
    assert!(frame_len(b"SIP/2.0 200 OK\r\nContent-Length: x\r\n\r\n").is_err());
}
