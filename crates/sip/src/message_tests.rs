//! Unit tests of the indexer: tables of messages in, index or error out.

use super::*;
use crate::limits::{MAX_HEADER_LINE, MAX_HEADERS};

const BASE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Content-Length: 4\r\n\
\r\n\
body";

fn parse(s: &[u8]) -> Result<SipMessage, ParseError> {
    SipMessage::parse(Bytes::copy_from_slice(s))
}

/// `BASE` with the header line starting `name:` replaced by `line` (or removed if empty).
fn with_line(name: &str, line: &str) -> Vec<u8> {
    let mut out = String::new();
    for l in BASE.split_inclusive("\r\n") {
        if l.starts_with(&format!("{name}:")) {
            if !line.is_empty() {
                out.push_str(line);
                out.push_str("\r\n");
            }
        } else {
            out.push_str(l);
        }
    }
    out.into_bytes()
}

#[test]
fn indexes_a_plain_invite() {
    let m = parse(BASE.as_bytes()).unwrap();
    assert_eq!(m.method(), Some(&Method::Invite));
    assert_eq!(m.request_uri(), Some("sip:bob@biloxi.example.com"));
    assert_eq!(m.call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
    assert_eq!(m.cseq().number, 314159);
    assert_eq!(m.from_tag().as_deref(), Some("1928301774"));
    assert_eq!(m.to_tag(), None);
    assert_eq!(m.top_via().branch(), Some("z9hG4bK776asdhds"));
    assert_eq!(m.max_forwards(), Some(70));
    assert_eq!(m.body(), b"body");
    assert_eq!(m.headers().len(), 7);
    assert_eq!(
        &m.bytes()[m.headers_offset()..m.headers_offset() + 4],
        b"Via:"
    );
    assert_eq!(m.wire_bytes(), BASE.as_bytes());
}

#[test]
fn accepted_variants() {
    #[rustfmt::skip]
    let cases: &[(&str, Vec<u8>)] = &[
        ("compact names", with_line("Call-ID", "i: abc")),
        ("space before colon", with_line("Via", "Via  : SIP/2.0/UDP h;branch=z9hG4bK1")),
        ("folded Via", with_line("Via", "Via: SIP/2.0/UDP\r\n  h;branch=z9hG4bK1")),
        ("folded with tab", with_line("To", "To:\r\n\t<sip:b@h>")),
        ("Max-Forwards leading zeros", with_line("Max-Forwards", "Max-Forwards: 0068")),
        ("no Max-Forwards", with_line("Max-Forwards", "")),
        ("empty header value", with_line("Max-Forwards", "Subject:")),
        ("IPv6 sent-by", with_line("Via", "Via: SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1")),
        ("tel To", with_line("To", "To: <tel:+1-212-555-1234>")),
        ("2543 Via without branch", with_line("Via", "Via: SIP/2.0/UDP h")),
        ("magic cookie branch with id", with_line("Via", "Via: SIP/2.0/UDP h;branch=z9hG4bKx")),
    ];
    for (what, msg) in cases {
        assert!(parse(msg).is_ok(), "{what}: {:?}", parse(msg).err());
    }
    let lf_only = BASE.replace("\r\n", "\n");
    let m = parse(lf_only.as_bytes()).unwrap();
    assert_eq!(m.body(), b"body");
    let with_pings = format!("\r\n\r\n{BASE}");
    let m = parse(with_pings.as_bytes()).unwrap();
    assert_eq!(m.start_offset(), 4);
    assert_eq!(m.wire_bytes(), BASE.as_bytes());
}

#[test]
fn rejected_variants() {
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<u8>, ParseError)> = vec![
        ("empty", b"\r\n\r\n".to_vec(), ParseError::Empty),
        ("no empty line", b"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n".to_vec(), ParseError::Unterminated),
        ("no colon", with_line("Max-Forwards", "Max-Forwards 70"), ParseError::HeaderLine("Max-Forwards 70".into())),
        ("bad name", with_line("Max-Forwards", "Max Forwards: 70"), ParseError::HeaderLine("Max Forwards: 70".into())),
        ("no Call-ID", with_line("Call-ID", ""), ParseError::Missing("Call-ID")),
        ("no CSeq", with_line("CSeq", ""), ParseError::Missing("CSeq")),
        ("no From", with_line("From", ""), ParseError::Missing("From")),
        ("no To", with_line("To", ""), ParseError::Missing("To")),
        ("no Via", with_line("Via", ""), ParseError::Missing("Via")),
        ("Call-ID with space", with_line("Call-ID", "Call-ID: a b"), ParseError::Value { header: "Call-ID", value: "a b".into() }),
        ("CSeq method", with_line("CSeq", "CSeq: 1 BYE"), ParseError::CseqMethod { cseq: "BYE".into(), method: "INVITE".into() }),
        ("CSeq number", with_line("CSeq", "CSeq: x INVITE"), ParseError::Value { header: "CSeq", value: "x INVITE".into() }),
        ("Content-Length sign", with_line("Content-Length", "Content-Length: +4"), ParseError::Value { header: "Content-Length", value: "+4".into() }),
        ("short body", with_line("Content-Length", "l: 5"), ParseError::ShortBody { declared: 5, available: 4 }),
        ("Max-Forwards text", with_line("Max-Forwards", "Max-Forwards: many"), ParseError::Value { header: "Max-Forwards", value: "many".into() }),
        ("two To", with_line("To", "To: <sip:a@b>\r\nt: <sip:c@d>"), ParseError::Duplicate("To")),
        ("open quote", with_line("From", "From: \"Al <sip:a@b>;tag=1"), ParseError::Value { header: "From", value: "\"Al <sip:a@b>;tag=1".into() }),
        ("bare cookie", with_line("Via", "Via: SIP/2.0/UDP h;branch=z9hG4bK"), ParseError::Branch("z9hG4bK".into())),
        ("bad Via", with_line("Via", "Via: SIP/2.0/UDP h;;"), ParseError::Value { header: "Via", value: "SIP/2.0/UDP h;;".into() }),
        ("start line", BASE.replacen("INVITE sip", "INVITE  sip", 1).into_bytes(), ParseError::StartLine("INVITE  sip:bob@biloxi.example.com SIP/2.0".into())),
    ];
    for (what, msg, want) in cases {
        assert_eq!(parse(&msg).err(), Some(want), "{what}");
    }
    assert_eq!(
        parse(&vec![b'a'; MAX_MESSAGE_SIZE + 1]).err(),
        Some(ParseError::TooLarge(MAX_MESSAGE_SIZE))
    );
}

