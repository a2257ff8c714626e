//! `message/sipfrag` bodies (RFC 3420) as NOTIFYs of a REFER subscription carry them
//! (RFC 3515 §2.4.5): the body starts with the Status-Line of the response the referred party
//! got to the request it was told to send (`SIP/2.0 180 Ringing`), optionally followed by
//! header lines. Only the status code is read; the Status-Line rules are those of
//! [`crate::SipMessage`] (three digits, 100 to 699, SIP/2.0).

use crate::error::{ParseError, excerpt};
use crate::start_line::{StartLine, parse_start_line};

/// The status code of a sipfrag body. Leading empty lines are skipped; the line may end the
/// body without a line ending. Anything else (a request line, garbage, an empty body) is
/// [`ParseError::Sipfrag`] carrying the first line.
pub fn sipfrag_status(body: &[u8]) -> Result<u16, ParseError> {
    let start = body
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    let rest = &body[start..];
    let mut end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    if end > 0 && rest[end - 1] == b'\r' {
        end -= 1;
    }
    let line = &rest[..end];
    match parse_start_line(line, 0..line.len()) {
        Ok(StartLine::Response { code, .. }) => Ok(code),
        _ => Err(ParseError::Sipfrag(excerpt(&String::from_utf8_lossy(line)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_of_sipfrag_bodies() {
        let table: &[(&[u8], Result<u16, &str>)] = &[
            (b"SIP/2.0 100 Trying\r\n", Ok(100)),
            (b"SIP/2.0 200 OK", Ok(200)),
            (
                b"\r\nSIP/2.0 180 Ringing\r\nContact: <sip:x@y>\r\n\r\n",
                Ok(180),
            ),
            (b"SIP/2.0 503 Service Unavailable\n", Ok(503)),
            (b"SIP/2.0 486", Ok(486)),
            (b"SIP/2.0 200 OK\r\nFrom: <sip:a@b>;tag=1\r\n", Ok(200)),
            (b"", Err("")),
            (b"\r\n", Err("")),
            (
                b"INVITE sip:bob@b SIP/2.0\r\n",
                Err("INVITE sip:bob@b SIP/2.0"),
            ),
            (b"SIP/2.0 99 Odd\r\n", Err("SIP/2.0 99 Odd")),
            (b"SIP/2.0 700 Beyond\r\n", Err("SIP/2.0 700 Beyond")),
            (b"SIP/3.0 200 OK", Err("SIP/3.0 200 OK")),
            (b"garbage", Err("garbage")),
            (b"\xff\xfe", Err("\u{fffd}\u{fffd}")),
        ];
        for (body, want) in table {
            let want = want.map_err(|text| ParseError::Sipfrag(text.to_owned()));
            assert_eq!(sipfrag_status(body), want, "{body:?}");
        }
    }
}
