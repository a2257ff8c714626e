//! The message index: a received SIP message kept as its bytes plus the offsets of its start
//! line, of every header line and of the body (RFC 3261 §7). Nothing is re-serialised: the
//! proxy forwards by splicing (see [`crate::splice`]), so every byte it does not edit reaches the
//! next hop as the previous hop wrote it.
//!
//! The indexer accepts what real peers send: compact header names, whitespace before the colon,
//! folded header lines, bare-LF line endings, extension methods, `tel:` and other URI schemes.
//! It rejects what RFC 3261 makes unparseable: a start line that is neither a request nor a
//! status line, a header line without a colon, a missing or malformed Call-ID, CSeq, From, To or
//! Via, and a body shorter than its Content-Length.

use std::borrow::Cow;
use std::ops::Range;

use bytes::Bytes;

use crate::error::ParseError;
use crate::header_name::HeaderName;
use crate::method::Method;
use crate::values::{CSeq, NameAddr, Via, split_list};

/// The largest message the indexer accepts (UDP datagrams are smaller; TCP framing uses it).
pub const MAX_MESSAGE_SIZE: usize = 65_535;

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request { method: Method, uri: Range<usize> },
    Response { code: u16, reason: Range<usize> },
}

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

/// An indexed SIP message.
#[derive(Debug, Clone)]
pub struct SipMessage {
    buf: Bytes,
    start: StartLine,
    /// Offset where the start line begins (leading CRLFs are skipped, RFC 3261 §7.5).
    start_offset: usize,
    /// Offset of the first byte after the start line's line ending.
    headers_offset: usize,
    headers: Vec<Header>,
    body: Range<usize>,
    call_id: Range<usize>,
    cseq: CSeq,
}

impl SipMessage {
    /// Indexes one whole message (a UDP datagram, or a TCP frame found by
    /// [`crate::framing::frame_length`]). Bytes after the declared Content-Length are ignored.
    pub fn parse(buf: Bytes) -> Result<SipMessage, ParseError> {
        if buf.len() > MAX_MESSAGE_SIZE {
            return Err(ParseError::TooLarge(MAX_MESSAGE_SIZE));
        }
        let mut pos = 0;
        while pos < buf.len() && (buf[pos] == b'\r' || buf[pos] == b'\n') {
            pos += 1;
        }
        if pos == buf.len() {
            return Err(ParseError::Empty);
        }
        let start_offset = pos;
        let (start_end, next) = line_end(&buf, pos).ok_or(ParseError::Unterminated)?;
        let start = parse_start_line(&buf, pos..start_end)?;
        let headers_offset = next;
        pos = next;

        let mut headers = Vec::with_capacity(16);
        let body_start = loop {
            let (end, next) = line_end(&buf, pos).ok_or(ParseError::Unterminated)?;
            if end == pos {
                break next; // the empty line
            }
            // Extend over folded continuation lines (RFC 3261 §7.3.1).
            let mut value_end = end;
            let mut line_next = next;
            while line_next < buf.len() && (buf[line_next] == b' ' || buf[line_next] == b'\t') {
                let (e, n) = line_end(&buf, line_next).ok_or(ParseError::Unterminated)?;
                value_end = e;
                line_next = n;
            }
            headers.push(parse_header_line(&buf, pos, value_end, line_next)?);
            pos = line_next;
        };

        let mut msg = SipMessage {
            buf,
            start,
            start_offset,
            headers_offset,
            headers,
            body: body_start..body_start,
            call_id: 0..0,
            cseq: CSeq { number: 0, method: Method::Ack },
        };
        msg.check_and_frame_body(body_start)?;
        Ok(msg)
    }

    fn check_and_frame_body(&mut self, body_start: usize) -> Result<(), ParseError> {
        let available = self.buf.len() - body_start;
        let body_len = match self.single(HeaderName::ContentLength, "Content-Length")? {
            Some(v) => {
                let v = v.trim();
                let n: usize = v
                    .parse()
                    .map_err(|_| value_err("Content-Length", v))?;
                if n > available {
                    return Err(ParseError::ShortBody { declared: n, available });
                }
                n
            }
            None => available,
        };
        self.body = body_start..body_start + body_len;

        let call_id = self
            .single_range(HeaderName::CallId, "Call-ID")?
            .ok_or(ParseError::Missing("Call-ID"))?;
        let cid = self.str_at(call_id.clone());
        if cid.is_empty() || cid.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(value_err("Call-ID", cid));
        }
        self.call_id = call_id;

        let cseq_raw = self
            .single(HeaderName::CSeq, "CSeq")?
            .ok_or(ParseError::Missing("CSeq"))?;
        let cseq = CSeq::parse(&cseq_raw).ok_or_else(|| value_err("CSeq", &cseq_raw))?;
        if let StartLine::Request { method, .. } = &self.start {
            if *method != cseq.method {
                return Err(ParseError::CseqMethod {
                    cseq: cseq.method.to_string(),
                    method: method.to_string(),
                });
            }
        }
        self.cseq = cseq;

