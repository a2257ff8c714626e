//! The message index: a received SIP message kept as its bytes plus the offsets of its start
//! line, of every header line and of the body (RFC 3261 §7). Nothing is re-serialised: the
//! proxy forwards by splicing (see [`crate::splice`]), so every byte it does not edit reaches the
//! next hop as the previous hop wrote it.
//!
//! ```text
//!  bytes ─▶ start line ─▶ header lines (folding joined, names typed) ─▶ empty line ─▶ body
//!                                   │
//!                                   ▼
//!        checks: Content-Length, Call-ID, CSeq (+ method), From, To, top Via, Max-Forwards
//! ```
//!
//! The indexer accepts what real peers send: compact header names, whitespace before the colon,
//! folded header lines, bare-LF line endings, extension methods, any URI scheme, and header
//! values that are not UTF-8 (read lossily; forwarded untouched). It rejects what leaves a
//! proxy unable to frame, match or route the message: a bad start line, a header line without
//! a colon or with a non-token name, a missing, repeated or malformed Call-ID, CSeq, From, To,
//! top Via or Content-Length, a body shorter than its Content-Length, a CSeq method that is not
//! the request's, and a request whose top Via branch is the bare magic cookie. The RFC 4475
//! table in `tests/rfc4475.rs` records each decision. It also refuses, without reading further,
//! a message past the [`ParseLimits`] (size, header count, header line length), so what one
//! message costs to index is bounded whatever its sender writes.

use std::borrow::Cow;
use std::ops::Range;

use bytes::Bytes;