#[test]
fn responses_skip_request_only_checks() {
    let resp = "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK\r\nTo: <sip:b@h>;tag=9\r\n\
From: <sip:a@h>;tag=1\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n";
    let m = parse(resp.as_bytes()).unwrap();
    assert_eq!((m.status(), m.reason()), (Some(180), Some("Ringing")));
    assert_eq!(m.to_tag().as_deref(), Some("9"));
    assert_eq!(m.method(), None);
}

#[test]
fn list_elements_span_lines_and_folds() {
    let msg = with_line(
        "Via",
        "Via: SIP/2.0/UDP a;branch=z9hG4bK1 ,\r\n SIP/2.0/TCP b;branch=z9hG4bK2\r\nRoute: <sip:r1;lr>, <sip:r2;lr>\r\nv: SIP/2.0/UDP c",
    );
    let m = parse(&msg).unwrap();
    let vias: Vec<String> = m
        .list(&HeaderName::Via)
        .iter()
        .map(|e| m.element(e).into_owned())
        .collect();
    assert_eq!(
        vias,
        [
            "SIP/2.0/UDP a;branch=z9hG4bK1",
            "SIP/2.0/TCP b;branch=z9hG4bK2",
            "SIP/2.0/UDP c"
        ]
    );
    let routes = m.list(&HeaderName::Route);
    assert_eq!(routes.len(), 2);
    assert_eq!(routes[0].header, routes[1].header);
    assert_eq!(m.header_all(&HeaderName::Via).count(), 2);
}

#[test]
fn non_utf8_values_read_lossily_and_stay_raw() {
    let mut msg = with_line("Max-Forwards", "X-Note: caf\u{e9}");
    let at = msg.windows(3).position(|w| w == b"caf").unwrap() + 3;
    msg.splice(at..at + 2, [0xe9]);
    let m = parse(&msg).unwrap();
    let h = m
        .headers()
        .iter()
        .find(|h| h.name.matches(&HeaderName::parse("x-note")))
        .unwrap();
    assert_eq!(m.raw_value(h), b"caf\xe9");
    assert_eq!(m.value_of(h), "caf\u{fffd}");

    // A Latin-1 display name (real gateways send them) does not stop the From being typed.
    let mut msg = with_line("From", "From: \"Jos\u{e9}\" <sip:j@h>;tag=1");
    let at = msg.windows(3).position(|w| w == b"Jos").unwrap() + 3;
    msg.splice(at..at + 2, [0xe9]);
    let m = parse(&msg).unwrap();
    assert_eq!(m.from().display.as_deref(), Some("Jos\u{fffd}"));
    assert_eq!(m.from_tag().as_deref(), Some("1"));
}

/// `BASE` with `lines` inserted before its Content-Length line.
fn with_lines_before_body(lines: &str) -> Vec<u8> {
    BASE.replacen("Content-Length:", &format!("{lines}Content-Length:"), 1)
        .into_bytes()
}

