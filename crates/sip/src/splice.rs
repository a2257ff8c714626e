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
        Splice { msg, edits: Vec::new() }
    }

    /// Inserts `Name: value\r\n` as the first header line (before any other header, so a new
    /// Via or Record-Route becomes the topmost of its kind).
    pub fn prepend_header(mut self, name: &HeaderName, value: &str) -> Self {
        let at = self.msg.headers_offset();
        self.edits
            .push((at..at, format!("{}: {}\r\n", name.as_str(), value).into_bytes()));
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
        self.edits
            .push((at..at, format!("{}: {}\r\n", name.as_str(), value).into_bytes()));
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
            self.edits.push((h.value.clone(), value.as_bytes().to_vec()));
        }
        self
    }

    /// Removes one element of a list header; the whole line goes if it was the only element.
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

    /// Applies the edits. Overlapping edits are a caller bug: the later one is dropped.
    pub fn build(mut self) -> Bytes {
        self.edits.sort_by_key(|(r, _)| (r.start, r.end));
        let src = self.msg.bytes();
        let start = self.msg.start_offset();
        let end = self.msg.body_range().end;
        let mut out = BytesMut::with_capacity(end - start + 256);
        let mut pos = start;
        for (r, with) in &self.edits {
            if r.start < pos {
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