        for (name, label) in [(HeaderName::From, "From"), (HeaderName::To, "To")] {
            let v = self.single(name, label)?.ok_or(ParseError::Missing(label))?;
            NameAddr::parse(&v).ok_or_else(|| value_err(label, &v))?;
        }
        let via = self.top_via_raw().ok_or(ParseError::Missing("Via"))?;
        Via::parse(&via).ok_or_else(|| value_err("Via", &via))?;
        if let Some(v) = self.single(HeaderName::MaxForwards, "Max-Forwards")? {
            v.trim()
                .parse::<u32>()
                .map_err(|_| value_err("Max-Forwards", &v))?;
        }
        Ok(())
    }

    /// The value of a header that may appear once only; an error if it appears twice.
    fn single(&self, name: HeaderName, label: &'static str) -> Result<Option<Cow<'_, str>>, ParseError> {
        Ok(self
            .single_range(name, label)?
            .map(|r| unfold(self.str_at(r))))
    }

    fn single_range(
        &self,
        name: HeaderName,
        label: &'static str,
    ) -> Result<Option<Range<usize>>, ParseError> {
        let mut found = None;
        for h in self.headers.iter().filter(|h| h.name == name) {
            if found.is_some() {
                return Err(ParseError::Duplicate(label));
            }
            found = Some(h.value.clone());
        }
        Ok(found)
    }

    fn str_at(&self, r: Range<usize>) -> &str {
        // Header and start-line ranges were checked to be UTF-8 when indexed.
        std::str::from_utf8(&self.buf[r]).unwrap_or("")
    }

    /// The message bytes as received.
    pub fn bytes(&self) -> &Bytes {
        &self.buf
    }

    /// The start line.
    pub fn start_line(&self) -> &StartLine {
        &self.start
    }

    /// Offset of the first header line (where the proxy inserts its own headers).
    pub fn headers_offset(&self) -> usize {
        self.headers_offset
    }

    /// Offset where the start line begins.
    pub fn start_offset(&self) -> usize {
        self.start_offset
    }

    /// Every header line, in order.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// True for requests.
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// The request method, or `None` for a response.
    pub fn method(&self) -> Option<&Method> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The request-URI as written, or `None` for a response.
    pub fn request_uri(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(self.str_at(uri.clone())),
            StartLine::Response { .. } => None,
        }
    }

    /// The byte range of the request-URI (for splicing).
    pub fn request_uri_range(&self) -> Option<Range<usize>> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri.clone()),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code, or `None` for a request.
    pub fn status(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// The reason phrase of a response.
    pub fn reason(&self) -> Option<&str> {
        match &self.start {
            StartLine::Response { reason, .. } => Some(self.str_at(reason.clone())),
            StartLine::Request { .. } => None,
        }
    }

    /// A header's value with folded line breaks replaced by a single space.
    pub fn value_of(&self, h: &Header) -> Cow<'_, str> {
        unfold(self.str_at(h.value.clone()))
    }

    /// The first header named `name`, unfolded.
    pub fn header(&self, name: &HeaderName) -> Option<Cow<'_, str>> {
        self.headers
            .iter()
            .find(|h| h.name.matches(name))
            .map(|h| self.value_of(h))
    }

    /// The values of every header named `name`, one per header line, unfolded.
    pub fn header_all<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = Cow<'a, str>> + 'a {
        self.headers
            .iter()
            .filter(move |h| h.name.matches(name))
            .map(|h| self.value_of(h))
    }

    /// The elements of a list header (Via, Route, Record-Route, Contact) across all its lines,
    /// in order, each with the index of its header line and its byte range in the message.
    pub fn list(&self, name: &HeaderName) -> Vec<ListElement> {
        let mut out = Vec::new();
        for (index, h) in self.headers.iter().enumerate() {
            if !h.name.matches(name) {
                continue;
            }
            let raw = self.str_at(h.value.clone());
            for r in split_list(raw) {
                let range = h.value.start + r.start..h.value.start + r.end;
                out.push(ListElement { header: index, range });
            }
        }
        out
    }

    /// The text of a list element, unfolded.
    pub fn element(&self, e: &ListElement) -> Cow<'_, str> {
        unfold(self.str_at(e.range.clone()))
    }

    /// The Call-ID.
    pub fn call_id(&self) -> &str {
        self.str_at(self.call_id.clone())
    }

    /// The CSeq number and method.
    pub fn cseq(&self) -> &CSeq {
        &self.cseq
    }

    /// The From header, typed.
    pub fn from(&self) -> NameAddr {
        self.header(&HeaderName::From)
            .and_then(|v| NameAddr::parse(&v))
            .unwrap_or_default()
    }

    /// The To header, typed.
    pub fn to(&self) -> NameAddr {
        self.header(&HeaderName::To)
            .and_then(|v| NameAddr::parse(&v))
            .unwrap_or_default()
    }

    /// The From tag, if any.
    pub fn from_tag(&self) -> Option<String> {
        self.from().tag().map(str::to_owned)
    }

    /// The To tag, if any.
    pub fn to_tag(&self) -> Option<String> {
        self.to().tag().map(str::to_owned)
    }

    fn top_via_raw(&self) -> Option<Cow<'_, str>> {
        self.list(&HeaderName::Via).first().map(|e| self.element(e))
    }

    /// The topmost Via, typed (always present: the indexer checks it).
    pub fn top_via(&self) -> Via {
        self.top_via_raw()
            .and_then(|v| Via::parse(&v))
            .unwrap_or_default()
    }

    /// The Max-Forwards value, if present.
    pub fn max_forwards(&self) -> Option<u32> {
        self.header(&HeaderName::MaxForwards)
            .and_then(|v| v.trim().parse().ok())
    }

    /// The body (exactly Content-Length bytes when the header is present).
    pub fn body(&self) -> &[u8] {
        &self.buf[self.body.clone()]
    }

    /// The byte range of the body.
    pub fn body_range(&self) -> Range<usize> {
        self.body.clone()
    }

    /// The message bytes up to the end of the body (trailing bytes dropped).
    pub fn wire_bytes(&self) -> Bytes {
        self.buf.slice(self.start_offset..self.body.end)
    }
}

