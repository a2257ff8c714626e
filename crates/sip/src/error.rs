//! Why a message could not be indexed: each variant names what was wrong, so the 400 the
//! proxy answers (or the log line for a dropped message) tells the peer's operator. Values are
//! cut to [`EXCERPT_LEN`] bytes so a hostile message cannot make the error large.

/// A message the indexer refuses. Messages carry the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("message is empty")]
    Empty,
    #[error("header section is not terminated by an empty line")]
    Unterminated,
    #[error("message is not valid UTF-8 in its start line")]
    NotUtf8,
    #[error("bad start line: {0:?}")]
    StartLine(String),
    #[error("unsupported SIP version {0:?}")]
    Version(String),
    #[error("bad header line: {0:?}")]
    HeaderLine(String),
    #[error("missing mandatory header {0}")]
    Missing(&'static str),
    #[error("bad {header} value: {value:?}")]
    Value { header: &'static str, value: String },
    #[error("more than one {0} header where only one is allowed")]
    Duplicate(&'static str),
    #[error("Content-Length {declared} exceeds the {available} body bytes received")]
    ShortBody { declared: usize, available: usize },
    #[error("CSeq method {cseq} does not match request method {method}")]
    CseqMethod { cseq: String, method: String },
    /// A message longer than the indexer's limit ([`crate::limits::ParseLimits`]).
    #[error("message larger than {0} bytes")]
    TooLarge(usize),
    /// More header fields than the indexer's limit; the rest of the message was not read.
    #[error("more than {0} header fields")]
    TooManyHeaders(usize),
    /// A header line (folded continuations included) longer than the indexer's limit.
    #[error("header line longer than {0} bytes")]
    HeaderLineTooLong(usize),
    /// A SIP Request-URI with `?headers` (RFC 3261 §19.1.1 table, RFC 4475 §3.1.2.11).
    #[error("request-uri {0:?} carries uri headers, not allowed in a request-uri")]
    RequestUri(String),
    /// A top Via branch that is the RFC 3261 magic cookie and nothing else (RFC 4475 §3.2.1).
    #[error("via branch {0:?} is the magic cookie without a transaction id")]
    Branch(String),
    /// An SDP body whose first line is not `v=` (RFC 4566 §5), or an empty one.
    #[error("sdp body does not start with v=: {0:?}")]
    SdpStart(String),
    /// An SDP line that is not `<letter>=<value>` (RFC 4566 §5).
    #[error("bad sdp line: {0:?}")]
    SdpLine(String),
    /// An SDP body without any `m=` line where media sections are needed.
    #[error("sdp body has no m= line")]
    SdpNoMedia,
    /// An SDP body without a session-level `o=` line, or one whose sess-version is not a
    /// number (RFC 4566 §5.2); empty when the line is missing.
    #[error("bad or missing sdp o= line: {0:?}")]
    SdpOrigin(String),
    /// Directions given for a number of media sections the body does not have.
    #[error("sdp body has {found} media sections, {expected} directions were given")]
    SdpMediaCount { expected: usize, found: usize },
    /// A `message/sipfrag` body that does not start with a Status-Line (RFC 3420, RFC 3515
    /// §2.4.5).
    #[error("sipfrag body does not start with a status line: {0:?}")]
    Sipfrag(String),
}

impl ParseError {
    /// The status code and RFC 3261 reason phrase that answer a request refused with this
    /// error (the one place parse errors map to SIP responses; see
    /// [`crate::response::build_error_response`]).
    ///
    /// - 513 Message Too Large (§21.5.11, "the message length exceeded its capabilities") for a
    ///   message over one of the [`crate::limits::ParseLimits`]: RFC 3261's grammar allows any
    ///   size, any number of header fields and any line length, so such a message is not
    ///   malformed but over this server's capacity, which is what the 5xx class says (the sender
    ///   may try another server; the same one would refuse it again).
    /// - 400 Bad Request (§21.4.1, "malformed syntax") for everything else.
    ///
    /// 413 Request Entity Too Large (§21.4.11) is not used: the limits bound the whole message,
    /// not the body alone.
    pub fn status(&self) -> (u16, &'static str) {
        match self {
            ParseError::TooLarge(_)
            | ParseError::TooManyHeaders(_)
            | ParseError::HeaderLineTooLong(_) => (513, "Message Too Large"),
            _ => (400, "Bad Request"),
        }
    }
}

/// How many bytes of an offending value an error keeps.
pub const EXCERPT_LEN: usize = 200;

/// `s` cut to at most [`EXCERPT_LEN`] bytes on a character boundary.
pub(crate) fn excerpt(s: &str) -> String {
    if s.len() <= EXCERPT_LEN {
        return s.to_owned();
    }
    let mut end = EXCERPT_LEN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_on_a_char_boundary() {
        assert_eq!(excerpt("abc"), "abc");
        let long = "é".repeat(EXCERPT_LEN);
        let cut = excerpt(&long);
        assert!(cut.len() <= EXCERPT_LEN && cut.chars().all(|c| c == 'é'));
        assert_eq!(
            ParseError::Branch("z9hG4bK".into()).to_string(),
            "via branch \"z9hG4bK\" is the magic cookie without a transaction id"
        );
    }

    #[test]
    fn status_table() {
        let cases = [
            (ParseError::TooLarge(65_535), 513),
            (ParseError::TooManyHeaders(256), 513),
            (ParseError::HeaderLineTooLong(8192), 513),
            (ParseError::Empty, 400),
            (ParseError::Unterminated, 400),
            (ParseError::HeaderLine("x".into()), 400),
            (ParseError::Missing("Call-ID"), 400),
            (ParseError::Duplicate("To"), 400),
            (
                ParseError::ShortBody {
                    declared: 10,
                    available: 2,
                },
                400,
            ),
            (ParseError::Branch("z9hG4bK".into()), 400),
        ];
        for (error, code) in cases {
            let (got, reason) = error.status();
            assert_eq!(got, code, "{error:?}");
            let want = if code == 513 {
                "Message Too Large"
            } else {
                "Bad Request"
            };
            assert_eq!(reason, want, "{error:?}");
        }
        assert_eq!(
            ParseError::TooManyHeaders(256).to_string(),
            "more than 256 header fields"
        );
        assert_eq!(
            ParseError::HeaderLineTooLong(8192).to_string(),
            "header line longer than 8192 bytes"
        );
    }
}