#[test]
fn header_count_limit_is_exact() {
    let base_headers = parse(BASE.as_bytes()).unwrap().headers().len();
    let fill = |n: usize| with_lines_before_body(&"X-F: v\r\n".repeat(n));
    let at_limit = parse(&fill(MAX_HEADERS - base_headers)).unwrap();
    assert_eq!(at_limit.headers().len(), MAX_HEADERS);
    assert_eq!(
        parse(&fill(MAX_HEADERS - base_headers + 1)).err(),
        Some(ParseError::TooManyHeaders(MAX_HEADERS))
    );
    // Configurable: the same message against a smaller limit.
    let limits = ParseLimits {
        max_headers: base_headers,
        ..ParseLimits::default()
    };
    let b = |v: &[u8]| Bytes::copy_from_slice(v);
    assert!(SipMessage::parse_with(b(BASE.as_bytes()), &limits).is_ok());
    assert_eq!(
        SipMessage::parse_with(b(&fill(1)), &limits).err(),
        Some(ParseError::TooManyHeaders(base_headers))
    );
}

#[test]
fn a_datagram_of_short_headers_is_refused_at_the_header_limit() {
    // Some 16,000 four-byte header lines fill a 64 KB datagram.
    let mut msg = b"INVITE sip:a@b SIP/2.0\r\n".to_vec();
    while msg.len() + 4 <= MAX_MESSAGE_SIZE - 2 {
        msg.extend_from_slice(b"a:\r\n");
    }
    msg.extend_from_slice(b"\r\n");
    assert!(msg.len() <= MAX_MESSAGE_SIZE);
    assert_eq!(
        parse(&msg).err(),
        Some(ParseError::TooManyHeaders(MAX_HEADERS))
    );
    // The scan stops at the header past the limit: what follows it is never read, so neither a
    // malformed line there nor a missing end of the header section is what gets reported.
    let mut msg = b"INVITE sip:a@b SIP/2.0\r\n".to_vec();
    msg.extend_from_slice(&b"a:\r\n".repeat(MAX_HEADERS + 1));
    msg.extend_from_slice(b"no colon here\r\n");
    assert_eq!(
        parse(&msg).err(),
        Some(ParseError::TooManyHeaders(MAX_HEADERS))
    );
}

#[test]
fn header_line_length_limit_is_exact_and_counts_folds() {
    let subject = |len: usize| format!("Subject: {}\r\n", "x".repeat(len - "Subject: ".len()));
    let at_limit = with_lines_before_body(&subject(MAX_HEADER_LINE));
    let m = parse(&at_limit).unwrap();
    let h = m
        .headers()
        .iter()
        .find(|h| h.name == HeaderName::Subject)
        .unwrap();
    assert_eq!(h.line.len(), MAX_HEADER_LINE + 2);
    assert_eq!(
        parse(&with_lines_before_body(&subject(MAX_HEADER_LINE + 1))).err(),
        Some(ParseError::HeaderLineTooLong(MAX_HEADER_LINE))
    );
    assert_eq!(
        parse(&with_lines_before_body(&subject(9 * 1024))).err(),
        Some(ParseError::HeaderLineTooLong(MAX_HEADER_LINE))
    );
    // Folded continuations count towards their line: five 2 KiB pieces are one 10 KiB line.
    let piece = "y".repeat(2048);
    let folded = format!("Subject: {}\r\n", vec![piece; 5].join("\r\n "));
    assert_eq!(
        parse(&with_lines_before_body(&folded)).err(),
        Some(ParseError::HeaderLineTooLong(MAX_HEADER_LINE))
    );
    // A line that never ends is too long once past the limit, not unterminated: its end is not
    // searched for past the limit.
    let mut open = b"INVITE sip:a@b SIP/2.0\r\nSubject: ".to_vec();
    open.resize(open.len() + 20_000, b'z');
    assert_eq!(
        parse(&open).err(),
        Some(ParseError::HeaderLineTooLong(MAX_HEADER_LINE))
    );
    // Below the limit, a missing line ending is still a missing line ending.
    assert_eq!(
        parse(b"INVITE sip:a@b SIP/2.0\r\nSubject: zz").err(),
        Some(ParseError::Unterminated)
    );
}

#[test]
fn message_size_limit_is_configurable() {
    let limits = ParseLimits {
        max_message: BASE.len() - 1,
        ..ParseLimits::default()
    };
    assert_eq!(
        SipMessage::parse_with(Bytes::from_static(BASE.as_bytes()), &limits).err(),
        Some(ParseError::TooLarge(BASE.len() - 1))
    );
    let limits = ParseLimits {
        max_message: BASE.len(),
        ..ParseLimits::default()
    };
    assert!(SipMessage::parse_with(Bytes::from_static(BASE.as_bytes()), &limits).is_ok());
}
