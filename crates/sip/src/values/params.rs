//! The lexical pieces every typed value shares (RFC 3261 §7.3.1, §19.1.1, §25.1): `;name=value`
//! parameter lists, comma-separated lists split outside quotes and angle brackets, and
//! `host[:port]` with its host checked.
//!
//! Everything here works on bytes or `&str` without allocating except for the parameter list
//! itself; none of it interprets what a parameter means.

use std::ops::Range;

/// A header or URI parameter: name and optional value, both as written (quotes kept).
pub type Param = (String, Option<String>);

/// The value of the first parameter called `name` (case-insensitive); `""` for a flag.
pub(crate) fn param<'a>(params: &'a [Param], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_deref().unwrap_or(""))
}

/// True if a parameter called `name` is present, with or without a value.
pub(crate) fn has_param(params: &[Param], name: &str) -> bool {
    params.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// Splits `host[:port]`, IPv6 references in brackets included. The port must be 1 to 5
/// digits that fit 16 bits; the host is returned as written (brackets kept) and is not checked
/// here (the typed values check it).
pub fn split_host_port(s: &str) -> Option<(&str, Option<u16>)> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[') {
        let close = rest.find(']')?;
        let host = &s[..close + 2];
        let after = &rest[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p.trim())?),
            None if after.trim().is_empty() => None,
            None => return None,
        };
        return Some((host, port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Some((h.trim(), Some(parse_port(p.trim())?))),
        None => Some((s, None)),
    }
}

fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse().ok()
}

/// A host as RFC 3261 §25.1 allows it (hostname, IPv4 address or bracketed IPv6 reference),
/// with `_` tolerated in names because real peers use it.
pub(crate) fn is_valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.contains(':')
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    }
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// Parses `;name=value;flag` parameter lists (whitespace around `;` and `=` allowed, quoted
/// values kept with their quotes). Returns `None` if the list does not start with `;` or a
/// parameter has an empty name.
pub(crate) fn parse_params(s: &str) -> Option<Vec<Param>> {
    let s = s.trim();
    if s.is_empty() {
        return Some(Vec::new());
    }
    let s = s.strip_prefix(';')?;
    let mut out = Vec::new();
    for p in split_unquoted(s.as_bytes(), b';') {
        let p = &s[p];
        let (n, v) = match p.find('=') {
            Some(i) => (p[..i].trim(), Some(p[i + 1..].trim().to_owned())),
            None => (p.trim(), None),
        };
        if n.is_empty() {
            return None;
        }
        out.push((n.to_owned(), v));
    }
    Some(out)
}

/// Follows quoted strings (RFC 3261 §25.1 quoted-string, with quoted-pair escapes inside them)
/// byte by byte, for the scanners below.
#[derive(Default)]
struct Quotes {
    quoted: bool,
    escaped: bool,
}

impl Quotes {
    /// Takes the next byte; true if it stands outside a quoted string and is not a quote.
    fn outside(&mut self, b: u8) -> bool {
        if self.escaped {
            self.escaped = false;
        } else if self.quoted && b == b'\\' {
            self.escaped = true;
        } else if b == b'"' {
            self.quoted = !self.quoted;
        } else {
            return !self.quoted;
        }
        false
    }
}

/// The first `needle` outside a quoted string; `None` also when a quote is left open.
pub(crate) fn find_unquoted(s: &str, needle: u8) -> Option<usize> {
    let mut quotes = Quotes::default();
    s.bytes().position(|b| quotes.outside(b) && b == needle)
}

/// True if every quoted string in `s` is closed.
pub(crate) fn quotes_balanced(s: &str) -> bool {
    let mut quotes = Quotes::default();
    for b in s.bytes() {
        quotes.outside(b);
    }
    !quotes.quoted
}

