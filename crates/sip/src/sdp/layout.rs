//! The line structure of an SDP body (RFC 4566 §5): the session section, each media
//! section (from its `m=` line to the next), the session-level `o=` line and the direction
//! attributes of every section, all as byte ranges into the body. Also the one way bodies are
//! changed: a list of non-overlapping edits applied together ([`apply`]).
//!
//! | body | result |
//! |---|---|
//! | first non-empty line not `v=`, or no line at all | [`ParseError::SdpStart`] |
//! | a non-empty line that is not `<letter>=...` | [`ParseError::SdpLine`] |
//! | empty lines (a trailing CRLF, say) | skipped |
//! | CRLF, bare LF, or mixed line endings | each line keeps its own |

use std::ops::Range;

use super::direction::Direction;
use crate::error::{ParseError, excerpt};

/// One line: its content (line ending excluded) and where the next line starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line {
    pub start: usize,
    pub end: usize,
    pub next: usize,
}

impl Line {
    /// True if the line has a line ending (the body's last line may not).
    fn terminated(&self) -> bool {
        self.next > self.end
    }
}

/// The session section or one media section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    /// The direction attributes in the section: the range of the attribute name
    /// (`sendonly` of `a=sendonly`) and what it says, in order.
    pub directions: Vec<(Range<usize>, Direction)>,
    /// The section's last non-empty line.
    pub last: Line,
    /// A media section whose `m=` port is 0: a disabled stream (RFC 3264 §6).
    pub disabled: bool,
}

impl Section {
    fn new(first: Line, disabled: bool) -> Section {
        Section {
            directions: Vec::new(),
            last: first,
            disabled,
        }
    }

    /// The section's own direction: its first direction attribute.
    pub fn direction(&self) -> Option<Direction> {
        self.directions.first().map(|(_, d)| *d)
    }
}

/// A replaced byte range and its replacement (an empty range inserts).
pub(crate) type Edit = (Range<usize>, Vec<u8>);

/// An indexed SDP body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// The line ending of the body's first line (CRLF if it has none).
    pub eol: &'static [u8],
    /// The session-level `o=` line.
    pub origin: Option<Line>,
    pub session: Section,
    pub media: Vec<Section>,
}

impl Layout {
    /// Indexes `body`; see the module table for what is refused.
    pub fn parse(body: &[u8]) -> Result<Layout, ParseError> {
        let mut it = lines(body).filter(|l| l.end > l.start);
        let first = it
            .next()
            .ok_or_else(|| ParseError::SdpStart(String::new()))?;
        if !is_sdp_line(&body[first.start..first.end]) || body[first.start] != b'v' {
            return Err(ParseError::SdpStart(text(body, first)));
        }
        let mut layout = Layout {
            eol: match first.next - first.end {
                1 => b"\n",
                _ => b"\r\n",
            },
            origin: None,
            session: Section::new(first, false),
            media: Vec::new(),
        };
        for line in it {
            layout.add_line(body, line)?;
        }
        Ok(layout)
    }

    fn add_line(&mut self, body: &[u8], line: Line) -> Result<(), ParseError> {
        let content = &body[line.start..line.end];
        if !is_sdp_line(content) {
            return Err(ParseError::SdpLine(text(body, line)));
        }
        let value = line.start + 2..line.end;
        match content[0] {
            b'm' => {
                let disabled = port_is_zero(&body[value]);
                self.media.push(Section::new(line, disabled));
                return Ok(());
            }
            b'o' if self.media.is_empty() && self.origin.is_none() => self.origin = Some(line),
            _ => {}
        }
        let section = match self.media.last_mut() {
            Some(m) => m,
            None => &mut self.session,
        };
        section.last = line;
        if content[0] == b'a' {
            let name = trim_end(body, value);
            let direction = std::str::from_utf8(&body[name.clone()])
                .ok()
                .and_then(Direction::parse);
            if let Some(d) = direction {
                section.directions.push((name, d));
            }
        }
        Ok(())
    }

    /// [`ParseError::SdpNoMedia`] if the body has no `m=` line.
    pub fn require_media(&self) -> Result<(), ParseError> {
        if self.media.is_empty() {
            return Err(ParseError::SdpNoMedia);
        }
        Ok(())
    }

    /// The edit that adds the line `content` after the last line of `section`. After a last
    /// line without a line ending, the new line goes after one and gets none itself.
    pub fn append(&self, section: &Section, content: &[u8]) -> Edit {
        let at = section.last.next;
        let mut line = Vec::with_capacity(content.len() + 2);
        if section.last.terminated() {
            line.extend_from_slice(content);
            line.extend_from_slice(self.eol);
        } else {
            line.extend_from_slice(self.eol);
            line.extend_from_slice(content);
        }
        (at..at, line)
    }
}