/// One element of a comma-separated list header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListElement {
    /// Index into [`SipMessage::headers`].
    pub header: usize,
    /// Byte range of the element in the message.
    pub range: Range<usize>,
}

fn value_err(header: &'static str, value: &str) -> ParseError {
    ParseError::Value { header, value: value.to_owned() }
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

/// Finds the end of the line starting at `pos`: returns (end of content, start of next line).
/// Accepts CRLF and bare LF.
fn line_end(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    let nl = buf[pos..].iter().position(|&b| b == b'\n')? + pos;
    let end = if nl > pos && buf[nl - 1] == b'\r' { nl - 1 } else { nl };
    Some((end, nl + 1))
}

fn utf8(buf: &[u8], r: Range<usize>) -> Result<&str, ParseError> {
    std::str::from_utf8(&buf[r]).map_err(|_| ParseError::NotUtf8)
}

fn parse_start_line(buf: &[u8], r: Range<usize>) -> Result<StartLine, ParseError> {
    let line = utf8(buf, r.clone())?;
    let bad = || ParseError::StartLine(line.to_owned());
    if let Some(rest) = line.strip_prefix("SIP/") {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        let (version, rest) = rest.split_once(' ').ok_or_else(bad)?;
        if version != "2.0" {
            return Err(ParseError::Version(format!("SIP/{version}")));
        }
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        if code.len() != 3 {
            return Err(bad());
        }
        let code: u16 = code.parse().map_err(|_| bad())?;
        if !(100..=699).contains(&code) {
            return Err(bad());
        }
        let reason_start = r.start + line.len() - reason.len();
        return Ok(StartLine::Response { code, reason: reason_start..r.end });
    }
    // Request-Line = Method SP Request-URI SP SIP-Version (single spaces, RFC 3261 §7.1)
    let mut parts = line.split(' ');
    let (Some(m), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let method = Method::parse(m).ok_or_else(bad)?;
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        if version.starts_with("SIP/") {
            return Err(ParseError::Version(version.to_owned()));
        }
        return Err(bad());
    }
    if uri.is_empty() || !uri.contains(':') || uri.contains('<') || uri.contains('>') {
        return Err(bad());
    }
    let uri_start = r.start + m.len() + 1;
    Ok(StartLine::Request { method, uri: uri_start..uri_start + uri.len() })
}

fn parse_header_line(
    buf: &[u8],
    start: usize,
    value_end: usize,
    next: usize,
) -> Result<Header, ParseError> {
    let line = utf8(buf, start..value_end)?;
    let colon = line
        .find(':')
        .ok_or_else(|| ParseError::HeaderLine(line.to_owned()))?;
    let name = line[..colon].trim_end_matches([' ', '\t']);
    if name.is_empty() || !name.bytes().all(crate::method::is_token_char) {
        return Err(ParseError::HeaderLine(line.to_owned()));
    }
    let raw_value = &line[colon + 1..];
    let lead = raw_value.len() - raw_value.trim_start().len();
    let trimmed = raw_value.trim();
    let vstart = start + colon + 1 + lead;
    Ok(Header {
        name: HeaderName::parse(name),
        line: start..next,
        value: vstart..vstart + trimmed.len(),
    })
}
