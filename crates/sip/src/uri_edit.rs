//! Edits to a URI's text for the requests the proxy builds (RFC 3261 §19.1.1, §25.1): %-escaping
//! of parameter and header values, setting or taking out one URI parameter, and adding one URI
//! header. Every other byte of the URI stays as written; [`crate::values::Uri`] reads URIs,
//! this only writes them.
//!
//! ```text
//!  sip:user;x@host:5060;transport=tcp;lr?Subject=hi
//!  └scheme┘└─user─┘ └host─┘└──────params──────┘└headers┘
//! ```
//!
//! | part | where it starts |
//! |---|---|
//! | host | after the first `@` (SIP URIs with a user part), else after the scheme's `:` |
//! | params | at the first `;` after the host's start, up to the headers |
//! | headers | at the first `?` after the host's start |
//!
//! User parts may hold `;` and `?` (RFC 4475 §3.1.1.9), which is why the search starts at the
//! host. A URI given inside angle brackets (`<sip:a@b>`) is read without them.

use std::fmt::Write;
use std::ops::Range;

/// `s` with every byte outside RFC 3261 `unreserved` (letters, digits, `-_.!~*'()`) written
/// as `%XX` (upper-case hex): safe as a URI parameter value and as a URI header value
/// (`hvalue`), whatever `s` holds (`@`, `%`, `;`, `=`, `?`, `&`, spaces, UTF-8).
pub fn escape_uri_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `s` with every `%XX` escape decoded (the reverse of [`escape_uri_value`]); `None` if an
/// escape is cut short or not hex, or the result is not UTF-8.
pub fn unescape_uri_value(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `uri` with parameter `name` set to `value` (escaped with [`escape_uri_value`]): any
/// parameter of that name (case-insensitive) is taken out, the new one goes last, before the
/// headers.
pub fn set_uri_param(uri: &str, name: &str, value: &str) -> String {
    let uri = take_uri_param(uri, name).map_or_else(|| bare(uri).to_owned(), |(rest, _)| rest);
    let at = parts(&uri).params.end;
    format!(
        "{};{name}={}{}",
        &uri[..at],
        escape_uri_value(value),
        &uri[at..]
    )
}

/// Takes parameter `name` (case-insensitive) out of `uri`: the URI without it (every
/// occurrence removed) and the first occurrence's value as written (`""` for a flag).
/// `None` if the URI has no such parameter.
pub fn take_uri_param(uri: &str, name: &str) -> Option<(String, String)> {
    let uri = bare(uri);
    let params = parts(uri).params;
    let mut value = None;
    let mut kept = String::with_capacity(params.len());
    for p in uri[params.clone()].split(';').skip(1) {
        let (n, v) = p.split_once('=').unwrap_or((p, ""));
        if n.trim().eq_ignore_ascii_case(name) {
            value.get_or_insert_with(|| v.trim().to_owned());
        } else {
            kept.push(';');
            kept.push_str(p);
        }
    }
    let value = value?;
    Some((
        format!("{}{kept}{}", &uri[..params.start], &uri[params.end..]),
        value,
    ))
}

/// `uri` with the URI header `name=value` (value escaped) added after any it has.
pub fn add_uri_header(uri: &str, name: &str, value: &str) -> String {
    let uri = bare(uri);
    let sep = if parts(uri).headers.is_some() {
        '&'
    } else {
        '?'
    };
    format!("{uri}{sep}{name}={}", escape_uri_value(value))
}

/// `uri` trimmed, without one pair of surrounding angle brackets.
pub(crate) fn bare(uri: &str) -> &str {
    let uri = uri.trim();
    uri.strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .map_or(uri, str::trim)
}

/// Where a URI's parameters and headers are (module table).
struct Parts {
    /// From the first `;` after the host's start to the headers (empty where none: the place
    /// a new one goes).
    params: Range<usize>,
    /// The `?` that starts the headers.
    headers: Option<usize>,
}

fn parts(uri: &str) -> Parts {
    let scheme_end = uri.find(':').map_or(0, |i| i + 1);
    let scheme = &uri[..scheme_end.saturating_sub(1)];
    let sip = scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips");
    let host = match uri[scheme_end..].find('@') {
        Some(i) if sip => scheme_end + i + 1,
        _ => scheme_end,
    };
    let headers = uri[host..].find('?').map(|i| host + i);
    let end = headers.unwrap_or(uri.len());
    let start = uri[host..end].find(';').map_or(end, |i| host + i);
    Parts {
        params: start..end,
        headers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_only_unreserved_characters() {
        let table = [
            ("abcXYZ019-_.!~*'()", "abcXYZ019-_.!~*'()"),
            (
                "a84b4c76e66710@pc33.atlanta.example.com",
                "a84b4c76e66710%40pc33.atlanta.example.com",
            ),
            ("100%;x=y?z&w", "100%25%3Bx%3Dy%3Fz%26w"),
            ("a b:c/d+e$[f]", "a%20b%3Ac%2Fd%2Be%24%5Bf%5D"),
            ("é<\">", "%C3%A9%3C%22%3E"),
            ("", ""),
        ];
        for (raw, escaped) in table {
            assert_eq!(escape_uri_value(raw), escaped, "{raw}");
        }
    }

    #[test]
    fn parameters_are_set_before_the_headers_and_after_the_others() {
        // (uri, after setting x=1)
        let table = [
            ("sip:bob@example.com", "sip:bob@example.com;x=1"),
            ("<sip:bob@example.com>", "sip:bob@example.com;x=1"),
            (
                "sip:bob@example.com:5070;transport=tcp",
                "sip:bob@example.com:5070;transport=tcp;x=1",
            ),
            ("sip:bob@example.com;x=0;lr", "sip:bob@example.com;lr;x=1"),
            (
                "sip:bob@example.com?Subject=hi",
                "sip:bob@example.com;x=1?Subject=hi",
            ),
            (
                "sip:user;par=u%40e.net@example.com",
                "sip:user;par=u%40e.net@example.com;x=1",
            ),
            ("sip:u?s@example.com;lr", "sip:u?s@example.com;lr;x=1"),
            ("sip:[2001:db8::1]:5060", "sip:[2001:db8::1]:5060;x=1"),
            ("sips:host.example", "sips:host.example;x=1"),
            (
                "tel:+1-212-555-1234;phone-context=x",
                "tel:+1-212-555-1234;phone-context=x;x=1",
            ),
        ];
        for (uri, want) in table {
            assert_eq!(set_uri_param(uri, "x", "1"), want, "{uri}");
        }
        assert_eq!(set_uri_param("sip:b@h", "x", "a;b"), "sip:b@h;x=a%3Bb");
    }

    #[test]
    fn taking_a_parameter_out_keeps_the_rest() {
        // (uri, taking "X" gives)
        let table: [(&str, Option<(&str, &str)>); 8] = [
            (
                "sip:bob@example.com;x=tok",
                Some(("sip:bob@example.com", "tok")),
            ),
            (
                "sip:bob@example.com;lr;X=tok;transport=udp",
                Some(("sip:bob@example.com;lr;transport=udp", "tok")),
            ),
            (
                "sip:bob@example.com;x=a;x=b?h=1",
                Some(("sip:bob@example.com?h=1", "a")),
            ),
            ("sip:bob@example.com;x", Some(("sip:bob@example.com", ""))),
            ("sip:x=1;x=2@example.com;lr", None), // the user part is not the params
            ("sip:bob@example.com;xx=1", None),
            ("sip:bob@example.com?x=1", None),
            ("sip:bob@example.com", None),
        ];
        for (uri, want) in table {
            let got = take_uri_param(uri, "X");
            let want = want.map(|(u, v)| (u.to_owned(), v.to_owned()));
            assert_eq!(got, want, "{uri}");
        }
    }

    #[test]
    fn headers_are_added_with_the_right_separator() {
        assert_eq!(
            add_uri_header("sip:c@h", "Replaces", "a@b"),
            "sip:c@h?Replaces=a%40b"
        );
        assert_eq!(
            add_uri_header("<sip:c@h;lr?Subject=x>", "Replaces", "a"),
            "sip:c@h;lr?Subject=x&Replaces=a"
        );
    }

    #[test]
    fn escaped_values_come_back() {
        for v in ["a@b;c=d", "plain", "ünï cöde%", ""] {
            assert_eq!(unescape_uri_value(&escape_uri_value(v)).as_deref(), Some(v));
        }
        assert_eq!(unescape_uri_value("abc%4"), None);
        assert_eq!(unescape_uri_value("%zz"), None);
        assert_eq!(unescape_uri_value("%ff"), None);
    }
}
