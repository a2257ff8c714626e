//! A read-only view of one SIP message as bytes from the wire, for asserting on what a raw peer
//! received (start line, status, header values by full or compact name, `;tag=`/`;did=`
//! parameters), plus the Content-Length framing a TCP reader needs and [`SipMessage::compose`]
//! to write crafted messages with a correct Content-Length.
//!
//! Deliberately independent of `crates/sip`: the tests check dialogd's SIP layer, so they must
//! not read the wire through it. Lenient: any text with a first line is a message; nothing here
//! validates SIP.

use std::net::SocketAddr;

use anyhow::{Result, anyhow, bail};

/// Compact header forms (RFC 3261 §7.3.3 and later RFCs) and their full names.
const COMPACT: [(&str, &str); 14] = [
    ("i", "call-id"),
    ("m", "contact"),
    ("e", "content-encoding"),
    ("l", "content-length"),
    ("c", "content-type"),
    ("f", "from"),
    ("s", "subject"),
    ("k", "supported"),
    ("t", "to"),
    ("v", "via"),
    ("o", "event"),
    ("r", "refer-to"),
    ("b", "referred-by"),
    ("x", "session-expires"),
];

/// A received (or composed) SIP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMessage {
    /// The message as received.
    pub bytes: Vec<u8>,
    /// Who sent it (set by [`crate::RawSipPeer`]).
    pub source: Option<SocketAddr>,
    text: String,
}

impl SipMessage {
    /// Wraps `bytes`; fails only when there is no first line at all.
    pub fn parse(bytes: &[u8]) -> Result<SipMessage> {
        let text = String::from_utf8_lossy(bytes).into_owned();
        if text.trim().is_empty() {
            bail!("empty message");
        }
        Ok(SipMessage {
            bytes: bytes.to_vec(),
            source: None,
            text,
        })
    }

    /// Writes `start_line`, the headers, a computed `Content-Length` and `body`, CRLF-separated.
    pub fn compose(start_line: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
        let mut out = String::with_capacity(256 + body.len());
        out.push_str(start_line);
        out.push_str("\r\n");
        for (name, value) in headers {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        out.push_str(body);
        out.into_bytes()
    }

    /// The whole message as text (lossy UTF-8).
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn first_line(&self) -> &str {
        self.text.lines().next().unwrap_or("").trim_end()
    }

    pub fn is_response(&self) -> bool {
        self.first_line().starts_with("SIP/")
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        if !self.is_response() {
            return None;
        }
        self.first_line().split_whitespace().nth(1)?.parse().ok()
    }

    /// The method of a request.
    pub fn method(&self) -> Option<&str> {
        if self.is_response() {
            return None;
        }
        self.first_line().split_whitespace().next()
    }

    /// The method in CSeq (`INVITE` for a `CSeq: 1 INVITE`).
    pub fn cseq_method(&self) -> Option<String> {
        self.header("CSeq")?
            .split_whitespace()
            .nth(1)
            .map(str::to_string)
    }

    /// The number in CSeq (`1` for a `CSeq: 1 INVITE`).
    pub fn cseq_number(&self) -> Option<u32> {
        self.header("CSeq")?.split_whitespace().next()?.parse().ok()
    }

    /// The first value of header `name` (case-insensitive, compact forms and folding handled).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers(name).into_iter().next()
    }

    /// Every occurrence of header `name`, in order (comma-separated values are not split).
    pub fn headers(&self, name: &str) -> Vec<String> {
        let want = full_name(name);
        self.header_lines()
            .into_iter()
            .filter_map(|line| {
                let (n, v) = line.split_once(':')?;
                (full_name(n.trim()) == want).then(|| v.trim().to_string())
            })
            .collect()
    }

    /// The header section as logical lines (folded continuation lines joined).
    fn header_lines(&self) -> Vec<String> {
        let head = match self
            .text
            .find("\r\n\r\n")
            .or_else(|| self.text.find("\n\n"))
        {
            Some(end) => &self.text[..end],
            None => &self.text[..],
        };
        let mut lines: Vec<String> = Vec::new();
        for line in head.lines().skip(1) {
            let line = line.trim_end_matches('\r');
            if line.starts_with([' ', '\t']) {
                if let Some(last) = lines.last_mut() {
                    last.push(' ');
                    last.push_str(line.trim());
                }
            } else {
                lines.push(line.to_string());
            }
        }
        lines
    }

    /// The body (after the blank line).
    pub fn body(&self) -> &[u8] {
        let at = find(&self.bytes, b"\r\n\r\n")
            .map(|i| i + 4)
            .or_else(|| find(&self.bytes, b"\n\n").map(|i| i + 2))
            .unwrap_or(self.bytes.len());
        &self.bytes[at..]
    }

    /// `tag` of the From header.
    pub fn from_tag(&self) -> Option<String> {
        param(&self.header("From")?, "tag")
    }

    /// `tag` of the To header.
    pub fn to_tag(&self) -> Option<String> {
        param(&self.header("To")?, "tag")
    }

