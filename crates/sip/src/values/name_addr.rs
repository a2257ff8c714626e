//! name-addr and addr-spec with header parameters (RFC 3261 §20.10, §20.20, §20.39, §25.1):
//! From, To, Contact, Route, Record-Route. `"Alice" <sip:a@b;lr>;tag=1`,
//! `sip:a@b ; tag = 1`, `caller<sip:c@d>` (RFC 4475 §3.1.1.6) and `< sip:a@b >` all parse.
//!
//! Own splitter, not rsip's: rsip 0.4 finds the `<` without regard to quotes (a quoted display
//! name containing `<` breaks it), keeps the quotes and escapes of display names, refuses
//! whitespace around `;` and `=` (RFC 4475 §3.1.1.1) and quoted parameter values
//! (`;+sip.instance="<urn:uuid:...>"`, sent by every outbound UA). The URI inside is typed on
//! demand by [`Uri::parse`](crate::values::Uri::parse), which does use rsip.

use crate::values::Uri;
use crate::values::params::{Param, find_unquoted, param, parse_params, quotes_balanced};

/// A name-addr or addr-spec with header parameters: `"Alice" <sip:a@b;lr>;tag=1`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name: quotes removed and quoted-pairs unescaped, or the text as written.
    pub display: Option<String>,
    /// The URI as written, without the angle brackets.
    pub uri: String,
    /// Header parameters after the URI (for addr-spec, everything after the first `;`).
    pub params: Vec<Param>,
}

impl NameAddr {
    /// Parses a name-addr or addr-spec. Returns `None` if there is no URI, a quote is left
    /// open, `<` has no `>`, or a parameter has no name.
    pub fn parse(s: &str) -> Option<NameAddr> {
        let s = s.trim();
        if s.is_empty() || !quotes_balanced(s) {
            return None;
        }
        let (display, uri, rest) = if let Some(lt) = find_unquoted(s, b'<') {
            let gt = s[lt..].find('>')? + lt;
            let display = s[..lt].trim();
            let display = match display.strip_prefix('"').and_then(|d| d.strip_suffix('"')) {
                Some(quoted) => unescape_quoted(quoted),
                None => display.to_owned(),
            };
            let display = (!display.is_empty()).then_some(display);
            (display, s[lt + 1..gt].trim(), &s[gt + 1..])
        } else {
            // addr-spec: header params start at the first ';' (RFC 3261 §20.10).
            let (uri, rest) = match s.find(';') {
                Some(i) => (s[..i].trim_end(), &s[i..]),
                None => (s, ""),
            };
            if uri.contains(char::is_whitespace) || uri.contains('"') {
                return None;
            }
            (None, uri, rest)
        };
        if uri.is_empty() || !uri.contains(':') {
            return None;
        }
        Some(NameAddr {
            display,
            uri: uri.to_owned(),
            params: parse_params(rest)?,
        })
    }

    /// The value of a header parameter (case-insensitive name).
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&str> {
        self.param("tag").filter(|t| !t.is_empty())
    }

    /// The URI, typed.
    pub fn uri(&self) -> Option<Uri> {
        Uri::parse(&self.uri)
    }
}

/// Removes the backslash of each quoted-pair (RFC 3261 §25.1).
fn unescape_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_addr_table() {
        #[rustfmt::skip]
        type Want = Option<(Option<&'static str>, &'static str, Option<&'static str>)>;
        let cases: &[(&str, Want)] = &[
            (
                "\"Bob, Jr\" <sip:bob@example.com;lr>;tag=a48s",
                Some((Some("Bob, Jr"), "sip:bob@example.com;lr", Some("a48s"))),
            ),
            (
                "sip:alice@atlanta.com;tag=88",
                Some((None, "sip:alice@atlanta.com", Some("88"))),
            ),
            (
                "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
                Some((
                    None,
                    "sip:vivekg@chair-dnrc.example.com",
                    Some("1918181833n"),
                )),
            ),
            (
                "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com> ; tag = 98asjd8",
                Some((
                    Some("J Rosenberg \\\""),
                    "sip:jdrosen@example.com",
                    Some("98asjd8"),
                )),
            ),
            (
                "caller<sip:caller@example.com>;tag=323",
                Some((Some("caller"), "sip:caller@example.com", Some("323"))),
            ),
            (
                "\"Watson, Thomas\" < sip:t.watson@example.org >",
                Some((Some("Watson, Thomas"), "sip:t.watson@example.org", None)),
            ),
            (
                "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
                Some((
                    Some("Bell, Alexander"),
                    "sip:a.g.bell@example.com",
                    Some("43"),
                )),
            ),
            ("\"a<b\" <sip:x@y>", Some((Some("a<b"), "sip:x@y", None))),
            (
                "<sip:x@y>;+sip.instance=\"<urn:uuid:1;2>\";tag=9",
                Some((None, "sip:x@y", Some("9"))),
            ),
            ("isbn:2983792873", Some((None, "isbn:2983792873", None))),
            (
                "<tel:+1-212-555-1234>;tag=",
                Some((None, "tel:+1-212-555-1234", None)),
            ),
            ("\"Mr. J. User <sip:j.user@example.com>", None),
            ("<sip:x@y", None),
            ("sip:a b@c", None),
            ("<sip:x@y>;;", None),
            ("<nocolon>", None),
            (
                "Joe \"the man\" <sip:j@h>",
                Some((Some("Joe \"the man\""), "sip:j@h", None)),
            ),
            ("", None),
        ];
        for (input, want) in cases {
            let got = NameAddr::parse(input);
            let got = got
                .as_ref()
                .map(|n| (n.display.as_deref(), n.uri.as_str(), n.tag()));
            assert_eq!(got, *want, "{input}");
        }
    }

    #[test]
    fn typed_uri_on_demand() {
        let n = NameAddr::parse("<tel:+1-212-555-1234>").unwrap();
        assert_eq!(n.uri().unwrap().user.as_deref(), Some("+1-212-555-1234"));
        let n = NameAddr::parse("<sip:p.example;lr;did=x1>").unwrap();
        assert_eq!(n.uri().unwrap().param("did"), Some("x1"));
    }
}