use crate::error::{ParseError, excerpt};
pub use crate::header_line::{Header, unfold};
use crate::header_line::{index_headers, line_end, unfold_cow};
use crate::header_name::HeaderName;
pub use crate::limits::{MAX_MESSAGE_SIZE, ParseLimits};
use crate::method::Method;
pub use crate::start_line::StartLine;
use crate::start_line::parse_start_line;
use crate::values::{CSeq, MAGIC_COOKIE, NameAddr, Via, split_list_bytes};

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
    /// [`crate::framing::frame`]) within the default [`ParseLimits`]. Bytes after the declared
    /// Content-Length are ignored.
    pub fn parse(buf: Bytes) -> Result<SipMessage, ParseError> {
        SipMessage::parse_with(buf, &ParseLimits::default())
    }

    /// Indexes one whole message within `limits`: a message longer than `max_message`, with
    /// more than `max_headers` header fields or a header line longer than `max_header_line` is
    /// refused as soon as the scan reaches the excess, without indexing the rest.
    pub fn parse_with(buf: Bytes, limits: &ParseLimits) -> Result<SipMessage, ParseError> {
        if buf.len() > limits.max_message {
            return Err(ParseError::TooLarge(limits.max_message));
        }
        let pos = buf
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        if pos == buf.len() {
            return Err(ParseError::Empty);
        }
        let start_offset = pos;
        let (start_end, next) = line_end(&buf, pos).ok_or(ParseError::Unterminated)?;
        let start = parse_start_line(&buf, pos..start_end)?;
        let headers_offset = next;
        let (headers, body_start) = index_headers(&buf, next, limits)?;

        let mut msg = SipMessage {
            buf,
            start,
            start_offset,
            headers_offset,
            headers,
            body: body_start..body_start,
            call_id: 0..0,
            cseq: CSeq {
                number: 0,
                method: Method::Ack,
            },
        };
        msg.check_and_frame_body(body_start)?;
        Ok(msg)
    }

    fn check_and_frame_body(&mut self, body_start: usize) -> Result<(), ParseError> {
        let available = self.buf.len() - body_start;
        let body_len = match self.single(HeaderName::ContentLength, "Content-Length")? {
            Some(v) => {
                let n = parse_digits::<usize>(&v).ok_or_else(|| value_err("Content-Length", &v))?;
                if n > available {
                    return Err(ParseError::ShortBody {
                        declared: n,
                        available,
                    });
                }
                n
            }
            None => available,
        };
        self.body = body_start..body_start + body_len;

        let call_id = self
            .single_range(HeaderName::CallId, "Call-ID")?
            .ok_or(ParseError::Missing("Call-ID"))?;
        let cid = &self.buf[call_id.clone()];
        if cid.is_empty() || !cid.iter().all(|b| b.is_ascii_graphic()) {
            return Err(value_err("Call-ID", &String::from_utf8_lossy(cid)));
        }
        self.call_id = call_id;

        let cseq_raw = self
            .single(HeaderName::CSeq, "CSeq")?
            .ok_or(ParseError::Missing("CSeq"))?;
        let cseq = CSeq::parse(&cseq_raw).ok_or_else(|| value_err("CSeq", &cseq_raw))?;
        if let StartLine::Request { method, .. } = &self.start
            && *method != cseq.method
        {
            return Err(ParseError::CseqMethod {
                cseq: cseq.method.to_string(),
                method: method.to_string(),
            });
        }
        self.cseq = cseq;

        for (name, label) in [(HeaderName::From, "From"), (HeaderName::To, "To")] {
            let v = self
                .single(name, label)?
                .ok_or(ParseError::Missing(label))?;
            NameAddr::parse(&v).ok_or_else(|| value_err(label, &v))?;
        }
        let via = self.top_via_raw().ok_or(ParseError::Missing("Via"))?;
        let top = Via::parse(&via).ok_or_else(|| value_err("Via", &via))?;
        if self.is_request() && top.branch() == Some(MAGIC_COOKIE) {
            return Err(ParseError::Branch(MAGIC_COOKIE.to_owned()));
        }
        if let Some(v) = self.single(HeaderName::MaxForwards, "Max-Forwards")? {
            parse_digits::<u32>(&v).ok_or_else(|| value_err("Max-Forwards", &v))?;
        }
        Ok(())
    }

    /// The value of a header that may appear once only; an error if it appears twice.
    fn single(
        &self,
        name: HeaderName,
        label: &'static str,
    ) -> Result<Option<Cow<'_, str>>, ParseError> {
        Ok(self
            .single_range(name, label)?
            .map(|r| unfold_cow(self.text_at(r))))
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

    /// Text of a range checked to be UTF-8 when indexed (start line, Call-ID).
    fn str_at(&self, r: Range<usize>) -> &str {
        std::str::from_utf8(&self.buf[r]).unwrap_or("")
    }

    /// Text of a header range; bytes that are not UTF-8 read as U+FFFD.
    fn text_at(&self, r: Range<usize>) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.buf[r])
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

    /// A header's value with folded line breaks replaced by a single space (bytes that are not
    /// UTF-8 read as U+FFFD).
    pub fn value_of(&self, h: &Header) -> Cow<'_, str> {
        unfold_cow(self.text_at(h.value.clone()))
    }

    /// The raw bytes of a header's value, as received (folding included).
    pub fn raw_value(&self, h: &Header) -> &[u8] {
        &self.buf[h.value.clone()]
    }

    /// The first header named `name`, unfolded.
    pub fn header(&self, name: &HeaderName) -> Option<Cow<'_, str>> {
        self.headers
            .iter()
            .find(|h| h.name.matches(name))
            .map(|h| self.value_of(h))
    }

    /// The values of every header named `name`, one per header line, unfolded.
    pub fn header_all<'a>(
        &'a self,
        name: &'a HeaderName,
    ) -> impl Iterator<Item = Cow<'a, str>> + 'a {
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
            for r in split_list_bytes(&self.buf[h.value.clone()]) {
                let range = h.value.start + r.start..h.value.start + r.end;
                out.push(ListElement {
                    header: index,
                    range,
                });
            }
        }
        out
    }

    /// The text of a list element, unfolded.
    pub fn element(&self, e: &ListElement) -> Cow<'_, str> {
        unfold_cow(self.text_at(e.range.clone()))
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
            .and_then(|v| parse_digits(&v))
    }

    /// The body (exactly Content-Length bytes when the header is present).
    pub fn body(&self) -> &[u8] {
        &self.buf[self.body.clone()]
    }

    /// The byte range of the body.
    pub fn body_range(&self) -> Range<usize> {
        self.body.clone()
    }

    /// The message bytes up to the end of the body (leading CRLFs and trailing bytes dropped).
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
    ParseError::Value {
        header,
        value: excerpt(value),
    }
}

/// `1*DIGIT` (no sign, no whitespace inside) that fits `T`.
fn parse_digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