/// Splits on `sep` outside quotes and angle brackets; returns the trimmed ranges of the parts
/// (whitespace includes folded line breaks).
pub(crate) fn split_unquoted(s: &[u8], sep: u8) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut quotes = Quotes::default();
    let mut angle = false;
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        if !quotes.outside(b) {
            continue;
        }
        match b {
            b'<' => angle = true,
            b'>' => angle = false,
            _ if b == sep && !angle => {
                out.push(trim_range(s, start..i));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(trim_range(s, start..s.len()));
    out
}

fn trim_range(s: &[u8], r: Range<usize>) -> Range<usize> {
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let part = &s[r.clone()];
    let lead = part.iter().take_while(|b| ws(b)).count();
    let trail = part[lead..].iter().rev().take_while(|b| ws(b)).count();
    r.start + lead..r.end - trail
}

/// Splits a list header value on commas outside quotes and angle brackets (RFC 3261 §7.3.1),
/// returning the trimmed ranges of the non-empty elements.
pub fn split_list(s: &str) -> Vec<Range<usize>> {
    split_list_bytes(s.as_bytes())
}

/// [`split_list`] over raw bytes (header values need not be UTF-8).
pub(crate) fn split_list_bytes(s: &[u8]) -> Vec<Range<usize>> {
    split_unquoted(s, b',')
        .into_iter()
        .filter(|r| !r.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_split_respects_quotes_and_brackets() {
        let s = "<sip:a,b@x;lr>, \"x,y\" <sip:c@d> ,sip:e@f,,\r\n ";
        let parts: Vec<&str> = split_list(s).into_iter().map(|r| &s[r]).collect();
        assert_eq!(
            parts,
            vec!["<sip:a,b@x;lr>", "\"x,y\" <sip:c@d>", "sip:e@f"]
        );
    }

    #[test]
    fn host_port_table() {
        type Want = Option<(&'static str, Option<u16>)>;
        let cases: &[(&str, Want)] = &[
            ("host.example", Some(("host.example", None))),
            ("host.example:5070", Some(("host.example", Some(5070)))),
            ("[2001:db8::1]:5061", Some(("[2001:db8::1]", Some(5061)))),
            ("[::1]", Some(("[::1]", None))),
            ("h:+5", None),
            ("h:65536", None),
            ("h:", None),
            ("[::1]x", None),
        ];
        for (input, want) in cases {
            assert_eq!(split_host_port(input), *want, "{input}");
        }
    }

    #[test]
    fn host_validity_table() {
        for ok in [
            "a.example",
            "192.0.2.1",
            "[2001:db8::1]",
            "my_host-1",
            "[::ffff:192.0.2.1]",
        ] {
            assert!(is_valid_host(ok), "{ok}");
        }
        for bad in ["", "a b", "b?x=y", "a@b", "[zz::1]", "[]", "x/y"] {
            assert!(!is_valid_host(bad), "{bad}");
        }
    }

    #[test]
    fn params_table() {
        let p = parse_params(" ;  tag = 1918181833n ; lr;x=\"a;b\"").unwrap();
        assert_eq!(
            p,
            vec![
                ("tag".into(), Some("1918181833n".into())),
                ("lr".into(), None),
                ("x".into(), Some("\"a;b\"".into())),
            ]
        );
        assert_eq!(param(&p, "TAG"), Some("1918181833n"));
        assert!(has_param(&p, "LR"));
        assert!(parse_params(";;").is_none());
        assert!(parse_params("tag=1").is_none());
        assert_eq!(parse_params("").unwrap(), vec![]);
    }

    #[test]
    fn quotes() {
        assert_eq!(find_unquoted("\"a<b\" <c>", b'<'), Some(6));
        assert_eq!(find_unquoted("\"a\\\"<\" <c>", b'<'), Some(7));
        assert!(quotes_balanced("\"J Rosenberg \\\\\\\"\" <x>"));
        assert!(!quotes_balanced("\"Mr. J. User <sip:j.user@example.com>"));
    }
}
