//! URIs as the proxy routes on them (RFC 3261 §19.1, RFC 3966 for `tel:`): scheme, user, host,
//! port and URI parameters. The text is kept as written (no unescaping, case preserved) so the
//! proxy compares and forwards what the peer sent.
//!
//! Plain `sip:`/`sips:` URIs are typed by rsip 0.4 (its tokenizer, then its typed `Uri`, which
//! checks the port and the `transport`/`method` values). rsip is only asked when a cheap byte
//! screen says it will get the URI right; when it refuses, or its result shows one of its known
//! mistakes, the lenient parser below takes over, so each URI is parsed once in the common case
//! and never rejected just because rsip cannot type it:
//!
//! | input | rsip 0.4 | handled by |
//! |---|---|---|
//! | `sip:first.last@host` | user dropped, host `first.last@host` | lenient |
//! | `sip:user;par=x@host` (RFC 4475 §3.1.1.9) | stops at `@`, host `user` | lenient |
//! | `sip:[2001:db8::1]:5060` (RFC 5118) | error | lenient |
//! | `sip:a@b?Route=...` | host `b?Route=...` | lenient (headers ignored) |
//! | `;transport=sctp-new`, `;method=NEWMETHOD` | error | lenient |
//! | `tel:`, `urn:`, other schemes | error or nonsense | lenient (opaque part as `user`) |

use std::convert::TryFrom;

use crate::values::params::{
    Param, has_param, is_valid_host, param, parse_params, split_host_port,
};

/// A URI, typed enough to route on: scheme, user, host, port and parameters.
/// `tel:` and other schemes parse with the number (or opaque part) as `user` and no host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uri {
    /// Lower-cased scheme (`sip`, `sips`, `tel`, …).
    pub scheme: String,
    /// The user part as written (escapes kept), without the password.
    pub user: Option<String>,
    /// The host as written; IPv6 references keep their brackets. Empty for non-SIP schemes.
    pub host: String,
    pub port: Option<u16>,
    pub params: Vec<Param>,
}

impl Uri {
    /// Parses a URI. SIP URIs need a valid host (and port, if any); other schemes need only a
    /// scheme. URI headers (`?name=value`) are accepted and ignored.
    pub fn parse(s: &str) -> Option<Uri> {
        let s = s.trim();
        rsip_typed(s).or_else(|| parse_lenient(s))
    }

    /// A URI parameter's value (`""` for a flag).
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }

    /// True if the parameter is present.
    pub fn has_param(&self, name: &str) -> bool {
        has_param(&self.params, name)
    }

    /// True for `sip:` and `sips:` URIs.
    pub fn is_sip(&self) -> bool {
        self.scheme == "sip" || self.scheme == "sips"
    }

    /// The host as an IP address, if it is one (IPv6 brackets removed).
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        self.host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()
    }
}

