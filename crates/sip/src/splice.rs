//! Byte splicing: the proxy's edits to a message it forwards (RFC 3261 §16.6): add a Via,
//! pop its own Route, add a Record-Route, decrement Max-Forwards, rewrite the request-URI,
//! remove the top Via of a response. Every byte not touched by an edit is copied as received.
//!
//! ```text
//! SipMessage ──▶ Splice::new(&msg).remove_element(..).prepend_header(..) ──▶ build() ──▶ Bytes
//! ```

use std::ops::Range;

use bytes::{Bytes, BytesMut};

use crate::header_name::HeaderName;
use crate::message::{ListElement, SipMessage};

/// A set of edits over one message, applied together by [`Splice::build`].
#[derive(Debug)]
pub struct Splice<'a> {
    msg: &'a SipMessage,
    /// (range replaced, replacement). Ranges never overlap; empty ranges are insertions.
    edits: Vec<(Range<usize>, Vec<u8>)>,
}

impl<'a> Splice<'a> {
    /// Starts a splice over `msg`.
    pub fn new(msg: &'a SipMessage) -> Splice<'a> {
        Splice {
            msg,
            edits: Vec::new(),
        }
    }

    /// Inserts `Name: value\r\n` as the first header line (before any other header, so a new
    /// Via or Record-Route becomes the topmost of its kind).
    pub fn prepend_header(mut self, name: &HeaderName, value: &str) -> Self {
        let at = self.msg.headers_offset();
        self.edits.push((
            at..at,
            format!("{}: {}\r\n", name.as_str(), value).into_bytes(),
        ));
        self
    }

    /// Appends `Name: value\r\n` after the last header line.
    pub fn append_header(mut self, name: &HeaderName, value: &str) -> Self {
        let at = self
            .msg
            .headers()
            .last()
            .map(|h| h.line.end)
            .unwrap_or(self.msg.headers_offset());
        self.edits.push((
            at..at,
            format!("{}: {}\r\n", name.as_str(), value).into_bytes(),
        ));
        self
    }

    /// Removes a whole header line (folded continuations included).
    pub fn remove_header(mut self, index: usize) -> Self {
        if let Some(h) = self.msg.headers().get(index) {
            self.edits.push((h.line.clone(), Vec::new()));
        }
        self
    }

    /// Replaces a header's value, keeping its name as written.
    pub fn replace_value(mut self, index: usize, value: &str) -> Self {
        if let Some(h) = self.msg.headers().get(index) {
            self.edits
                .push((h.value.clone(), value.as_bytes().to_vec()));
        }
        self
    }

    /// Removes one element of a list header with its separator (and the whitespace around
    /// it); the whole line goes if it was the only element.
    pub fn remove_element(mut self, element: &ListElement) -> Self {
        let Some(h) = self.msg.headers().get(element.header) else {
            return self;
        };
        let bytes = self.msg.bytes();
        let siblings = self
            .msg
            .list(&h.name)
            .into_iter()
            .filter(|e| e.header == element.header)
            .count();
        if siblings <= 1 {
            self.edits.push((h.line.clone(), Vec::new()));
            return self;
        }
        // Remove the element and the separator after it (or before it, if it is the last).
        let mut end = element.range.end;
        while end < h.value.end && matches!(bytes[end], b' ' | b'\t' | b'\r' | b'\n') {
            end += 1;
        }
        if end < h.value.end && bytes[end] == b',' {
            end += 1;
            while end < h.value.end && matches!(bytes[end], b' ' | b'\t' | b'\r' | b'\n') {
                end += 1;
            }
            self.edits.push((element.range.start..end, Vec::new()));
        } else {
            let mut start = element.range.start;
            while start > h.value.start && bytes[start - 1] != b',' {
                start -= 1;
            }
            start = start.saturating_sub(1).max(h.value.start);
            while start > h.value.start && matches!(bytes[start - 1], b' ' | b'\t' | b'\r' | b'\n')
            {
                start -= 1;
            }
            self.edits.push((start..element.range.end, Vec::new()));
        }
        self
    }

    /// Replaces the request-URI (no effect on a response).
    pub fn set_request_uri(mut self, uri: &str) -> Self {
        if let Some(r) = self.msg.request_uri_range() {
            self.edits.push((r, uri.as_bytes().to_vec()));
        }
        self
    }

    /// Replaces an arbitrary byte range (for callers that located it themselves).
    pub fn replace_range(mut self, range: Range<usize>, with: &[u8]) -> Self {
        self.edits.push((range, with.to_vec()));
        self
    }

    /// Applies the edits. Overlapping edits, and ranges outside the message (inverted, before
    /// the start line or past the body), are caller bugs: they are dropped, never a panic.
    pub fn build(mut self) -> Bytes {
        self.edits.sort_by_key(|(r, _)| (r.start, r.end));
        let src = self.msg.bytes();
        let start = self.msg.start_offset();
        let end = self.msg.body_range().end;
        let mut out = BytesMut::with_capacity(end - start + 256);
        let mut pos = start;
        for (r, with) in &self.edits {
            if r.start < pos || r.start > r.end || r.end > end {
                continue;
            }
            out.extend_from_slice(&src[pos..r.start]);
            out.extend_from_slice(with);
            pos = r.end;
        }
        out.extend_from_slice(&src[pos..end]);
        out.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &str = "INVITE sip:b@h SIP/2.0\r\n\
Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\
Route: <sip:p1;lr>, <sip:p2;lr> ,<sip:p3;lr>\r\n\
Max-Forwards: 70\r\n\
From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 2\r\n\r\nhi";

    fn msg() -> SipMessage {
        SipMessage::parse(Bytes::from_static(MSG.as_bytes())).unwrap()
    }

    #[test]
    fn route_element_removal_table() {
        let m = msg();
        let routes = m.list(&HeaderName::Route);
        let cases = [
            (0, "Route: <sip:p2;lr> ,<sip:p3;lr>\r\n"),
            (1, "Route: <sip:p1;lr>, <sip:p3;lr>\r\n"),
            (2, "Route: <sip:p1;lr>, <sip:p2;lr>\r\n"),
        ];
        for (i, line) in cases {
            let out = Splice::new(&m).remove_element(&routes[i]).build();
            let want = MSG.replace("Route: <sip:p1;lr>, <sip:p2;lr> ,<sip:p3;lr>\r\n", line);
            assert_eq!(String::from_utf8_lossy(&out), want, "element {i}");
            assert_eq!(
                SipMessage::parse(out)
                    .unwrap()
                    .list(&HeaderName::Route)
                    .len(),
                2
            );
        }
    }

    #[test]
    fn edits_compose_and_bad_ranges_are_dropped() {
        let m = msg();
        let mf = m
            .headers()
            .iter()
            .position(|h| h.name == HeaderName::MaxForwards)
            .unwrap();
        let out = Splice::new(&m)
            .prepend_header(&HeaderName::Via, "SIP/2.0/UDP p;branch=z9hG4bK2")
            .replace_value(mf, "69")
            .set_request_uri("sip:b@10.0.0.1")
            .append_header(&HeaderName::parse("X-Mark"), "1")
            .replace_range(0..10_000, b"x")
            .replace_range(std::ops::Range { start: 5, end: 2 }, b"x")
            .build();
        let want = MSG
            .replace(
                "sip:b@h SIP/2.0\r\n",
                "sip:b@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP p;branch=z9hG4bK2\r\n",
            )
            .replace("Max-Forwards: 70", "Max-Forwards: 69")
            .replace(
                "Content-Length: 2\r\n",
                "Content-Length: 2\r\nX-Mark: 1\r\n",
            );
        assert_eq!(String::from_utf8_lossy(&out), want);
        assert_eq!(Splice::new(&m).build(), m.wire_bytes());
    }
}
