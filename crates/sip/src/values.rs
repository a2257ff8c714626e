//! Typed header values the proxy reads: CSeq, name-addr (From, To, Contact, Route,
//! Record-Route), Via and URIs (RFC 3261 §19.1, §20, §25.1).
//!
//! These parsers are lenient on purpose: they extract what the proxy needs (tags, branch,
//! sent-by, host/port/user, `lr`, `did`) from whatever a real peer sends, `tel:` URIs and
//! unusual whitespace included, and keep the raw text for forwarding.

use std::ops::Range;

use crate::method::Method;

/// CSeq: sequence number and method (RFC 3261 §20.16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub number: u32,
    pub method: Method,
}

impl CSeq {
    /// Parses `"<number> <method>"`; the number must fit 32 bits (RFC 3261 §8.1.1.5).
    pub fn parse(s: &str) -> Option<CSeq> {
        let mut it = s.split_ascii_whitespace();
        let number = it.next()?;
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number: u32 = number.parse().ok()?;
        let method = Method::parse(it.next()?)?;
        if it.next().is_some() {
            return None;
        }
        Some(CSeq { number, method })
    }
}

/// A header parameter: name and optional value (quotes kept).
pub type Param = (String, Option<String>);

/// A name-addr or addr-spec with header parameters: `"Alice" <sip:a@b;lr>;tag=1`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name, quotes removed.
    pub display: Option<String>,
    /// The URI as written, without the angle brackets.
    pub uri: String,
    /// Header parameters after the URI (for addr-spec, everything after the first `;`).
    pub params: Vec<Param>,
}

impl NameAddr {
    /// Parses a name-addr or addr-spec. Returns `None` if there is no URI.
    pub fn parse(s: &str) -> Option<NameAddr> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        let (display, uri, rest) = if let Some(lt) = find_unquoted(s, b'<') {
            let gt = s[lt..].find('>')? + lt;
            let display = s[..lt].trim();
            let display = display
                .strip_prefix('"')
                .and_then(|d| d.strip_suffix('"'))
                .unwrap_or(display);
            let display = (!display.is_empty()).then(|| display.to_owned());
            (display, s[lt + 1..gt].trim().to_owned(), &s[gt + 1..])
        } else {
            // addr-spec: header params start at the first ';' (RFC 3261 §20.10).
            let (uri, rest) = match s.find(';') {
                Some(i) => (&s[..i], &s[i..]),
                None => (s, ""),
            };
            if uri.contains(char::is_whitespace) {
                return None;
            }
            (None, uri.trim().to_owned(), rest)
        };
        if uri.is_empty() || !uri.contains(':') {
            return None;
        }
        Some(NameAddr { display, uri, params: parse_params(rest)? })
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

/// A Via element (RFC 3261 §20.42).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Via {
    /// `UDP`, `TCP`, `TLS`, … upper-cased.
    pub transport: String,
    pub host: String,
    pub port: Option<u16>,
    pub params: Vec<Param>,
}

impl Via {
    /// Parses one Via element: `SIP/2.0/UDP host:port;branch=z9hG4bK...`.
    pub fn parse(s: &str) -> Option<Via> {
        let s = s.trim();
        let slash1 = s.find('/')?;
        if !s[..slash1].trim().eq_ignore_ascii_case("SIP") {
            return None;
        }
        let rest = &s[slash1 + 1..];
        let slash2 = rest.find('/')?;
        if rest[..slash2].trim() != "2.0" {
            return None;
        }
        let rest = rest[slash2 + 1..].trim_start();
        let tend = rest.find(|c: char| c.is_whitespace())?;
        let transport = rest[..tend].to_ascii_uppercase();
        let rest = rest[tend..].trim_start();
        let (sent_by, params) = match rest.find(';') {
            Some(i) => (rest[..i].trim(), &rest[i..]),
            None => (rest.trim(), ""),
        };
        let (host, port) = split_host_port(sent_by)?;
        if transport.is_empty() || host.is_empty() {
            return None;
        }
        Some(Via { transport, host: host.to_owned(), port, params: parse_params(params)? })
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&str> {
        param(&self.params, "branch")
    }

    /// A parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }

    /// True if the parameter is present (with or without value).
    pub fn has_param(&self, name: &str) -> bool {
        self.params.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

/// A URI, typed enough to route on: scheme, user, host, port and parameters.
/// `tel:` and other schemes parse with the number (or opaque part) as `user` and no host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uri {
    pub scheme: String,
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub params: Vec<Param>,
}

impl Uri {
    /// Parses a URI. Only the scheme is required.
    pub fn parse(s: &str) -> Option<Uri> {
        let s = s.trim();
        let colon = s.find(':')?;
        let scheme = s[..colon].to_ascii_lowercase();
        if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
            return None;
        }
        let rest = &s[colon + 1..];
        if scheme != "sip" && scheme != "sips" {
            let opaque = rest.split([';', '?']).next().unwrap_or("");
            let params = rest.find(';').map(|i| &rest[i..]).unwrap_or("");
            let params = params.split('?').next().unwrap_or("");
            return Some(Uri {
                scheme,
                user: Some(opaque.to_owned()),
                host: String::new(),
                port: None,
                params: parse_params(params).unwrap_or_default(),
            });
        }
        let rest = rest.split('?').next().unwrap_or("");
        let (userinfo, hostpart) = match rest.rfind('@') {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (None, rest),
        };
        let user = userinfo.map(|u| u.split(':').next().unwrap_or("").to_owned());
        let (hostport, params) = match hostpart.find(';') {
            Some(i) => (&hostpart[..i], &hostpart[i..]),
            None => (hostpart, ""),
        };
        let (host, port) = split_host_port(hostport)?;
        if host.is_empty() {
            return None;
        }
        Some(Uri {
            scheme,
            user,
            host: host.to_owned(),
            port,
            params: parse_params(params)?,
        })
    }

    /// A URI parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }

    /// True if the parameter is present.
    pub fn has_param(&self, name: &str) -> bool {
        self.params.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

fn param<'a>(params: &'a [Param], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_deref().unwrap_or(""))
}

/// Splits `host[:port]`, IPv6 references in brackets included.
pub fn split_host_port(s: &str) -> Option<(&str, Option<u16>)> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[') {
        let close = rest.find(']')?;
        let host = &s[..close + 2];
        let after = &rest[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.trim().parse().ok()?),
            None if after.trim().is_empty() => None,
            None => return None,
        };
        return Some((host, port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Some((h.trim(), Some(p.trim().parse().ok()?))),
        None => Some((s, None)),
    }
}

/// Parses `;name=value;flag` parameter lists. Returns `None` on an empty parameter name.
fn parse_params(s: &str) -> Option<Vec<Param>> {
    let s = s.trim();
    if s.is_empty() {
        return Some(Vec::new());
    }
    let s = s.strip_prefix(';')?;
    let mut out = Vec::new();
    for p in split_unquoted(s, b';') {
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

fn find_unquoted(s: &str, needle: u8) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, b) in s.bytes().enumerate() {
        if escaped {
            escaped = false;
        } else if quoted && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            quoted = !quoted;
        } else if !quoted && b == needle {
            return Some(i);
        }
    }
    None
}

