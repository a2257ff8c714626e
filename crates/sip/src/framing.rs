//! Stream framing for SIP over TCP (RFC 3261 §18.3): a message ends after its header section
//! plus Content-Length body bytes; Content-Length is mandatory on streams. Leading CRLFs
//! (keep-alive pings, RFC 5626 §3.5.1) are skipped.
//!
//! Framing reads bytes only: it needs the end of the header section and the one Content-Length
//! line (long or compact name, whitespace before the colon, folded or not), nothing else, so a
//! message with a bad header elsewhere still frames and can be answered with a 400 by the
//! indexer while the stream stays in step. It must not index or validate the message.
//!
//! A stream arrives in pieces, so the same message is looked at many times before it is whole.
//! [`Framer`] remembers how far the previous look got: the leading CRLFs counted, the part of
//! the header section already searched for its empty line, and, once that is found, the
//! message's length. Each call reads only the bytes that arrived since the last one (plus the
//! two before them, where an empty line may straddle the cut), so framing a message costs time
//! linear in its size however it is cut — a header section trickled in byte by byte included.
//! [`frame`] is the one-shot form for a buffer looked at once.
//!
//! ```text
//!  bytes ──▶ Framer::next(buf) ──▶ Incomplete            (read more, call again)
//!                               ├─▶ KeepAlive { skip }    (drop skip bytes)
//!                               ├─▶ Message { skip, len } (drop skip, take len)
//!                               └─▶ Err(ParseError)       (answer 400 if possible, close)
//! ```

use crate::error::{ParseError, excerpt};
use crate::message::MAX_MESSAGE_SIZE;

/// The outcome of looking for one message at the front of a stream buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// `skip` leading CRLF bytes, then a message of `len` bytes.
    Message { skip: usize, len: usize },
    /// Only keep-alive CRLFs so far: drop `skip` bytes.
    KeepAlive { skip: usize },
    /// Need more bytes.
    Incomplete,
}

/// Finds the first message in `buf`. An error means the stream cannot be resynchronised
/// (no, two or a malformed Content-Length, or a message larger than [`MAX_MESSAGE_SIZE`]) and
/// the connection should be closed after answering 400 if possible.
///
/// Looks at `buf` from its start; a reader that calls again as bytes arrive should keep a
/// [`Framer`] instead.
pub fn frame(buf: &[u8]) -> Result<Frame, ParseError> {
    Framer::new().next(buf)
}

/// Incremental framing of one stream: [`Framer::next`] gives what [`frame`] gives for the same
/// buffer, reading only the bytes added since the previous call.
///
/// Contract: between two calls the caller only appends to `buf`. After a
/// [`Frame::Message`] or [`Frame::KeepAlive`] the framer starts over for the next message, and
/// the caller removes the bytes it reported (or leaves them, and they are looked at again).
/// After an error the stream is dead; [`Framer::reset`] makes the framer usable on a new one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Framer {
    state: State,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum State {
    /// Counting leading CR/LF bytes; all of the buffer so far was CR/LF.
    #[default]
    Leading,
    /// The message starts at `skip`; its first `scanned` bytes hold no complete empty line.
    Head { skip: usize, scanned: usize },
    /// The header section is known: the message is `len` bytes from `skip`.
    Body { skip: usize, len: usize },
}

impl Framer {
    /// A framer at the start of a stream.
    pub fn new() -> Framer {
        Framer::default()
    }

    /// Forgets the message in progress: the next call reads its buffer from the start.
    pub fn reset(&mut self) {
        self.state = State::Leading;
    }

    /// Looks for the first message in `buf`, resuming where the previous call stopped.
    /// Errors as [`frame`]; the framer is reset after an error and after each frame.
    pub fn next(&mut self, buf: &[u8]) -> Result<Frame, ParseError> {
        let result = self.advance(buf);
        if !matches!(result, Ok(Frame::Incomplete)) {
            self.reset();
        }
        result
    }

    fn advance(&mut self, buf: &[u8]) -> Result<Frame, ParseError> {
        loop {
            match self.state {
                State::Leading => {
                    let skip = buf
                        .iter()
                        .take_while(|&&b| b == b'\r' || b == b'\n')
                        .count();
                    if skip == buf.len() {
                        return Ok(if skip == 0 {
                            Frame::Incomplete
                        } else {
                            Frame::KeepAlive { skip }
                        });
                    }
                    self.state = State::Head { skip, scanned: 0 };
                }
                State::Head { skip, scanned } => {
                    let data = buf.get(skip..).unwrap_or_default();
                    let header_end = match find_header_end(data, scanned) {
                        Ok(end) => end,
                        Err(resume) => {
                            if data.len() > MAX_MESSAGE_SIZE {
                                return Err(ParseError::TooLarge(MAX_MESSAGE_SIZE));
                            }
                            self.state = State::Head {
                                skip,
                                scanned: resume,
                            };
                            return Ok(Frame::Incomplete);
                        }
                    };
                    let body = content_length(&data[..header_end])?
                        .ok_or(ParseError::Missing("Content-Length"))?;
                    let len = header_end
                        .checked_add(body)
                        .filter(|&len| len <= MAX_MESSAGE_SIZE)
                        .ok_or(ParseError::TooLarge(MAX_MESSAGE_SIZE))?;
                    self.state = State::Body { skip, len };
                }
                State::Body { skip, len } => {
                    let available = buf.len().saturating_sub(skip);
                    return Ok(if available < len {
                        Frame::Incomplete
                    } else {
                        Frame::Message { skip, len }
                    });
                }
            }
        }
    }
}

