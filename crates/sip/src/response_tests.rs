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
        assert_eq!(sanitise_reason(input, 400), *want, "{input:?}");
    }
    assert_eq!(sanitise_reason(" ", 513), "Message Too Large");
    let long = "x".repeat(500);
    assert_eq!(sanitise_reason(&long, 400).len(), MAX_REASON_LEN);
    let resp = build_bad_request(BAD_INVITE, &"é".repeat(300)).unwrap();
    let first_line = resp.split(|&b| b == b'\r').next().unwrap();
    assert_eq!(first_line.len(), "SIP/2.0 400 ".len() + MAX_REASON_LEN);
    assert!(first_line.iter().all(|&b| (b' '..=b'~').contains(&b)));
}

/// `BAD_INVITE`'s request line, then `before`, its five lines, then `after` and the end of the
/// header section.
fn around_the_five(before: &str, after: &str) -> Vec<u8> {
    format!(
        "INVITE sip:a@b SIP/2.0\r\n{before}v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
f: <sip:a@b>;tag=1\r\nt: <sip:c@d>\r\ni: call-1\r\nCSeq: 7 INVITE\r\n{after}\r\n"
    )
    .into_bytes()
}

#[test]
fn error_response_code_follows_the_error() {
    let limits = ParseLimits::default();
    let too_many = around_the_five("", &"a:\r\n".repeat(16_000));
    let e = SipMessage::parse(Bytes::from(too_many.clone())).unwrap_err();
    assert_eq!(e, ParseError::TooManyHeaders(limits.max_headers));
    let resp = build_error_response(&too_many, &e, &limits).unwrap();
    let parsed = SipMessage::parse(resp.clone()).unwrap();
    assert_eq!(parsed.status(), Some(513));
    assert_eq!(parsed.reason(), Some("more than 256 header fields"));
    assert_eq!(parsed.call_id(), "call-1");
    assert_eq!(parsed.top_via().branch(), Some("z9hG4bK1"));

    let long = around_the_five("", &format!("Subject: {}\r\n", "x".repeat(9 * 1024)));
    let e = SipMessage::parse(Bytes::from(long.clone())).unwrap_err();
    assert_eq!(e, ParseError::HeaderLineTooLong(limits.max_header_line));
    let resp = build_error_response(&long, &e, &limits).unwrap();
    assert!(resp.starts_with(b"SIP/2.0 513 header line longer than 8192 bytes\r\n"));

    let e = SipMessage::parse(Bytes::from_static(BAD_INVITE)).unwrap_err();
    let resp = build_error_response(BAD_INVITE, &e, &limits).unwrap();
    assert!(resp.starts_with(b"SIP/2.0 400 Content-Length 9999 exceeds"));
    // The same bytes as the 400 builder's, but for the code.
    assert_eq!(
        Some(resp),
        build_bad_request(BAD_INVITE, &e.to_string()),
        "400 answers agree"
    );

    let huge = around_the_five("", &format!("X: {}\r\n", "y".repeat(70_000)));
    let e = ParseError::TooLarge(limits.max_message);
    let resp = build_error_response(&huge, &e, &limits).unwrap();
    assert!(resp.starts_with(b"SIP/2.0 513 message larger than 65535 bytes\r\n"));
}

#[test]
fn error_response_reads_no_further_than_the_limits() {
    let limits = ParseLimits::default();
    let e = ParseError::TooManyHeaders(limits.max_headers);
    // The five lines past the header limit are not looked for: the message is dropped.
    let late = around_the_five(&"a:\r\n".repeat(limits.max_headers), "");
    assert_eq!(build_error_response(&late, &e, &limits), None);
    let in_time = around_the_five(&"a:\r\n".repeat(limits.max_headers - 5), "");
    assert!(build_error_response(&in_time, &e, &limits).is_some());

    // Nor past a line longer than the limit, folded or not.
    let e = ParseError::HeaderLineTooLong(limits.max_header_line);
    let at_limit = format!("Subject: {}\r\n", "x".repeat(limits.max_header_line - 9));
    let over = format!("Subject: {}\r\n", "x".repeat(limits.max_header_line - 8));
    let folded = format!("Subject: {}\r\n {}\r\n", "x".repeat(5000), "x".repeat(5000));
    assert!(build_error_response(&around_the_five(&at_limit, ""), &e, &limits).is_some());
    assert_eq!(
        build_error_response(&around_the_five(&over, ""), &e, &limits),
        None
    );
    assert_eq!(
        build_error_response(&around_the_five(&folded, ""), &e, &limits),
        None
    );

    // Nor past `max_message` bytes.
    let small = ParseLimits {
        max_message: 60,
        ..limits
    };
    let e = ParseError::TooLarge(60);
    assert_eq!(build_error_response(&in_time, &e, &small), None);
}
