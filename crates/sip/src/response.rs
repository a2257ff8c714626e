//! Responses the proxy generates itself (RFC 3261 §8.2.6, §16.7): 100 Trying, 400, 408, 481,
//! 483, 486, 503… Via, From, Call-ID and CSeq are copied from the request byte for byte; To gets
//! the proxy's tag when the request had none and the response is not 100.

use bytes::Bytes;

use crate::header_name::HeaderName;
use crate::message::SipMessage;

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
            if code > 100 && req.to_tag().is_none() {
                if let Some(tag) = to_tag {
                    out.push_str(";tag=");
                    out.push_str(tag);
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_dialog_headers_and_adds_to_tag() {
        let req = SipMessage::parse(Bytes::from_static(
            b"INVITE sip:b@h SIP/2.0\r\nv: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\nf: <sip:a@h>;tag=1\r\nt: <sip:b@h>\r\ni: abc\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n",
        ))
        .unwrap();
        let resp = build_response(&req, 486, "Busy Here", Some("xyz"), &[]);
        let resp = SipMessage::parse(resp).unwrap();
        assert_eq!(resp.status(), Some(486));
        assert_eq!(resp.to_tag().as_deref(), Some("xyz"));
        assert_eq!(resp.call_id(), "abc");
        assert_eq!(resp.top_via().branch(), Some("z9hG4bK1"));
        let trying = SipMessage::parse(build_response(&req, 100, "Trying", Some("xyz"), &[])).unwrap();
        assert_eq!(trying.to_tag(), None);
    }
}