    /// Every Record-Route entry (`<sip:...;lr;did=...>`), across headers and comma lists, in order.
    pub fn record_routes(&self) -> Vec<String> {
        self.headers("Record-Route")
            .iter()
            .flat_map(|v| split_uri_list(v))
            .collect()
    }

    /// Every Route entry, across headers and comma lists, in order.
    pub fn routes(&self) -> Vec<String> {
        self.headers("Route")
            .iter()
            .flat_map(|v| split_uri_list(v))
            .collect()
    }

    /// A response to this request as a UAS writes it (RFC 3261 §8.2.6): every Via, From,
    /// Call-ID, CSeq and Record-Route copied, the To with `to_tag` added unless it has one,
    /// and `contact` when given. Send it to [`SipMessage::source`] (§18.2.2 with rport).
    pub fn response(
        &self,
        status: u16,
        reason: &str,
        to_tag: &str,
        contact: Option<&str>,
    ) -> Vec<u8> {
        self.response_with_sdp(status, reason, to_tag, contact, None)
    }

    /// [`SipMessage::response`] carrying `sdp` (an answer) when given.
    pub fn response_with_sdp(
        &self,
        status: u16,
        reason: &str,
        to_tag: &str,
        contact: Option<&str>,
        sdp: Option<&str>,
    ) -> Vec<u8> {
        let vias = self.headers("Via");
        let rrs = self.headers("Record-Route");
        let to = self.header("To").unwrap_or_default();
        let to = if self.to_tag().is_some() {
            to
        } else {
            format!("{to};tag={to_tag}")
        };
        let (from, call_id, cseq) = (
            self.header("From").unwrap_or_default(),
            self.header("Call-ID").unwrap_or_default(),
            self.header("CSeq").unwrap_or_default(),
        );
        let mut headers: Vec<(&str, &str)> = vias.iter().map(|v| ("Via", v.as_str())).collect();
        headers.extend([
            ("From", from.as_str()),
            ("To", to.as_str()),
            ("Call-ID", call_id.as_str()),
            ("CSeq", cseq.as_str()),
        ]);
        headers.extend(rrs.iter().map(|r| ("Record-Route", r.as_str())));
        let contact = contact.map(|c| format!("<{c}>"));
        if let Some(c) = &contact {
            headers.push(("Contact", c));
        }
        if sdp.is_some() {
            headers.push(("Content-Type", "application/sdp"));
        }
        SipMessage::compose(
            &format!("SIP/2.0 {status} {reason}"),
            &headers,
            sdp.unwrap_or(""),
        )
    }

    /// The URI inside the first Contact (`sip:...`, without `<>` and header params).
    pub fn contact_uri(&self) -> Option<String> {
        let contact = self.header("Contact")?;
        Some(angle_uri(&contact).to_string())
    }
}

/// Lower-case full header name for a full or compact `name`.
fn full_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    COMPACT
        .iter()
        .find(|(short, _)| *short == lower)
        .map(|(_, full)| full.to_string())
        .unwrap_or(lower)
}

/// The value of parameter `name` in a header value or URI (`;tag=abc`, `;did=...`), looked up
/// after the `>` of a name-addr when there is one, else anywhere. For a `<uri>` entry whose
/// parameters are inside the brackets (Record-Route), use [`uri_param`].
pub fn param(value: &str, name: &str) -> Option<String> {
    let params = match value.rfind('>') {
        Some(end) => &value[end + 1..],
        None => value,
    };
    find_param(params, name)
}

/// The value of URI parameter `name` inside `<...>` (or of a bare URI).
pub fn uri_param(value: &str, name: &str) -> Option<String> {
    find_param(angle_uri(value), name)
}

fn find_param(params: &str, name: &str) -> Option<String> {
    params.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_end_matches('>').to_string())
    })
}

/// The URI between `<` and `>`, or the value itself.
fn angle_uri(value: &str) -> &str {
    match (value.find('<'), value.find('>')) {
        (Some(start), Some(end)) if start < end => &value[start + 1..end],
        _ => value.trim(),
    }
}

/// Splits `<a>, <b>` (commas inside `<>` kept).
fn split_uri_list(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in value.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Length of the first complete message at the start of `buf` (stream framing by Content-Length,
/// RFC 3261 §18.3); `Ok(None)` if more bytes are needed. Leading CRLFs (keep-alives) are counted
/// in the length, so callers skip them with the message.
pub(crate) fn frame_len(buf: &[u8]) -> Result<Option<usize>> {
    let Some(head_end) = find(buf, b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let mut length = 0usize;
    for line in head.lines() {
        if let Some((name, value)) = line.split_once(':')
            && full_name(name.trim()) == "content-length"
        {
            length = value
                .trim()
                .parse()
                .map_err(|_| anyhow!("bad Content-Length {:?}", value.trim()))?;
        }
    }
    let total = head_end + 4 + length;
    Ok((buf.len() >= total).then_some(total))
}

#[cfg(test)]
#[path = "sip_message_tests.rs"]
mod tests;
