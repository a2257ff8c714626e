//! The session version of the `o=` line (RFC 4566 §5.2):
//! `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`.
//! RFC 3264 §8: every new offer (and so every body the proxy sends on a party's behalf) must
//! carry a version one greater than that party's previous one.
//!
//! The version is incremented as a decimal digit string, not as a machine integer, so it
//! neither wraps nor saturates: `41` → `42`, `0099` → `0100` (width kept), and past the
//! largest u64, `18446744073709551615` → `18446744073709551616` (one digit more). RFC 4566's
//! grammar (`1*DIGIT`) allows it; a saturated or wrapped version would tell the peer "nothing
//! changed" or "older", and the hold would be ignored.

use std::ops::Range;

use super::layout::{Edit, Layout, Line, apply};
use crate::error::{ParseError, excerpt};

/// The session version as written (decimal digits). Errors: not SDP, a garbage line, no
/// session-level `o=` line or one without six fields and a numeric version.
pub fn session_version(body: &[u8]) -> Result<&str, ParseError> {
    let layout = Layout::parse(body)?;
    let range = version_range(body, &layout)?;
    std::str::from_utf8(&body[range]).map_err(|_| ParseError::SdpOrigin(String::new()))
}

/// `body` with its session version raised by one, every other byte unchanged. Errors as
/// [`session_version`].
pub fn bump_session_version(body: &[u8]) -> Result<Vec<u8>, ParseError> {
    let layout = Layout::parse(body)?;
    Ok(apply(body, vec![version_edit(body, &layout)?]))
}

/// The edit that raises the session version of an indexed body by one.
pub(crate) fn version_edit(body: &[u8], layout: &Layout) -> Result<Edit, ParseError> {
    let range = version_range(body, layout)?;
    let next = increment_decimal(&body[range.clone()]);
    Ok((range, next))
}

fn version_range(body: &[u8], layout: &Layout) -> Result<Range<usize>, ParseError> {
    let line = layout
        .origin
        .ok_or_else(|| ParseError::SdpOrigin(String::new()))?;
    let bad = || {
        ParseError::SdpOrigin(excerpt(&String::from_utf8_lossy(
            &body[line.start..line.end],
        )))
    };
    let fields = fields(body, line);
    let version = match fields.as_slice() {
        [_, _, version, _, _, _] => version.clone(),
        _ => return Err(bad()),
    };
    if !body[version.clone()].iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    Ok(version)
}

/// The whitespace-separated fields of an `o=` line's value.
fn fields(body: &[u8], line: Line) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(6);
    let mut start = None;
    let value = line.start + 2;
    for (i, b) in body[value..line.end].iter().enumerate() {
        let i = value + i;
        let space = matches!(b, b' ' | b'\t');
        match (space, start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..line.end);
    }
    out
}

/// `digits` + 1 in decimal, keeping the width unless every digit carries.
fn increment_decimal(digits: &[u8]) -> Vec<u8> {
    let mut out = digits.to_vec();
    for d in out.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return out;
        }
    }
    out.insert(0, b'1');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(origin: &str) -> String {
        format!(
            "v=0\r\n{origin}\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n"
        )
    }

    #[test]
    fn the_session_version_rises_by_one_as_digits() {
        // (sess-version before, after)
        let table = [
            ("0", "1"),
            ("41", "42"),
            ("199", "200"),
            ("0099", "0100"),
            ("999", "1000"),
            ("3930000000", "3930000001"),
            ("18446744073709551615", "18446744073709551616"), // u64::MAX: one digit more
            ("99999999999999999999999", "100000000000000000000000"),
        ];
        for (before, after) in table {
            let b = body(&format!(
                "o=alice 2890844526 {before} IN IP4 host.atlanta.example.com"
            ));
            let bumped = bump_session_version(b.as_bytes()).unwrap();
            let want = body(&format!(
                "o=alice 2890844526 {after} IN IP4 host.atlanta.example.com"
            ));
            assert_eq!(String::from_utf8(bumped.clone()).unwrap(), want, "{before}");
            assert_eq!(session_version(&bumped).unwrap(), after);
        }
    }

    #[test]
    fn only_the_session_level_origin_counts_and_it_must_be_well_formed() {
        let lf = "v=0\no=- 7 8 IN IP4 h\nm=audio 1 RTP/AVP 0\no=x 1 1 IN IP4 h\n";
        assert_eq!(
            bump_session_version(lf.as_bytes()).unwrap(),
            b"v=0\no=- 7 9 IN IP4 h\nm=audio 1 RTP/AVP 0\no=x 1 1 IN IP4 h\n"
        );
        let tabs = "v=0\r\no=-\t7  8 IN IP4 h";
        assert_eq!(
            bump_session_version(tabs.as_bytes()).unwrap(),
            b"v=0\r\no=-\t7  9 IN IP4 h"
        );
        // (o= line, error text)
        let refused = [
            ("", ""),
            ("o=- 7 x8 IN IP4 h", "o=- 7 x8 IN IP4 h"),
            ("o=- 7 -1 IN IP4 h", "o=- 7 -1 IN IP4 h"),
            ("o=- 7 8 IN IP4", "o=- 7 8 IN IP4"),
            ("o=- 7 8 IN IP4 h extra", "o=- 7 8 IN IP4 h extra"),
        ];
        for (origin, text) in refused {
            let b = body(origin).replace("\r\n\r\n", "\r\n");
            let want = Err(ParseError::SdpOrigin(text.to_owned()));
            assert_eq!(bump_session_version(b.as_bytes()), want, "{origin}");
        }
        assert_eq!(
            bump_session_version(b"not sdp"),
            Err(ParseError::SdpStart("not sdp".into()))
        );
    }
}
