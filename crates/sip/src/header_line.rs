//! Header lines (RFC 3261 §7.3): one line of the header section as ranges into the message,
//! with its folded continuation lines (§7.3.1) joined, its name typed and its value trimmed.
//! Works on bytes: a value need not be UTF-8 (it is read lossily and forwarded untouched);
//! the name must be a token. Must not interpret values: that is [`crate::values`]' job.
//!
//! [`index_headers`] walks the header section within [`ParseLimits`]: the search for a line's
//! end never looks past the longest line allowed, and the walk stops at the header past the
//! most allowed, so the work per message is bounded by the limits, not by the sender.

use std::borrow::Cow;
use std::ops::Range;

use crate::error::{ParseError, excerpt};
use crate::header_name::HeaderName;
use crate::limits::ParseLimits;

/// One header line of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The typed name (compact forms expanded).
    pub name: HeaderName,
    /// The whole line, from the first byte of the name to the end of its line ending
    /// (folded continuation lines included).
    pub line: Range<usize>,
    /// The value, trimmed of surrounding whitespace; may contain folded line breaks.
    pub value: Range<usize>,
}

/// Replaces folded line breaks (CRLF or LF followed by whitespace) by one space.
pub fn unfold(s: &str) -> Cow<'_, str> {
    if !s.contains('\n') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' || c == '\n' {
            while matches!(chars.peek(), Some('\r' | '\n' | ' ' | '\t')) {
                chars.next();
            }
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

pub(crate) fn unfold_cow(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => unfold(b),
        Cow::Owned(o) => match unfold(&o) {
            Cow::Borrowed(_) => Cow::Owned(o),
            Cow::Owned(u) => Cow::Owned(u),
        },
    }
}

/// Finds the end of the line starting at `pos`: returns (end of content, start of next line).
/// Accepts CRLF and bare LF.
pub(crate) fn line_end(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    let nl = buf[pos..].iter().position(|&b| b == b'\n')? + pos;
    let end = if nl > pos && buf[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    };
    Some((end, nl + 1))
}

/// Like [`line_end`], but looks at no more than `max` content bytes: a line whose content is
/// longer is [`ParseError::HeaderLineTooLong`] (naming `limit`, the configured maximum), found
/// without scanning the rest of the buffer; a buffer that ends first is
/// [`ParseError::Unterminated`].
fn bounded_line_end(
    buf: &[u8],
    pos: usize,
    max: usize,
    limit: usize,
) -> Result<(usize, usize), ParseError> {
    // The content may be `max` bytes, then CR LF.
    let window = &buf[pos..buf.len().min(pos.saturating_add(max).saturating_add(2))];
    match line_end(window, 0) {
        Some((end, next)) if end <= max => Ok((pos + end, pos + next)),
        Some(_) => Err(ParseError::HeaderLineTooLong(limit)),
        None if buf.len() - pos > max => Err(ParseError::HeaderLineTooLong(limit)),
        None => Err(ParseError::Unterminated),
    }
}

/// Indexes the header section that starts at `pos` (RFC 3261 §7.3): each header line with its
/// folded continuations (§7.3.1), up to the empty line. Returns the headers and the offset of
/// the body. Stops at the first line past `limits.max_header_line` or the first header past
/// `limits.max_headers`, having scanned no further than that line.
pub(crate) fn index_headers(
    buf: &[u8],
    mut pos: usize,
    limits: &ParseLimits,
) -> Result<(Vec<Header>, usize), ParseError> {
    let max_line = limits.max_header_line;
    let mut headers = Vec::with_capacity(16.min(limits.max_headers));
    loop {
        let (end, next) = bounded_line_end(buf, pos, max_line, max_line)?;
        if end == pos {
            return Ok((headers, next)); // the empty line
        }
        if headers.len() == limits.max_headers {
            return Err(ParseError::TooManyHeaders(limits.max_headers));
        }
        // Extend over folded continuation lines (RFC 3261 §7.3.1); the line's budget is shared.
        let mut value_end = end;
        let mut line_next = next;
        while line_next < buf.len() && (buf[line_next] == b' ' || buf[line_next] == b'\t') {
            let used = line_next - pos;
            let left = max_line
                .checked_sub(used)
                .ok_or(ParseError::HeaderLineTooLong(max_line))?;
            let (e, n) = bounded_line_end(buf, line_next, left, max_line)?;
            value_end = e;
            line_next = n;
        }
        headers.push(parse_header_line(buf, pos, value_end, line_next)?);
        pos = line_next;
    }
}

