//! How much of a message the indexer is willing to look at. The proxy sits where anyone can
//! send it datagrams, and every message it receives is indexed before anything else is decided,
//! so the cost of indexing one message must be bounded by numbers chosen here, not by the
//! sender: a 64 KB datagram of 4-byte header lines would otherwise cost some 16,000 header
//! entries (and their allocations) per datagram.
//!
//! RFC 3261 sets no limit on the number of header fields or on the length of a header line
//! (§7.3, §25.1); a server refusing a message over its own capacity answers 513 Message Too
//! Large (§21.5.11), which is what [`crate::ParseError::status`] maps these refusals to.
//!
//! The limits are checked while the indexer scans (no second pass): past any of them it stops
//! at once and returns the error, without looking at the rest of the message.
//! [`crate::response::build_error_response`] reads a refused message within the same limits.

/// The largest message the indexer accepts (UDP datagrams are smaller; TCP framing uses it).
pub const MAX_MESSAGE_SIZE: usize = 65_535;

/// The most header fields (header lines, folded continuations counted with their line) a
/// message may carry. Real requests carry 15 to 60, a few more after several proxies have
/// added Via and Record-Route lines; 256 leaves room for long proxy chains (RFC 4475's
/// `longreq`, built to be long, has 43) while keeping the index small.
pub const MAX_HEADERS: usize = 256;

/// The longest header line, in bytes from the first byte of its name to the end of its last
/// folded continuation, line endings of the folds included and the final one excluded. 8 KiB is
/// several times the longest line real peers send (a Via or Record-Route list on one line, an
/// Identity header of about a kilobyte; RFC 4475's `longreq` tops out at 593 bytes).
pub const MAX_HEADER_LINE: usize = 8 * 1024;

/// The bounds [`crate::SipMessage::parse_with`] indexes a message within. `Default` gives
/// [`MAX_HEADERS`], [`MAX_HEADER_LINE`] and [`MAX_MESSAGE_SIZE`], which is what
/// [`crate::SipMessage::parse`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// At most this many header fields; one more is [`crate::ParseError::TooManyHeaders`].
    pub max_headers: usize,
    /// At most this many bytes in one header line (folds included); more is
    /// [`crate::ParseError::HeaderLineTooLong`].
    pub max_header_line: usize,
    /// At most this many bytes in the whole message; more is [`crate::ParseError::TooLarge`].
    pub max_message: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_headers: MAX_HEADERS,
            max_header_line: MAX_HEADER_LINE,
            max_message: MAX_MESSAGE_SIZE,
        }
    }
}
