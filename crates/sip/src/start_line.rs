//! The first line of a message (RFC 3261 §7.1, §7.2): a Request-Line
//! (`Method SP Request-URI SP SIP-Version`, single spaces) or a Status-Line
//! (`SIP-Version SP Status-Code SP Reason-Phrase`). Only ranges are kept; the text stays in
//! the message buffer.
//!
//! Strict where the proxy splices by offset or routes on the value: more or fewer than two
//! single spaces (RFC 4475 §3.1.2.7–§3.1.2.10), a version other than 2.0 (§3.1.2.16), a status
//! code that is not three digits in 100–699 (§3.1.2.19), a SIP Request-URI carrying URI
//! headers (§3.1.2.11). Lenient elsewhere: extension methods and unusual tokens (§3.1.1.2,
//! §3.1.1.5), any URI scheme (§3.3.2, §3.3.3), UTF-8 or empty reason phrases (§3.1.1.12,
//! §3.1.1.13).

use std::ops::Range;

use crate::error::ParseError;
use crate::method::Method;

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request { method: Method, uri: Range<usize> },
    Response { code: u16, reason: Range<usize> },
}

/// Parses the start line occupying `r` in `buf` (line ending excluded).
pub(crate) fn parse_start_line(buf: &[u8], r: Range<usize>) -> Result<StartLine, ParseError> {
    let line = std::str::from_utf8(&buf[r.clone()]).map_err(|_| ParseError::NotUtf8)?;
    let bad = || ParseError::StartLine(crate::error::excerpt(line));
    if starts_with_sip_slash(line) {
        let rest = &line[4..];
        let (version, rest) = rest.split_once(' ').ok_or_else(bad)?;
        if version != "2.0" {
            return Err(ParseError::Version(format!("SIP/{version}")));
        }
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let code: u16 = code.parse().map_err(|_| bad())?;
        if !(100..=699).contains(&code) {
            return Err(bad());
        }
        let reason_start = r.start + line.len() - reason.len();
        return Ok(StartLine::Response {
            code,
            reason: reason_start..r.end,
        });
    }
    let mut parts = line.split(' ');
    let (Some(m), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let method = Method::parse(m).ok_or_else(bad)?;
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        if starts_with_sip_slash(version) {
            return Err(ParseError::Version(version.to_owned()));
        }
        return Err(bad());
    }
    let uri_ok = !uri.is_empty()
        && uri.contains(':')
        && !uri
            .bytes()
            .any(|b| b == b'<' || b == b'>' || b < 0x20 || b == 0x7f);
    if !uri_ok {
        return Err(bad());
    }
    if sip_uri_has_headers(uri) {
        return Err(ParseError::RequestUri(crate::error::excerpt(uri)));
    }
    let uri_start = r.start + m.len() + 1;
    Ok(StartLine::Request {
        method,
        uri: uri_start..uri_start + uri.len(),
    })
}

/// `SIP/` in any case, compared as bytes (the text after it may be any UTF-8).
fn starts_with_sip_slash(s: &str) -> bool {
    s.as_bytes()
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
}

