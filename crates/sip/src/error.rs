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
    #[error("message larger than {0} bytes")]
    TooLarge(usize),
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
}
