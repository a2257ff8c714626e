//! Stream framing for SIP over TCP (RFC 3261 §18.3): a message ends after its header section
//! plus Content-Length body bytes; Content-Length is mandatory on streams. Leading CRLFs
//! (keep-alive pings, RFC 5626 §3.5.1) are skipped.

use crate::error::ParseError;
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

/// Finds the first message in `buf`. An error means the stream cannot be resynchronised and
/// the connection should be closed after answering 400 if possible.
pub fn frame(buf: &[u8]) -> Result<Frame, ParseError> {
    let skip = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    if skip == buf.len() {
        return Ok(if skip == 0 { Frame::Incomplete } else { Frame::KeepAlive { skip } });
    }
    let data = &buf[skip..];
    let Some(header_end) = find_header_end(data) else {
        if data.len() > MAX_MESSAGE_SIZE {
            return Err(ParseError::TooLarge(MAX_MESSAGE_SIZE));
        }
        return Ok(Frame::Incomplete);
    };
    let head = std::str::from_utf8(&data[..header_end]).map_err(|_| ParseError::NotUtf8)?;
    let mut content_length = None;
    for line in head.split('\n').skip(1) {
        let line = line.trim_end_matches('\r');
        let Some((name, value)) = line.split_once(':') else { continue };
        let name = name.trim_end();
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l") {
            let v = value.trim();
            content_length = Some(v.parse::<usize>().map_err(|_| ParseError::Value {
                header: "Content-Length",
                value: v.to_owned(),
            })?);
        }
    }
    let body = content_length.ok_or(ParseError::Missing("Content-Length"))?;
    let len = header_end + body;
    if len > MAX_MESSAGE_SIZE {
        return Err(ParseError::TooLarge(MAX_MESSAGE_SIZE));
    }
    if data.len() < len {
        return Ok(Frame::Incomplete);
    }
    Ok(Frame::Message { skip, len })
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
        assert_eq!(frame(b"OPTIONS sip:a@b SIP/2.0\r\nl: 5\r\n\r\nab").unwrap(), Frame::Incomplete);
        assert!(frame(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n").is_err());
    }
}
