//! Tests of the generated responses: tables of requests (or refused bytes) in, responses out.

use super::*;

#[test]
fn copies_dialog_headers_and_adds_to_tag() {
    let req = SipMessage::parse(Bytes::from_static(
        b"INVITE sip:b@h SIP/2.0\r\nv: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\nf: <sip:a@h>;tag=1\r\nt: <sip:b@h>\r\ni: abc\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n",
    ))
    .unwrap();
    let resp = build_response(&req, 486, "Busy Here", Some("xyz"), &[]);
    let resp = SipMessage::parse(resp).unwrap();
    assert_eq!(resp.status(), Some(486));
    assert_eq!(resp.to_tag().as_deref(), Some("xyz"));
    assert_eq!(resp.call_id(), "abc");
    assert_eq!(resp.top_via().branch(), Some("z9hG4bK1"));
    let trying = SipMessage::parse(build_response(&req, 100, "Trying", Some("xyz"), &[])).unwrap();
    assert_eq!(trying.to_tag(), None);
}

const BAD_INVITE: &[u8] = b"INVITE sip:a@b SIP/2.0\r\n\
v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
Via: SIP/2.0/TCP\r\n  192.0.2.2;branch=z9hG4bK2\r\n\
f: <sip:a@b>;tag=1\r\n\
t: <sip:c@d>\r\n\
i: call-1\r\n\
CSeq: 7 INVITE\r\n\
Content-Length: 9999\r\n\r\nv=0\r\n";

#[test]
fn bad_request_copies_the_five_lines_textually() {
    let resp = build_bad_request(
        BAD_INVITE,
        "Content-Length 9999 exceeds the 5 body bytes received",
    )
    .unwrap();
    let text = std::str::from_utf8(&resp).unwrap();
    let tag_start = text.find("To: <sip:c@d>;tag=").unwrap() + 18;
    let tag = &text[tag_start..tag_start + 16];
    let want = format!(
        "SIP/2.0 400 Content-Length 9999 exceeds the 5 body bytes received\r\n\
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
Via: SIP/2.0/TCP 192.0.2.2;branch=z9hG4bK2\r\n\
From: <sip:a@b>;tag=1\r\n\
To: <sip:c@d>;tag={tag}\r\n\
Call-ID: call-1\r\n\
CSeq: 7 INVITE\r\n\
Content-Length: 0\r\n\r\n"
    );
    assert_eq!(text, want);
    let parsed = SipMessage::parse(resp.clone()).unwrap();
    assert_eq!(parsed.status(), Some(400));
    assert_eq!(parsed.list(&HeaderName::Via).len(), 2);
    // Deterministic: the same bad request gets the same 400 (stateless, RFC 3261 §8.2.6.2).
    assert_eq!(
        build_bad_request(
            BAD_INVITE,
            "Content-Length 9999 exceeds the 5 body bytes received"
        ),
        Some(resp)
    );
}

#[test]
fn bad_request_keeps_an_existing_to_tag() {
    let raw =
        String::from_utf8_lossy(BAD_INVITE).replace("t: <sip:c@d>", "To: <sip:c@d> ; TAG = 77");
    let resp = build_bad_request(raw.as_bytes(), "x").unwrap();
    let text = std::str::from_utf8(&resp).unwrap();
    assert!(text.contains("\r\nTo: <sip:c@d> ; TAG = 77\r\n"), "{text}");
    assert_eq!(text.matches("tag=").count(), 1, "{text}"); // From's only
}

#[test]
fn bad_request_gives_up_table() {
    let invite = String::from_utf8_lossy(BAD_INVITE).into_owned();
    #[rustfmt::skip]
    let cases: &[(&str, String)] = &[
        ("response", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n".into()),
        ("ACK", invite.replacen("INVITE sip", "ACK sip", 1)),
        ("no version", invite.replacen(" SIP/2.0\r\n", "\r\n", 1)),
        ("binary", "\u{1}\u{2}garbage\r\n\r\n".into()),
        ("empty", "\r\n\r\n".into()),
        ("no Via", invite.replace("v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n", "").replace("Via: SIP/2.0/TCP\r\n  192.0.2.2;branch=z9hG4bK2\r\n", "")),
        ("no From", invite.replace("f: <sip:a@b>;tag=1\r\n", "")),
        ("no To", invite.replace("t: <sip:c@d>\r\n", "")),
        ("no Call-ID", invite.replace("i: call-1\r\n", "")),
        ("no CSeq", invite.replace("CSeq: 7 INVITE\r\n", "")),
        ("headers after the body", invite.replace("i: call-1\r\n", "").replace("v=0\r\n", "Call-ID: hidden\r\n")),
    ];
    for (what, raw) in cases {
        assert_eq!(build_bad_request(raw.as_bytes(), "reason"), None, "{what}");
    }
}

#[test]
fn reason_phrase_is_printable_ascii_and_bounded() {
    let cases: &[(&str, &str)] = &[
        (
            "bad header line: \"a\\r\\nb\"",
            "bad header line: \"a\\r\\nb\"",
        ),
        ("tab\there\r\nnewline", "tab here  newline"),
        ("caf\u{e9} \u{7f}\u{0}", "caf? ??"),
        ("   ", "Bad Request"),
        ("", "Bad Request"),
    ];
    for (input, want) in cases {
        assert_eq!(sanitise_reason(input), *want, "{input:?}");
    }
    let long = "x".repeat(500);
    assert_eq!(sanitise_reason(&long).len(), MAX_REASON_LEN);
    let resp = build_bad_request(BAD_INVITE, &"é".repeat(300)).unwrap();
    let first_line = resp.split(|&b| b == b'\r').next().unwrap();
    assert_eq!(first_line.len(), "SIP/2.0 400 ".len() + MAX_REASON_LEN);
    assert!(first_line.iter().all(|&b| (b' '..=b'~').contains(&b)));
}