/// The Content-Length of a header section (start line included), if it has exactly one.
fn content_length(head: &[u8]) -> Result<Option<usize>, ParseError> {
    let mut found = None;
    let mut lines = head.split(|&b| b == b'\n').skip(1).peekable();
    while let Some(line) = lines.next() {
        if line.starts_with(b" ") || line.starts_with(b"\t") {
            continue; // the continuation of another header (`X-A: a\r\n l: 5` is not a length)
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        if !name.eq_ignore_ascii_case(b"content-length") && !name.eq_ignore_ascii_case(b"l") {
            continue;
        }
        let mut value = line[colon + 1..].trim_ascii().to_vec();
        while let Some(next) = lines.next_if(|l| l.starts_with(b" ") || l.starts_with(b"\t")) {
            value.extend_from_slice(next.trim_ascii());
        }
        let bad = || ParseError::Value {
            header: "Content-Length",
            value: excerpt(&String::from_utf8_lossy(&value)),
        };
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        let n = std::str::from_utf8(&value)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .ok_or_else(bad)?;
        if found.replace(n).is_some() {
            return Err(ParseError::Duplicate("Content-Length"));
        }
    }
    Ok(found)
}

/// Length of the header section including the empty line (CRLFCRLF or LFLF), searching from
/// `from`. Not found: `Err(resume)`, where the next search over a longer `data` starts (the
/// last two bytes are looked at again, since the empty line may straddle the end).
fn find_header_end(data: &[u8], from: usize) -> Result<usize, usize> {
    let mut i = from;
    while i < data.len() {
        if data[i] == b'\n' {
            if data.get(i + 1) == Some(&b'\n') {
                return Ok(i + 2);
            }
            if data.get(i + 1) == Some(&b'\r') && data.get(i + 2) == Some(&b'\n') {
                return Ok(i + 3);
            }
        }
        i += 1;
    }
    Err(data.len().saturating_sub(2).max(from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_two_pipelined_messages_and_keepalives() {
        let m = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabcINVITE";
        assert_eq!(frame(m).unwrap(), Frame::Message { skip: 0, len: 49 });
        assert_eq!(frame(&m[49..]).unwrap(), Frame::Incomplete);
        assert_eq!(frame(b"\r\n\r\n").unwrap(), Frame::KeepAlive { skip: 4 });
        assert_eq!(frame(b"").unwrap(), Frame::Incomplete);
        assert_eq!(
            frame(b"OPTIONS sip:a@b SIP/2.0\r\nl: 5\r\n\r\nab").unwrap(),
            Frame::Incomplete
        );
        assert_eq!(
            frame(b"\r\nX sip:a SIP/2.0\nl:1\n\nab").unwrap(),
            Frame::Message { skip: 2, len: 22 }
        );
    }

    #[test]
    fn content_length_forms() {
        #[rustfmt::skip]
        let cases: &[(&[u8], Result<Frame, ParseError>)] = &[
            (b"X sip:a SIP/2.0\r\nContent-Length   : 2\r\n\r\nab", Ok(Frame::Message { skip: 0, len: 43 })),
            (b"X sip:a SIP/2.0\r\ncontent-length:\r\n  2\r\n\r\nab", Ok(Frame::Message { skip: 0, len: 43 })),
            (b"X sip:a SIP/2.0\r\nSubject: \xff\xfe\r\nL: 0\r\n\r\n", Ok(Frame::Message { skip: 0, len: 38 })),
            (b"X sip:a SIP/2.0\r\nX-A: a\r\n l: 5\r\nl: 0\r\n\r\n", Ok(Frame::Message { skip: 0, len: 40 })),
            (b"X sip:a SIP/2.0\r\nVia: x\r\n\r\n", Err(ParseError::Missing("Content-Length"))),
            (b"X sip:a SIP/2.0\r\nl: 13\r\nl: 5\r\n\r\n", Err(ParseError::Duplicate("Content-Length"))),
            (b"X sip:a SIP/2.0\r\nl: -999\r\n\r\n", Err(ParseError::Value { header: "Content-Length", value: "-999".into() })),
            (b"X sip:a SIP/2.0\r\nl: +1\r\n\r\n", Err(ParseError::Value { header: "Content-Length", value: "+1".into() })),
            (b"X sip:a SIP/2.0\r\nl: 99999999999999999999999\r\n\r\n", Err(ParseError::Value { header: "Content-Length", value: "99999999999999999999999".into() })),
            (b"X sip:a SIP/2.0\r\nl: 70000\r\n\r\n", Err(ParseError::TooLarge(MAX_MESSAGE_SIZE))),
        ];
        for (input, want) in cases {
            assert_eq!(frame(input), *want, "{}", String::from_utf8_lossy(input));
        }
        assert_eq!(
            frame(&vec![b'a'; MAX_MESSAGE_SIZE + 1]),
            Err(ParseError::TooLarge(MAX_MESSAGE_SIZE))
        );
    }

    /// Feeds `stream` to one [`Framer`] `piece` bytes at a time, the way a reader does:
    /// after each piece, takes every frame it reports (a lone CRLF is left for more bytes, as
    /// the first half of a ping). Returns where each message starts in `stream` and its length,
    /// or the first error, and checks on the way that every call agrees with [`frame`].
    fn frame_incrementally(stream: &[u8], piece: usize) -> Result<Vec<(usize, usize)>, ParseError> {
        let mut framer = Framer::new();
        let mut messages = Vec::new();
        let (mut start, mut end) = (0, 0);
        while end < stream.len() {
            end = (end + piece.max(1)).min(stream.len());
            while start < end {
                let buf = &stream[start..end];
                let got = framer.next(buf);
                assert_eq!(got, frame(buf), "framer and frame differ on {buf:?}");
                match got? {
                    Frame::Incomplete => break,
                    Frame::KeepAlive { skip } if skip < 4 && end < stream.len() => break,
                    Frame::KeepAlive { skip } => start += skip,
                    Frame::Message { skip, len } => {
                        messages.push((start + skip, len));
                        start += skip + len;
                    }
                }
            }
        }
        Ok(messages)
    }

    fn pipelined_stream() -> Vec<u8> {
        let mut stream = Vec::new();
        stream.extend_from_slice(b"\r\n\r\n");
        stream.extend_from_slice(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\nl: 3\r\n\r\nabc");
        stream.extend_from_slice(b"\r\nX sip:a SIP/2.0\nContent-Length:\n 2\n\nxy");
        let long_header = format!("Subject: {}\r\n", "s".repeat(3000));
        stream.extend_from_slice(b"INFO sip:a SIP/2.0\r\n");
        stream.extend_from_slice(long_header.as_bytes());
        stream.extend_from_slice(b"Content-Length: 0\r\n\r\n");
        stream
    }

    #[test]
    fn byte_at_a_time_gives_the_frames_of_whole_buffer_feeding() {
        let stream = pipelined_stream();
        let whole = frame_incrementally(&stream, stream.len()).unwrap();
        assert_eq!(whole.len(), 3, "{whole:?}");
        for piece in [1, 2, 3, 7, 64, 1000] {
            assert_eq!(
                frame_incrementally(&stream, piece).unwrap(),
                whole,
                "piece {piece}"
            );
        }
    }

    #[test]
    fn errors_are_found_at_the_same_point_whatever_the_cut() {
        let bad = b"X sip:a SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\n";
        for piece in [1, 5, bad.len()] {
            assert_eq!(
                frame_incrementally(bad, piece),
                Err(ParseError::Duplicate("Content-Length"))
            );
        }
        let endless = vec![b'a'; MAX_MESSAGE_SIZE + 10];
        assert_eq!(
            frame_incrementally(&endless, 4096),
            Err(ParseError::TooLarge(MAX_MESSAGE_SIZE))
        );
    }

    #[test]
    fn trickled_header_section_is_searched_once() {
        // The resume point only moves forward, and stays within two bytes of the end.
        let head = b"INVITE sip:a SIP/2.0\r\nVia: x\r\nContent-Length: 0\r\n\r";
        let mut framer = Framer::new();
        let mut last = 0;
        for end in 1..=head.len() {
            assert_eq!(framer.next(&head[..end]), Ok(Frame::Incomplete));
            let State::Head { scanned, .. } = framer.state else {
                panic!("not searching the head: {:?}", framer.state);
            };
            assert!(scanned >= last && scanned + 2 >= end, "{scanned} at {end}");
            last = scanned;
        }
        let mut whole = head.to_vec();
        whole.push(b'\n');
        assert_eq!(
            framer.next(&whole),
            Ok(Frame::Message {
                skip: 0,
                len: whole.len()
            })
        );
        assert_eq!(framer, Framer::new(), "a frame resets the framer");
    }

    proptest::proptest! {
        #[test]
        fn any_cut_of_any_stream_frames_as_the_whole(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b"\r\n".to_vec()),
                    proptest::strategy::Just(b"\n".to_vec()),
                    proptest::strategy::Just(b"X sip:a SIP/2.0\r\nl: 2\r\n\r\nab".to_vec()),
                    proptest::strategy::Just(b"Y sip:a SIP/2.0\nA: b\n c\nl:0\n\n".to_vec()),
                    proptest::collection::vec(proptest::sample::select(b"\r\n l:0Xab".to_vec()), 0..12),
                ],
                0..12,
            ),
            piece in 1usize..40,
        ) {
            let stream = parts.concat();
            let whole = frame_incrementally(&stream, stream.len().max(1));
            proptest::prop_assert_eq!(frame_incrementally(&stream, piece), whole);
        }
    }
}
