//! Stream framing for SIP over TCP (RFC 3261 §18.3): a message ends after its header section
//! plus Content-Length body bytes; Content-Length is mandatory on streams. Leading CRLFs
//! (keep-alive pings, RFC 5626 §3.5.1) are skipped.
//!
//! Framing reads bytes only: it needs the end of the header section and the one Content-Length
//! line (long or compact name, whitespace before the colon, folded or not), nothing else, so a
//! message with a bad header elsewhere still frames and can be answered with a 400 by the
//! indexer while the stream stays in step. It must not index or validate the message.

use crate::error::{ParseError, excerpt};
use crate::message::MAX_MESSAGE_SIZE;

/// The outcome of looking for one message at the front of a stream buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// `skip` leading CRLF bytes, then a message of `len` bytes.
    Message { skip: usize, len: usize },
    /// Only keep-alive CRLFs so far: drop `skip` bytes.
    KeepAlive { skip: usize },
    /// Need more bytes.
    Incomplete,
}

/// Finds the first message in `buf`. An error means the stream cannot be resynchronised
/// (no, two or a malformed Content-Length, or a message larger than [`MAX_MESSAGE_SIZE`]) and
/// the connection should be closed after answering 400 if possible.
pub fn frame(buf: &[u8]) -> Result<Frame, ParseError> {
    let skip = buf
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    if skip == buf.len() {
        return Ok(if skip == 0 {
            Frame::Incomplete
        } else {
            Frame::KeepAlive { skip }
        });
    }
    let data = &buf[skip..];
    let Some(header_end) = find_header_end(data) else {
        if data.len() > MAX_MESSAGE_SIZE {
            return Err(ParseError::TooLarge(MAX_MESSAGE_SIZE));
        }
        return Ok(Frame::Incomplete);
    };
    let body = content_length(&data[..header_end])?.ok_or(ParseError::Missing("Content-Length"))?;
    let len = header_end
        .checked_add(body)
        .filter(|&len| len <= MAX_MESSAGE_SIZE)
        .ok_or(ParseError::TooLarge(MAX_MESSAGE_SIZE))?;
    if data.len() < len {
        return Ok(Frame::Incomplete);
    }
    Ok(Frame::Message { skip, len })
}

/// The Content-Length of a header section (start line included), if it has exactly one.
fn content_length(head: &[u8]) -> Result<Option<usize>, ParseError> {
    let mut found = None;
    let mut lines = head.split(|&b| b == b'\n').skip(1).peekable();
    while let Some(line) = lines.next() {
        if line.starts_with(b" ") || line.starts_with(b"\t") {
            continue; // the continuation of another header (`X-A: a\r\n l: 5` is not a length)
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        if !name.eq_ignore_ascii_case(b"content-length") && !name.eq_ignore_ascii_case(b"l") {
            continue;
        }
        let mut value = line[colon + 1..].trim_ascii().to_vec();
        while let Some(next) = lines.next_if(|l| l.starts_with(b" ") || l.starts_with(b"\t")) {
            value.extend_from_slice(next.trim_ascii());
        }
        let bad = || ParseError::Value {
            header: "Content-Length",
            value: excerpt(&String::from_utf8_lossy(&value)),
        };
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        let n = std::str::from_utf8(&value)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .ok_or_else(bad)?;
        if found.replace(n).is_some() {
            return Err(ParseError::Duplicate("Content-Length"));
        }
    }
    Ok(found)
}

/// Length of the header section including the empty line (CRLFCRLF or LFLF).
fn find_header_end(data: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'\n' {
            if data.get(i + 1) == Some(&b'\n') {
                return Some(i + 2);
            }
            if data.get(i + 1) == Some(&b'\r') && data.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_two_pipelined_messages_and_keepalives() {
        let m = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabcINVITE";
        assert_eq!(frame(m).unwrap(), Frame::Message { skip: 0, len: 49 });
        assert_eq!(frame(&m[49..]).unwrap(), Frame::Incomplete);
        assert_eq!(frame(b"\r\n\r\n").unwrap(), Frame::KeepAlive { skip: 4 });
        assert_eq!(frame(b"").unwrap(), Frame::Incomplete);
        assert_eq!(
            frame(b"OPTIONS sip:a@b SIP/2.0\r\nl: 5\r\n\r\nab").unwrap(),
            Frame::Incomplete
        );
        assert_eq!(
            frame(b"\r\nX sip:a SIP/2.0\nl:1\n\nab").unwrap(),
            Frame::Message { skip: 2, len: 22 }
        );
    }

    #[test]
    fn content_length_forms() {
        #[rustfmt::skip]
        let cases: &[(&[u8], Result<Frame, ParseError>)] = &[
            (b"X sip:a SIP/2.0\r\nContent-Length   : 2\r\n\r\nab", Ok(Frame::Message { skip: 0, len: 43 })),
            (b"X sip:a SIP/2.0\r\ncontent-length:\r\n  2\r\n\r\nab", Ok(Frame::Message { skip: 0, len: 43 })),
            (b"X sip:a SIP/2.0\r\nSubject: \xff\xfe\r\nL: 0\r\n\r\n", Ok(Frame::Message { skip: 0, len: 38 })),
            (b"X sip:a SIP/2.0\r\nX-A: a\r\n l: 5\r\nl: 0\r\n\r\n", Ok(Frame::Message { skip: 0, len: 40 })),
            (b"X sip:a SIP/2.0\r\nVia: x\r\n\r\n", Err(ParseError::Missing("Content-Length"))),
            (b"X sip:a SIP/2.0\r\nl: 13\r\nl: 5\r\n\r\n", Err(ParseError::Duplicate("Content-Length"))),
            (b"X sip:a SIP/2.0\r\nl: -999\r\n\r\n", Err(ParseError::Value { header: "Content-Length", value: "-999".into() })),
            (b"X sip:a SIP/2.0\r\nl: +1\r\n\r\n", Err(ParseError::Value { header: "Content-Length", value: "+1".into() })),
            (b"X sip:a SIP/2.0\r\nl: 99999999999999999999999\r\n\r\n", Err(ParseError::Value { header: "Content-Length", value: "99999999999999999999999".into() })),
            (b"X sip:a SIP/2.0\r\nl: 70000\r\n\r\n", Err(ParseError::TooLarge(MAX_MESSAGE_SIZE))),
        ];
        for (input, want) in cases {
            assert_eq!(frame(input), *want, "{}", String::from_utf8_lossy(input));
        }
        assert_eq!(
            frame(&vec![b'a'; MAX_MESSAGE_SIZE + 1]),
            Err(ParseError::TooLarge(MAX_MESSAGE_SIZE))
        );
    }
}