/// Splits on `sep` outside quotes and angle brackets; returns trimmed ranges of the parts.
fn split_unquoted(s: &str, sep: u8) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut quoted, mut escaped, mut angle) = (false, false, false);
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b'<' if !quoted => angle = true,
            b'>' if !quoted => angle = false,
            _ if b == sep && !quoted && !angle => {
                out.push(trim_range(s, start..i));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(trim_range(s, start..s.len()));
    out
}

fn trim_range(s: &str, r: Range<usize>) -> Range<usize> {
    let part = &s[r.clone()];
    let lead = part.len() - part.trim_start().len();
    let start = r.start + lead;
    start..start + part.trim().len()
}

/// Splits a list header value on commas outside quotes and angle brackets (RFC 3261 §7.3.1),
/// returning the trimmed ranges of the non-empty elements.
pub fn split_list(s: &str) -> Vec<Range<usize>> {
    split_unquoted(s, b',').into_iter().filter(|r| !r.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_addr_forms() {
        let n = NameAddr::parse("\"Bob, Jr\" <sip:bob@example.com;lr>;tag=a48s").unwrap();
        assert_eq!(n.display.as_deref(), Some("Bob, Jr"));
        assert_eq!(n.uri, "sip:bob@example.com;lr");
        assert_eq!(n.tag(), Some("a48s"));
        let n = NameAddr::parse("sip:alice@atlanta.com;tag=88").unwrap();
        assert_eq!(n.uri, "sip:alice@atlanta.com");
        assert_eq!(n.tag(), Some("88"));
        let n = NameAddr::parse("<tel:+1-212-555-1234>").unwrap();
        assert_eq!(n.uri().unwrap().user.as_deref(), Some("+1-212-555-1234"));
        assert!(NameAddr::parse("").is_none());
    }

    #[test]
    fn via_forms() {
        let v = Via::parse("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK77;rport").unwrap();
        assert_eq!((v.transport.as_str(), v.host.as_str(), v.port), ("UDP", "192.0.2.1", Some(5060)));
        assert_eq!(v.branch(), Some("z9hG4bK77"));
        assert!(v.has_param("rport"));
        let v = Via::parse("SIP / 2.0 / TCP [2001:db8::1]:5061 ;branch=x").unwrap();
        assert_eq!((v.host.as_str(), v.port), ("[2001:db8::1]", Some(5061)));
        assert!(Via::parse("SIP/2.0/UDP").is_none());
    }

    #[test]
    fn uri_forms() {
        let u = Uri::parse("sip:alice:pw@host.example:5070;transport=tcp;lr?subject=x").unwrap();
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!((u.host.as_str(), u.port), ("host.example", Some(5070)));
        assert!(u.has_param("lr"));
        assert_eq!(u.param("transport"), Some("tcp"));
        assert_eq!(Uri::parse("sip:[::1]").unwrap().host, "[::1]");
    }

    #[test]
    fn list_split_respects_quotes_and_brackets() {
        let s = "<sip:a,b@x;lr>, \"x,y\" <sip:c@d> ,sip:e@f";
        let parts: Vec<&str> = split_list(s).into_iter().map(|r| &s[r]).collect();
        assert_eq!(parts, vec!["<sip:a,b@x;lr>", "\"x,y\" <sip:c@d>", "sip:e@f"]);
    }

    #[test]
    fn cseq_forms() {
        assert_eq!(CSeq::parse("4711 INVITE").unwrap().number, 4711);
        assert!(CSeq::parse("4294967296 INVITE").is_none());
        assert!(CSeq::parse("-1 INVITE").is_none());
        assert!(CSeq::parse("1").is_none());
    }
}