/// The lines of `body`, split on LF (a CR before it belongs to the line ending).
pub(crate) fn lines(body: &[u8]) -> impl Iterator<Item = Line> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= body.len() {
            return None;
        }
        let start = pos;
        let line = match body[pos..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                let nl = pos + i;
                let cr = nl > start && body[nl - 1] == b'\r';
                Line {
                    start,
                    end: if cr { nl - 1 } else { nl },
                    next: nl + 1,
                }
            }
            None => Line {
                start,
                end: body.len(),
                next: body.len(),
            },
        };
        pos = line.next;
        Some(line)
    })
}

/// Applies non-overlapping edits; insertions at the same place keep their order.
pub(crate) fn apply(body: &[u8], mut edits: Vec<Edit>) -> Vec<u8> {
    edits.sort_by_key(|(r, _)| r.start);
    let extra: usize = edits.iter().map(|(_, b)| b.len()).sum();
    let mut out = Vec::with_capacity(body.len() + extra);
    let mut pos = 0;
    for (range, replacement) in edits {
        if range.start < pos || range.end > body.len() {
            continue; // overlapping or out of range: never produced by this module
        }
        out.extend_from_slice(&body[pos..range.start]);
        out.extend_from_slice(&replacement);
        pos = range.end;
    }
    out.extend_from_slice(&body[pos..]);
    out
}

/// `<type>=<value>` with a one-letter type (RFC 4566 §5).
fn is_sdp_line(content: &[u8]) -> bool {
    content.len() >= 2 && content[0].is_ascii_alphabetic() && content[1] == b'='
}

/// The `m=` value's port is 0 (`audio 0 RTP/AVP 0`, also `0/2`).
fn port_is_zero(media_value: &[u8]) -> bool {
    let mut fields = media_value.split(|&b| b == b' ');
    let port = fields.nth(1).unwrap_or_default();
    port.split(|&b| b == b'/').next() == Some(b"0".as_slice())
}

/// `r` without trailing spaces, tabs and CRs.
fn trim_end(body: &[u8], r: Range<usize>) -> Range<usize> {
    let trailing = body[r.clone()]
        .iter()
        .rev()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r'))
        .count();
    r.start..r.end - trailing
}

/// A line's text for an error message (lossy, cut).
fn text(body: &[u8], line: Line) -> String {
    excerpt(&String::from_utf8_lossy(&body[line.start..line.end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_their_own_endings() {
        let body = b"v=0\r\no=x\na=y";
        let got: Vec<(&[u8], bool)> = lines(body)
            .map(|l| (&body[l.start..l.end], l.terminated()))
            .collect();
        let want: Vec<(&[u8], bool)> = vec![(b"v=0", true), (b"o=x", true), (b"a=y", false)];
        assert_eq!(got, want);
    }

    #[test]
    fn sections_and_refusals() {
        let body = b"v=0\r\no=- 1 2 IN IP4 h\r\na=sendonly\r\nm=audio 0 RTP/AVP 0\r\na=recvonly \r\nm=video 5 RTP/AVP 31\r\n\r\n";
        let l = Layout::parse(body).unwrap();
        assert_eq!(l.eol, b"\r\n");
        assert_eq!(l.session.direction(), Some(Direction::SendOnly));
        assert_eq!(l.media.len(), 2);
        assert!(l.media[0].disabled && !l.media[1].disabled);
        let (r, d) = &l.media[0].directions[0];
        assert_eq!(
            (&body[r.clone()], *d),
            (b"recvonly".as_slice(), Direction::RecvOnly)
        );
        assert_eq!(l.media[1].direction(), None);
        assert!(l.origin.is_some());

        let refused: &[(&[u8], ParseError)] = &[
            (b"", ParseError::SdpStart(String::new())),
            (b"\r\n\r\n", ParseError::SdpStart(String::new())),
            (b"o=x\r\nv=0\r\n", ParseError::SdpStart("o=x".into())),
            (b"hello world", ParseError::SdpStart("hello world".into())),
            (
                b"v=0\r\nm=audio 1 RTP/AVP 0\r\ngarbage\r\n",
                ParseError::SdpLine("garbage".into()),
            ),
            (b"v=0\r\n=x\r\n", ParseError::SdpLine("=x".into())),
            (
                b"v=0\r\n\xff\xfe\r\n",
                ParseError::SdpLine("\u{fffd}\u{fffd}".into()),
            ),
        ];
        for (body, want) in refused {
            assert_eq!(Layout::parse(body).as_ref().err(), Some(want), "{body:?}");
        }
    }

    #[test]
    fn edits_apply_in_place_order() {
        let body = b"abcdef";
        let edits = vec![
            (4..4, b"Y".to_vec()),
            (1..3, b"X".to_vec()),
            (4..4, b"Z".to_vec()),
        ];
        assert_eq!(apply(body, edits), b"aXdYZef");
    }
}
