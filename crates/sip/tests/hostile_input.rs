//! Hostile input on the stable toolchain: arbitrary bytes and printable strings through the
//! indexer and the parsers of routing values never panic, a message is accepted within
//! `ParseLimits` exactly when it is within them, and the answer to a refused message carries
//! the code of its error and costs no more than the message. The `fuzz/` targets explore the
//! same ground further on nightly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use bytes::Bytes;
use dialogd_sip::limits::ParseLimits;
use dialogd_sip::response::build_error_response;
use dialogd_sip::values::{NameAddr, Uri, Via};
use dialogd_sip::{HeaderName, ParseError, SipMessage};
use proptest::prelude::*;

const BASE_HEAD: &str = "INVITE sip:b@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
From: <sip:a@example.com>;tag=1\r\n\
To: <sip:b@example.com>\r\n\
Call-ID: hostile\r\n\
CSeq: 1 INVITE\r\n";

/// Every parser of a routing value, on one string; each must return, never panic.
fn parse_values(s: &str) {
    if let Some(n) = NameAddr::parse(s) {
        let _ = (n.tag(), n.uri().map(|u| u.param("did").map(str::to_owned)));
    }
    let _ = Uri::parse(s).map(|u| u.param("lr").map(str::to_owned));
    let _ = Via::parse(s).map(|v| v.branch().map(str::to_owned));
}

/// A filler header line: name, value length and where (if anywhere) its value is folded.
fn filler() -> impl Strategy<Value = (usize, Option<usize>)> {
    (0usize..300, prop::option::of(0usize..300))
}

/// `BASE_HEAD` plus the filler lines and an empty body; returns the message and, for each
/// header line in order, its length (folds included, final line ending excluded).
fn render(fillers: &[(usize, Option<usize>)]) -> (Vec<u8>, Vec<usize>) {
    let mut msg = BASE_HEAD.to_owned();
    let mut lens: Vec<usize> = BASE_HEAD.split("\r\n").skip(1).map(str::len).collect();
    lens.retain(|&l| l > 0);
    for (i, (len, fold)) in fillers.iter().enumerate() {
        let mut value = "v".repeat(*len);
        if let Some(at) = fold {
            value.insert_str((*at).min(value.len()), "\r\n ");
        }
        let line = format!("X-F{i}: {value}");
        lens.push(line.len());
        msg.push_str(&line);
        msg.push_str("\r\n");
    }
    msg.push_str("Content-Length: 0\r\n\r\n");
    lens.push("Content-Length: 0".len());
    (msg.into_bytes(), lens)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let text = String::from_utf8_lossy(&bytes);
        parse_values(&text);
        for piece in text.split(',') {
            parse_values(piece);
        }
        let limits = ParseLimits::default();
        match SipMessage::parse(Bytes::from(bytes.clone())) {
            Ok(m) => {
                prop_assert!(m.headers().len() <= limits.max_headers);
                for e in m.list(&HeaderName::Route) {
                    parse_values(&m.element(&e));
                }
            }
            Err(e) => {
                let _ = build_error_response(&bytes, &e, &limits);
            }
        }
    }

    #[test]
    fn printable_strings_never_panic(
        ascii in "[ -~]{0,300}",
        any_text in "\\PC{0,100}",
        shaped in "(\"[ -~]{0,10}\" )?<(sips?|tel|[a-z]{1,4}):[ -~]{0,40}>(;[ -~]{0,20}){0,3}",
    ) {
        parse_values(&ascii);
        parse_values(&any_text);
        parse_values(&shaped);
        let via = format!("SIP/2.0/{ascii}");
        parse_values(&via);
        let msg = format!("{BASE_HEAD}Route: {shaped}\r\nRecord-Route: {ascii}\r\n\r\n");
        if let Ok(m) = SipMessage::parse(Bytes::from(msg)) {
            for e in m.list(&HeaderName::Route) {
                parse_values(&m.element(&e));
            }
        }
    }

    #[test]
    fn accepted_exactly_within_the_limits(
        fillers in prop::collection::vec(filler(), 0..40),
        max_headers in 0usize..50,
        max_header_line in 0usize..400,
        slack in -64i64..64,
    ) {
        let (msg, lens) = render(&fillers);
        prop_assert!(SipMessage::parse(Bytes::from(msg.clone())).is_ok());
        let max_message = (msg.len() as i64 + slack).max(0) as usize;
        let limits = ParseLimits { max_headers, max_header_line, max_message };
        let within = msg.len() <= max_message
            && lens.len() <= max_headers
            && lens.iter().all(|&l| l <= max_header_line);
        match SipMessage::parse_with(Bytes::from(msg.clone()), &limits) {
            Ok(m) => {
                prop_assert!(within, "accepted past the limits: {limits:?}");
                prop_assert_eq!(m.headers().len(), lens.len());
            }
            Err(e) => {
                prop_assert!(!within, "refused within the limits: {e:?}");
                let want_limit = match e {
                    ParseError::TooLarge(n) => n == max_message,
                    ParseError::TooManyHeaders(n) => n == max_headers,
                    ParseError::HeaderLineTooLong(n) => n == max_header_line,
                    _ => false,
                };
                prop_assert!(want_limit, "{e:?} for {limits:?}");
                prop_assert_eq!(e.status().0, 513);
            }
        }
    }

    #[test]
    fn error_answers_carry_the_errors_code_and_stay_small(
        fillers in prop::collection::vec(filler(), 0..40),
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        max_headers in 0usize..50,
        max_header_line in 0usize..400,
    ) {
        let (mut msg, _) = render(&fillers);
        for (at, byte) in damage {
            let i = at.index(msg.len());
            msg[i] = byte;
        }
        let limits = ParseLimits { max_headers, max_header_line, ..ParseLimits::default() };
        if let Err(e) = SipMessage::parse_with(Bytes::from(msg.clone()), &limits)
            && let Some(resp) = build_error_response(&msg, &e, &limits)
        {
            let status = format!("SIP/2.0 {} ", e.status().0);
            prop_assert!(resp.starts_with(status.as_bytes()));
            prop_assert!(resp.ends_with(b"\r\nContent-Length: 0\r\n\r\n"));
            // Each copied line grows by at most its long name; the rest is fixed.
            prop_assert!(resp.len() <= 2 * msg.len() + 256, "{} for {}", resp.len(), msg.len());
        }
    }
}