/// True for a `sip:`/`sips:` URI with a `?headers` part. The user part may contain `?`
/// (RFC 3261 §25.1 user-unreserved), so only a `?` after the `@` (or anywhere, without one)
/// starts headers.
fn sip_uri_has_headers(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("sip") && !scheme.eq_ignore_ascii_case("sips") {
        return false;
    }
    let host_part = rest.split_once('@').map_or(rest, |(_, h)| h);
    host_part.contains('?')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<StartLine, ParseError> {
        parse_start_line(line.as_bytes(), 0..line.len())
    }

    #[test]
    fn request_lines() {
        #[rustfmt::skip]
        let ok: &[(&str, &str, &str)] = &[
            ("INVITE sip:a@b SIP/2.0", "INVITE", "sip:a@b"),
            ("RE%47IST%45R sip:registrar.example.com sip/2.0", "RE%47IST%45R", "sip:registrar.example.com"),
            ("OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0", "OPTIONS", "nobodyKnowsThisScheme:totallyopaquecontent"),
            ("OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0", "OPTIONS", "soap.beep://192.0.2.103:3002"),
            ("X sip:u?s@h SIP/2.0", "X", "sip:u?s@h"),
            ("INVITE tel:+1?x=y SIP/2.0", "INVITE", "tel:+1?x=y"),
        ];
        for (line, method, uri) in ok {
            match parse(line) {
                Ok(StartLine::Request { method: m, uri: r }) => {
                    assert_eq!(m.as_str(), *method, "{line}");
                    assert_eq!(&line[r], *uri, "{line}");
                }
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn rejected_lines() {
        #[rustfmt::skip]
        type IsExpected = fn(&ParseError) -> bool;
        let bad: &[(&str, IsExpected)] = &[
            ("INVITE <sip:user@example.com> SIP/2.0", |e| {
                matches!(e, ParseError::StartLine(_))
            }),
            ("INVITE sip:user@example.com; lr SIP/2.0", |e| {
                matches!(e, ParseError::StartLine(_))
            }),
            ("INVITE  sip:user@example.com  SIP/2.0", |e| {
                matches!(e, ParseError::StartLine(_))
            }),
            ("OPTIONS sip:remote-target@example.com SIP/2.0  ", |e| {
                matches!(e, ParseError::StartLine(_))
            }),
            (
                "INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0",
                |e| matches!(e, ParseError::RequestUri(_)),
            ),
            ("OPTIONS sip:t.watson@example.org SIP/7.0", |e| {
                *e == ParseError::Version("SIP/7.0".into())
            }),
            ("SIP/7.0 200 OK", |e| {
                *e == ParseError::Version("SIP/7.0".into())
            }),
            ("SIP/2.0 4294967301 better not break the receiver", |e| {
                matches!(e, ParseError::StartLine(_))
            }),
            ("SIP/2.0 +20 OK", |e| matches!(e, ParseError::StartLine(_))),
            ("SIP/2.0 099 Low", |e| matches!(e, ParseError::StartLine(_))),
            ("IN VITE sip:a@b SIP/2.0", |e| {
                matches!(e, ParseError::StartLine(_))
            }),
            ("INVITE sip:a@b HTTP/1.1", |e| {
                matches!(e, ParseError::StartLine(_))
            }),
            ("INVITE nocolon SIP/2.0", |e| {
                matches!(e, ParseError::StartLine(_))
            }),
            ("INVITE sip:a\t@b SIP/2.0", |e| {
                matches!(e, ParseError::StartLine(_))
            }),
        ];
        for (line, check) in bad {
            let e = parse(line).expect_err(line);
            assert!(check(&e), "{line}: {e:?}");
        }
        assert_eq!(
            parse_start_line(b"INVITE sip:\xff SIP/2.0", 0..20),
            Err(ParseError::NotUtf8)
        );
        // Found by the fuzzer: a multi-byte character across byte 4 of the version or line.
        for line in [
            "REGISTER sip:a S23\u{151}\u{351}ds0",
            "SIP\u{151}/2.0 200 OK",
            "SI\u{151} sip:a SIP/2.0",
        ] {
            assert!(
                matches!(parse(line), Err(ParseError::StartLine(_))),
                "{line}"
            );
        }
    }

    #[test]
    fn status_lines() {
        for (line, code, reason) in [
            ("SIP/2.0 200 OK", 200, "OK"),
            ("SIP/2.0 100 ", 100, ""),
            ("SIP/2.0 180", 180, ""),
            ("sip/2.0 486 Busy Here", 486, "Busy Here"),
            (
                "SIP/2.0 200 = 2**3 * 5**2 но сто",
                200,
                "= 2**3 * 5**2 но сто",
            ),
        ] {
            match parse(line) {
                Ok(StartLine::Response { code: c, reason: r }) => {
                    assert_eq!((c, &line[r]), (code, reason), "{line}");
                }
                other => panic!("{line}: {other:?}"),
            }
        }
    }
}
