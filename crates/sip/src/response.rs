//! Responses the proxy generates itself (RFC 3261 §8.2.6, §16.7): 100 Trying, 400, 408, 481,
//! 483, 486, 503… Via, From, Call-ID and CSeq are copied from the request; To gets the proxy's
//! tag when the request had none and the response is not 100.
//!
//! [`build_error_response`] answers a request the indexer refused, with the code
//! [`ParseError::status`] gives (400, or 513 for a message over the [`ParseLimits`]);
//! [`build_bad_request`] is the same with 400 and a given reason. They cannot use the index, so
//! they find the five lines they need textually (RFC 3261 §8.2.6.2) and give up (the message is
//! dropped) when the bytes are not a request or one of them is missing. They read the bytes
//! within the same limits as the indexer, so answering a hostile message costs no more than
//! refusing it. They read no clock and no randomness: the To tag is a hash of the copied lines,
//! so a retransmitted bad request gets the same answer, as a stateless element must give it.

use bytes::Bytes;

use crate::error::ParseError;
use crate::header_name::HeaderName;
use crate::limits::ParseLimits;
use crate::message::SipMessage;
use crate::values::NameAddr;

/// The longest reason phrase [`build_bad_request`] and [`build_error_response`] write.
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
/// becomes the reason phrase, cut to printable ASCII and [`MAX_REASON_LEN`] characters. Reads
/// `raw` within the default [`ParseLimits`]; [`build_error_response`] picks the status code
/// from the error and takes the limits.
pub fn build_bad_request(raw: &[u8], reason: &str) -> Option<Bytes> {
    stateless_answer(raw, 400, reason, &ParseLimits::default())
}

/// The best-effort answer to bytes the indexer refused with `error`: the status code of
/// [`ParseError::status`] (400, or 513 for a message over the limits) with the error's Display
/// as reason phrase, built as [`build_bad_request`] builds its 400 and with the same `None`
/// cases. `raw` is read within `limits` (those the indexer ran with): at most `max_message`
/// bytes, `max_headers` header lines, and no line longer than `max_header_line`; the scan stops
/// at the first line over it and the answer is built from the lines before, or not at all when
/// one of the five is missing there (RFC 3261 §8.2.6.2 needs them all).
pub fn build_error_response(raw: &[u8], error: &ParseError, limits: &ParseLimits) -> Option<Bytes> {
    let (code, _) = error.status();
    stateless_answer(raw, code, &error.to_string(), limits)
}

fn stateless_answer(raw: &[u8], code: u16, reason: &str, limits: &ParseLimits) -> Option<Bytes> {
    let raw = &raw[..raw.len().min(limits.max_message)];
    let start = raw.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let mut lines = LogicalLines {
        rest: &raw[start..],
        max_line: usize::MAX, // the start line is bounded by `max_message` only
    };
    if !looks_like_request_line(lines.next()?) {
        return None;
    }
    lines.max_line = limits.max_header_line;
    let (mut vias, mut from, mut to, mut call_id, mut cseq) = (Vec::new(), None, None, None, None);
    for line in lines.take(limits.max_headers) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        let value = || unfold_bytes(&line[colon + 1..]);
        let is = |long: &str, compact: &str| {
            name.eq_ignore_ascii_case(long.as_bytes())
                || name.eq_ignore_ascii_case(compact.as_bytes())
        };
        if is("via", "v") {
            vias.push(value());
        } else if is("from", "f") {
            from.get_or_insert_with(value);
        } else if is("to", "t") {
            to.get_or_insert_with(value);
        } else if is("call-id", "i") {
            call_id.get_or_insert_with(value);
        } else if name.eq_ignore_ascii_case(b"cseq") {
            cseq.get_or_insert_with(value);
        }
    }
    let (from, to, call_id, cseq) = (from?, to?, call_id?, cseq?);
    if vias.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(format!("SIP/2.0 {code} ").as_bytes());
    out.extend_from_slice(sanitise_reason(reason, code).as_bytes());
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

/// Header lines as received, folded continuations included; stops at the empty line, the end
/// of a truncated message, or a line longer than `max_line` (whose end it does not look for
/// past `max_line`), so a line costs at most `max_line` bytes of scanning.
struct LogicalLines<'a> {
    rest: &'a [u8],
    max_line: usize,
}

impl<'a> Iterator for LogicalLines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let s = std::mem::take(&mut self.rest);
        let (len, mut next) = physical_line(s, self.max_line)?;
        if len == 0 {
            return None; // the empty line: `rest` stays empty
        }
        let mut end = len;
        while next < s.len() && (s[next] == b' ' || s[next] == b'\t') {
            let budget = self.max_line.checked_sub(next)?;
            let (len, n) = physical_line(&s[next..], budget)?;
            end = next + len;
            next += n;
        }
        self.rest = &s[next..];
        Some(&s[..end])
    }
}

/// The content length of the line at the front of `s` (without its CRLF/LF) and the offset of
/// the next line; `None` if `s` is empty or the line is longer than `max`.
fn physical_line(s: &[u8], max: usize) -> Option<(usize, usize)> {
    if s.is_empty() {
        return None;
    }
    let window = &s[..s.len().min(max.saturating_add(2))];
    let (content, next) = match window.iter().position(|&b| b == b'\n') {
        Some(nl) => (&s[..nl], nl + 1),
        None if s.len() > window.len() => return None,
        None => (s, s.len()),
    };
    let len = content.strip_suffix(b"\r").unwrap_or(content).len();
    (len <= max).then_some((len, next))
}

/// A header value with folded line breaks (and the whitespace around them) joined by one
/// space, trimmed.
fn unfold_bytes(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    for (i, piece) in value.split(|&b| b == b'\n').enumerate() {
        let piece = piece.strip_suffix(b"\r").unwrap_or(piece);
        if i == 0 {
            out.extend_from_slice(piece);
        } else {
            out.push(b' ');
            out.extend_from_slice(piece.trim_ascii());
        }
    }
    out.trim_ascii().to_vec()
}

/// `Method SP … SP SIP/…` with a token method other than ACK (never answered, RFC 3261 §17.1.1.3).
fn looks_like_request_line(line: &[u8]) -> bool {
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
/// [`MAX_REASON_LEN`] characters, never empty (the RFC 3261 phrase of `code` when nothing is
/// left).
fn sanitise_reason(reason: &str, code: u16) -> String {
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
        "" if code == 513 => "Message Too Large".to_owned(),
        "" => "Bad Request".to_owned(),
        t => t.to_owned(),
    }
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