pub(crate) fn parse_header_line(
    buf: &[u8],
    start: usize,
    value_end: usize,
    next: usize,
) -> Result<Header, ParseError> {
    let line = &buf[start..value_end];
    let bad = || ParseError::HeaderLine(excerpt(&String::from_utf8_lossy(line)));
    let colon = line.iter().position(|&b| b == b':').ok_or_else(bad)?;
    // Whitespace may precede the colon (RFC 3261 §7.3.1); the name itself must be a token.
    let name = &line[..colon - trailing_ws(&line[..colon])];
    if name.is_empty() || !name.iter().all(|&b| crate::method::is_token_char(b)) {
        return Err(bad());
    }
    let name = std::str::from_utf8(name).map_err(|_| bad())?;
    let raw = &line[colon + 1..];
    let lead = raw.len() - trim_ascii_ws_start(raw).len();
    let vstart = start + colon + 1 + lead;
    let vlen = trim_ascii_ws(raw).len();
    Ok(Header {
        name: HeaderName::parse(name),
        line: start..next,
        value: vstart..vstart + vlen,
    })
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn trailing_ws(s: &[u8]) -> usize {
    s.iter().rev().take_while(|&&b| is_ws(b)).count()
}

fn trim_ascii_ws_start(s: &[u8]) -> &[u8] {
    let lead = s.iter().take_while(|&&b| is_ws(b)).count();
    &s[lead..]
}

fn trim_ascii_ws(s: &[u8]) -> &[u8] {
    let s = trim_ascii_ws_start(s);
    &s[..s.len() - trailing_ws(s)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfold_table() {
        for (input, want) in [
            ("a\r\n b", "a b"),
            ("a \r\n\t b", "a b"),
            ("a\n b\r\n  c", "a b c"),
            ("plain", "plain"),
        ] {
            assert_eq!(unfold(input), want, "{input:?}");
        }
        assert_eq!(unfold_cow(Cow::Owned("x\r\n y".into())), "x y");
    }

    #[test]
    fn header_line_table() {
        // (line without its final line ending, typed name, value)
        let ok: &[(&[u8], HeaderName, &[u8])] = &[
            (b"Via: SIP/2.0/UDP h", HeaderName::Via, b"SIP/2.0/UDP h"),
            (b"v  :\tSIP/2.0/UDP h  ", HeaderName::Via, b"SIP/2.0/UDP h"),
            (b"TO :\r\n sip:a@b", HeaderName::To, b"sip:a@b"),
            (b"s :", HeaderName::Subject, b""),
            (b"X-L1: caf\xe9", HeaderName::parse("x-l1"), b"caf\xe9"),
        ];
        for (line, name, value) in ok {
            let h = parse_header_line(line, 0, line.len(), line.len() + 2).unwrap();
            assert!(h.name.matches(name), "{:?}", String::from_utf8_lossy(line));
            assert_eq!(&line[h.value.clone()], *value);
            assert_eq!(h.line, 0..line.len() + 2);
        }
        for bad in [
            &b"no colon"[..],
            b": empty name",
            b" Via: leading space",
            b"Max Forwards: 1",
            b"N\xe9: x",
        ] {
            let e = parse_header_line(bad, 0, bad.len(), bad.len()).unwrap_err();
            assert!(matches!(e, ParseError::HeaderLine(_)), "{e:?}");
        }
        assert_eq!(line_end(b"ab\r\ncd", 0), Some((2, 4)));
        assert_eq!(line_end(b"ab\ncd", 0), Some((2, 3)));
        assert_eq!(line_end(b"ab", 0), None);
    }
}
