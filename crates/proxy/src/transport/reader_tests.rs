//! Unit tests of [`super`]'s helpers: keep-alive ping detection, when a message is in
//! progress, header-section search, and the 400 built for a stream that cannot be framed.

use super::*;
use dialogd_sip::SipMessage;
use dialogd_sip::framing;

#[test]
fn pings_are_double_crlf_only() {
    let cases: &[(&[u8], bool)] = &[
        (b"\r\n\r\n", true),
        (b"\r\n\r\n\r\n", true),
        (b"\n\r\n\r\n", true),
        (b"\r\n", false),
        (b"\n\n\n\n", false),
        (b"", false),
    ];
    for (input, expected) in cases {
        assert_eq!(is_ping(input), *expected, "{input:?}");
    }
}

#[test]
fn a_message_is_in_progress_once_a_byte_other_than_crlf_or_a_whole_ping_is_buffered() {
    let cases: &[(&[u8], bool)] = &[
        (b"", false),
        (b"\r\n", false),
        (b"\r\n\r", false),
        (b"I", true),
        (b"\r\nI", true),
        (b"INVITE sip:a SIP/2.0\r\n", true),
    ];
    for (input, expected) in cases {
        assert_eq!(message_started(input), *expected, "{input:?}");
    }
}

#[test]
fn header_end_finds_first_empty_line() {
    let cases: &[(&[u8], Option<usize>)] = &[
        (b"A\r\n\r\nbody", Some(5)),
        (b"A\n\nbody", Some(3)),
        (b"A\r\nB: c\r\n", None),
        (b"A\n\nB\r\n\r\n", Some(3)),
    ];
    for (input, expected) in cases {
        assert_eq!(header_end(input), *expected, "{input:?}");
    }
}

const HEAD: &str = "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/TCP 1.2.3.4;branch=z9hG4bK7\r\n\
    From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n";

#[test]
fn bad_request_answers_requests_whose_head_can_be_read() {
    // (stream, (status, reason detail) of the answer)
    let cases: Vec<(String, Option<(u16, &str)>)> = vec![
        // Missing Content-Length: answered, dialog headers copied.
        (
            format!("{HEAD}\r\n"),
            Some((400, "missing mandatory header Content-Length")),
        ),
        // Unparseable Content-Length: answered, the bad line is left out.
        (
            format!("{HEAD}Content-Length: x\r\n\r\n"),
            Some((400, "bad Content-Length value")),
        ),
        // Leading CRLFs are skipped; a message over the size bound is 513 (RFC 3261 §21.5.11).
        (
            format!("\r\n{HEAD}l: 99999999\r\n\r\n"),
            Some((513, "message larger than")),
        ),
        // ACK is never answered.
        (HEAD.replace("INVITE", "ACK") + "\r\n", None),
        // Responses are never answered.
        (
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\n\
             To: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n"
                .to_owned(),
            None,
        ),
        // Not SIP, or no end of headers: nothing to copy Via from.
        ("GARBAGE\r\n\r\n".to_owned(), None),
        (HEAD.to_owned(), None),
    ];
    for (input, expected) in cases {
        let error = match framing::frame(input.as_bytes()) {
            Err(e) => e,
            Ok(_) => ParseError::Missing("Content-Length"),
        };
        let response = bad_request(input.as_bytes(), &error);
        match expected {
            None => assert!(response.is_none(), "{input:?}"),
            Some((status, detail)) => {
                let response = response.unwrap_or_else(|| panic!("no answer for {input:?}"));
                let msg = SipMessage::parse(response).unwrap();
                assert_eq!(msg.status(), Some(status), "{input:?}");
                assert!(msg.reason().unwrap().contains(detail), "{:?}", msg.reason());
                assert_eq!(msg.call_id(), "c1");
                assert_eq!(msg.top_via().branch(), Some("z9hG4bK7"));
                assert!(msg.to_tag().is_some());
            }
        }
    }
}

#[test]
fn reason_phrase_is_one_printable_line() {
    let error = ParseError::HeaderLine("a\r\nb\u{7f}é".repeat(100));
    let head = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
    let response = bad_request(head.as_bytes(), &error).expect("a 400");
    let status_line = response.split(|&b| b == b'\n').next().unwrap();
    assert!(status_line.starts_with(b"SIP/2.0 400 "));
    assert!(status_line.len() < 200);
    assert!(
        status_line[..status_line.len() - 1]
            .iter()
            .all(|b| b.is_ascii_graphic() || *b == b' ')
    );
}