/// The rsip path: `None` when the screen or rsip says no, or when rsip's answer is one of its
/// known mistakes; the caller then uses [`parse_lenient`]. Whatever it returns equals what
/// [`parse_lenient`] returns for the same input (checked by the tests below).
fn rsip_typed(s: &str) -> Option<Uri> {
    let scheme = if starts_with_ignore_case(s, "sip:") {
        "sip"
    } else if starts_with_ignore_case(s, "sips:") {
        "sips"
    } else {
        return None;
    };
    // rsip 0.4 mis-tokenises IPv6, URI headers and anything with LWS or non-ASCII bytes.
    let screened = s.bytes().any(|b| {
        matches!(b, b'[' | b']' | b'?' | b'"' | b'<' | b'>' | b',') || !b.is_ascii_graphic()
    });
    if screened {
        return None;
    }
    let (rest, tokens) = rsip::common::uri::Tokenizer::<&str, char>::tokenize(s).ok()?;
    if !rest.is_empty() {
        return None; // a parameter rsip's token-only tokenizer could not read
    }
    let host = tokens.host_with_port.host;
    if !is_valid_host(host) {
        return None; // e.g. `first.last@host`: rsip lost the user part
    }
    if let Some(port) = tokens.host_with_port.port
        && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return None; // rsip takes `+5` as a port
    }
    let user = tokens.auth.as_ref().map(|a| a.user.to_owned());
    let mut params = Vec::with_capacity(tokens.params.len());
    for p in &tokens.params {
        if p.name.is_empty() {
            return None;
        }
        params.push((p.name.to_owned(), p.value.map(str::to_owned)));
    }
    let typed = rsip::Uri::try_from(tokens).ok()?;
    Some(Uri {
        scheme: scheme.to_owned(),
        user,
        host: host.to_owned(),
        port: typed.port().map(|p| u16::from(*p)),
        params,
    })
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// The lenient parser: any scheme, IPv6, escaped characters anywhere, URI headers.
pub(crate) fn parse_lenient(s: &str) -> Option<Uri> {
    let colon = s.find(':')?;
    let scheme = s[..colon].to_ascii_lowercase();
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok {
        return None;
    }
    let rest = &s[colon + 1..];
    if scheme != "sip" && scheme != "sips" {
        let before_headers = rest.split('?').next().unwrap_or("");
        let (opaque, params) = match before_headers.find(';') {
            Some(i) => (&before_headers[..i], &before_headers[i..]),
            None => (before_headers, ""),
        };
        return Some(Uri {
            scheme,
            user: Some(opaque.to_owned()),
            host: String::new(),
            port: None,
            params: parse_params(params).unwrap_or_default(),
        });
    }
    // Neither user nor password may contain an unescaped '@' (RFC 3261 §25.1), but the user
    // part may contain ';' and '?' (RFC 4475 §3.1.1.2, §3.1.1.9): split at the first '@'.
    let (user, hostpart) = match rest.find('@') {
        Some(i) => (
            Some(rest[..i].split(':').next().unwrap_or("")),
            &rest[i + 1..],
        ),
        None => (None, rest),
    };
    let hostpart = hostpart.split('?').next().unwrap_or("");
    let (hostport, params) = match hostpart.find(';') {
        Some(i) => (&hostpart[..i], &hostpart[i..]),
        None => (hostpart, ""),
    };
    let (host, port) = split_host_port(hostport)?;
    if !is_valid_host(host) {
        return None;
    }
    Some(Uri {
        scheme,
        user: user.map(str::to_owned),
        host: host.to_owned(),
        port,
        params: parse_params(params)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: &str, v: Option<&str>) -> Param {
        (n.to_owned(), v.map(str::to_owned))
    }

    #[test]
    fn uri_table() {
        #[rustfmt::skip]
        type Want = Option<(&'static str, Option<&'static str>, &'static str, Option<u16>, Vec<Param>)>;
        let cases: &[(&str, Want)] = &[
            (
                "sip:alice:pw@host.example:5070;transport=tcp;lr?subject=x",
                Some((
                    "sip",
                    Some("alice"),
                    "host.example",
                    Some(5070),
                    vec![p("transport", Some("tcp")), p("lr", None)],
                )),
            ),
            (
                "SIP:Bob@Biloxi.example",
                Some(("sip", Some("Bob"), "Biloxi.example", None, vec![])),
            ),
            (
                "sip:first.last@example.com",
                Some(("sip", Some("first.last"), "example.com", None, vec![])),
            ),
            (
                "sip:user;par=u%40example.net@example.com",
                Some((
                    "sip",
                    Some("user;par=u%40example.net"),
                    "example.com",
                    None,
                    vec![],
                )),
            ),
            (
                "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
                Some((
                    "sip",
                    Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"),
                    "example.com",
                    None,
                    vec![],
                )),
            ),
            (
                "sip:[2001:db8::1]:5060;lr",
                Some((
                    "sip",
                    None,
                    "[2001:db8::1]",
                    Some(5060),
                    vec![p("lr", None)],
                )),
            ),
            (
                "sip:a@b;transport=sctp-new;method=NEWMETHOD",
                Some((
                    "sip",
                    Some("a"),
                    "b",
                    None,
                    vec![
                        p("transport", Some("sctp-new")),
                        p("method", Some("NEWMETHOD")),
                    ],
                )),
            ),
            (
                "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
                Some((
                    "sip",
                    Some("cal%6Cer"),
                    "host5.example.net",
                    None,
                    vec![p("%6C%72", None), p("n%61me", Some("v%61lue%25%34%31"))],
                )),
            ),
            (
                "sip:user@example.com?Route=%3Csip:example.com%3E",
                Some(("sip", Some("user"), "example.com", None, vec![])),
            ),
            (
                "tel:+1-212-555-1234;phone-context=example.com",
                Some((
                    "tel",
                    Some("+1-212-555-1234"),
                    "",
                    None,
                    vec![p("phone-context", Some("example.com"))],
                )),
            ),
            (
                "nobodyKnowsThisScheme:totallyopaquecontent",
                Some((
                    "nobodyknowsthisscheme",
                    Some("totallyopaquecontent"),
                    "",
                    None,
                    vec![],
                )),
            ),
            ("sip:a@b:99999", None),
            ("sip:a@b:+5", None),
            ("sip:", None),
            ("sip:a@", None),
            ("sip:a@b;;", None),
            ("sip:a b@c d", None),
            ("1sip:a@b", None),
            ("nocolon", None),
        ];
        for (input, want) in cases {
            let got = Uri::parse(input).map(|u| (u.scheme, u.user, u.host, u.port, u.params));
            let want = want.clone().map(|(s, u, h, port, params)| {
                (
                    s.to_owned(),
                    u.map(str::to_owned),
                    h.to_owned(),
                    port,
                    params,
                )
            });
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn rsip_types_plain_sip_uris_and_agrees_with_the_lenient_parser() {
        let plain = [
            "sip:alice@atlanta.example.com",
            "sips:bob@biloxi.example.com:5061;transport=tls",
            "sip:192.0.2.1:5060;lr;did=ab12.34-x",
            "sip:services.example.com;lr;unknownwith=value;unknown-no-value",
            "sip:%75se%72@example.com",
            "sip:proxy.example.net;lr;method=INVITE;ttl=1;maddr=192.0.2.9;user=phone",
        ];
        for s in plain {
            let typed = rsip_typed(s);
            assert!(typed.is_some(), "rsip should type {s}");
            assert_eq!(typed, parse_lenient(s), "{s}");
        }
        // The cases of the module table go to the lenient parser.
        for s in [
            "sip:first.last@example.com",
            "sip:user;par=u%40example.net@example.com",
            "sip:[2001:db8::1]:5060",
            "sip:a@b?Route=x",
            "sip:a@b;method=NEWMETHOD",
            "tel:+1-212-555-1234",
        ] {
            assert_eq!(rsip_typed(s), None, "{s}");
            assert!(Uri::parse(s).is_some(), "{s}");
        }
    }

    proptest::proptest! {
        /// Whichever path types a URI, the result is the same: rsip's answer, when taken,
        /// equals the lenient parser's.
        #[test]
        fn rsip_path_agrees_with_the_lenient_path(
            s in "(sip|sips|SIP|sIpS):([a-zA-Z0-9.%_+~-]{0,8}(:[a-z0-9;]{0,4})?@)?[a-zA-Z0-9._-]{0,12}(:[0-9+ -]{0,6})?(;[a-zA-Z0-9%.=_-]{0,6}(=[a-zA-Z0-9.%:-]{0,6})?){0,3}",
        ) {
            if let Some(fast) = rsip_typed(&s) {
                proptest::prop_assert_eq!(Some(fast), parse_lenient(&s));
            }
        }
    }

    #[test]
    fn ip_and_scheme_helpers() {
        let u = Uri::parse("sip:[::1]:5062").unwrap();
        assert_eq!(u.ip(), Some("::1".parse().unwrap()));
        assert!(u.is_sip());
        assert_eq!(Uri::parse("sip:host.example").unwrap().ip(), None);
        assert!(!Uri::parse("tel:+1").unwrap().is_sip());
    }
}
