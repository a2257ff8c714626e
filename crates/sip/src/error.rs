//! Why a message could not be indexed: each variant names what was wrong, so the 400 the
//! proxy answers (or the log line for a dropped message) tells the peer's operator.

/// A message the indexer refuses. Messages carry the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("message is empty")]
    Empty,
    #[error("header section is not terminated by an empty line")]
    Unterminated,
    #[error("message is not valid UTF-8 in its start line or headers")]
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
}
