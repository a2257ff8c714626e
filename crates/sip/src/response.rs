//! Responses the proxy generates itself (RFC 3261 §8.2.6, §16.7): 100 Trying, 400, 408, 481,
//! 483, 486, 503… Via, From, Call-ID and CSeq are copied from the request; To gets the proxy's
//! tag when the request had none and the response is not 100.
//!
//! [`build_bad_request`] answers a request the indexer refused: it cannot use the index, so it
//! finds the five lines it needs textually (RFC 3261 §8.2.6.2) and gives up (the message is
//! dropped) when the bytes are not a request or one of them is missing. It reads no clock and
//! no randomness: its To tag is a hash of the copied lines, so a retransmitted bad request gets
//! the same 400, as a stateless element must answer it.

use bytes::Bytes;

use crate::header_name::HeaderName;
use crate::message::{MAX_MESSAGE_SIZE, SipMessage};
use crate::values::NameAddr;

/// The longest reason phrase [`build_bad_request`] writes.
pub const MAX_REASON_LEN: usize = 100;

/// Builds a response to `req`. `to_tag` is added to To if the request's To has no tag and the
/// code is above 100. `extra` are complete header lines without line endings.
pub fn build_response(
    req: &SipMessage,
    code: u16,
    reason: &str,
    to_tag: Option<&str>,
    extra: &[String],
) -> Bytes {
    let mut out = String::with_capacity(512);
    out.push_str(&format!("SIP/2.0 {code} {reason}\r\n"));
    for h in req.headers() {
        let copy = matches!(
            h.name,
            HeaderName::Via | HeaderName::From | HeaderName::CallId | HeaderName::CSeq
        );
        if copy {
            out.push_str(h.name.as_str());
            out.push_str(": ");
            out.push_str(&req.value_of(h));
            out.push_str("\r\n");
        } else if h.name == HeaderName::To {
            let value = req.value_of(h);
            out.push_str("To: ");
            out.push_str(&value);
            if code > 100
                && req.to_tag().is_none()
                && let Some(tag) = to_tag
            {
                out.push_str(";tag=");
                out.push_str(tag);
            }
            out.push_str("\r\n");
        }
    }
    for line in extra {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    Bytes::from(out)
}

/// A best-effort `400` for bytes that failed to index: `Some` if `raw` starts with something
/// shaped like a Request-Line (a method token other than ACK, …, `SIP/x`) and its Via, From,
/// To, Call-ID and CSeq lines (long or compact names, folded or not) can be found; `None`
/// otherwise, and the message is to be dropped. `reason` (usually the `ParseError`'s Display)
/// becomes the reason phrase, cut to printable ASCII and [`MAX_REASON_LEN`] characters.
pub fn build_bad_request(raw: &[u8], reason: &str) -> Option<Bytes> {
    let raw = &raw[..raw.len().min(MAX_MESSAGE_SIZE)];
    let start = raw.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let mut lines = LogicalLines {
        rest: &raw[start..],
    };
    if !looks_like_request_line(lines.next()?) {
        return None;
    }
    let (mut vias, mut from, mut to, mut call_id, mut cseq) = (Vec::new(), None, None, None, None);
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        let value = line[colon + 1..].trim_ascii().to_vec();
        let is = |long: &str, compact: &str| {
            name.eq_ignore_ascii_case(long.as_bytes())
                || name.eq_ignore_ascii_case(compact.as_bytes())
        };
        if is("via", "v") {
            vias.push(value);
        } else if is("from", "f") {
            from.get_or_insert(value);
        } else if is("to", "t") {
            to.get_or_insert(value);
        } else if is("call-id", "i") {
            call_id.get_or_insert(value);
        } else if name.eq_ignore_ascii_case(b"cseq") {
            cseq.get_or_insert(value);
        }
    }
    let (from, to, call_id, cseq) = (from?, to?, call_id?, cseq?);
    if vias.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(b"SIP/2.0 400 ");
    out.extend_from_slice(sanitise_reason(reason).as_bytes());
    out.extend_from_slice(b"\r\n");
    for via in &vias {
        push_header(&mut out, "Via", via);
    }
    push_header(&mut out, "From", &from);
    let mut to_line = to.clone();
    if !has_tag(&to) {
        let tag = stateless_tag(&[vias.concat().as_slice(), &from, &call_id, &cseq]);
        to_line.extend_from_slice(format!(";tag={tag:016x}").as_bytes());
    }
    push_header(&mut out, "To", &to_line);
    push_header(&mut out, "Call-ID", &call_id);
    push_header(&mut out, "CSeq", &cseq);
    out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    Some(Bytes::from(out))
}

/// Header lines with folded continuations joined by one space; stops at the empty line (or the
/// end of a truncated message).
struct LogicalLines<'a> {
    rest: &'a [u8],
}

impl Iterator for LogicalLines<'_> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        let (first, rest) = physical_line(self.rest)?;
        if first.is_empty() {
            self.rest = &[];
            return None;
        }
        let mut line = first.to_vec();
        self.rest = rest;
        while let Some((cont, rest)) = physical_line(self.rest) {
            if !cont.starts_with(b" ") && !cont.starts_with(b"\t") {
                break;
            }
            line.push(b' ');
            line.extend_from_slice(cont.trim_ascii());
            self.rest = rest;
        }
        Some(line)
    }
}

/// The line at the front of `s` without its CRLF/LF, and what follows it.
fn physical_line(s: &[u8]) -> Option<(&[u8], &[u8])> {
    if s.is_empty() {
        return None;
    }
    let (line, rest) = match s.iter().position(|&b| b == b'\n') {
        Some(nl) => (&s[..nl], &s[nl + 1..]),
        None => (s, &s[s.len()..]),
    };
    Some((line.strip_suffix(b"\r").unwrap_or(line), rest))
}

/// `Method SP … SP SIP/…` with a token method other than ACK (never answered, RFC 3261 §17.1.1.3).
fn looks_like_request_line(line: Vec<u8>) -> bool {
    let line = line.trim_ascii();
    if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"SIP/") {
        return false;
    }
    let mut parts = line
        .split(|b| b.is_ascii_whitespace())
        .filter(|p| !p.is_empty());
    let Some(method) = parts.next() else {
        return false;
    };
    let Some(version) = parts.next_back() else {
        return false;
    };
    let has_uri = parts.next().is_some();
    has_uri
        && method != b"ACK"
        && method.iter().all(|&b| crate::method::is_token_char(b))
        && version.len() >= 4
        && version[..4].eq_ignore_ascii_case(b"SIP/")
}

fn push_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// True if the To value carries a tag (typed when it parses, textually when it does not).
fn has_tag(to: &[u8]) -> bool {
    let text = String::from_utf8_lossy(to);
    match NameAddr::parse(&text) {
        Some(n) => n.param("tag").is_some(),
        None => text
            .to_ascii_lowercase()
            .split(';')
            .skip(1)
            .any(|p| p.split('=').next().map(str::trim) == Some("tag")),
    }
}

/// FNV-1a over the copied lines: the same request always gets the same To tag.
fn stateless_tag(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Printable ASCII only (whitespace becomes a space, anything else `?`), at most
/// [`MAX_REASON_LEN`] characters, never empty.
fn sanitise_reason(reason: &str) -> String {
    let cleaned: String = reason
        .chars()
        .map(|c| match c {
            ' '..='~' => c,
            c if c.is_whitespace() => ' ',
            _ => '?',
        })
        .take(MAX_REASON_LEN)
        .collect();
    match cleaned.trim() {
        "" => "Bad Request".to_owned(),
        t => t.to_owned(),
    }
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
