//! [`Template`]: a rule value with `${…}` substitutions (profile values, vars, `next_hop`),
//! parsed once when the policy compiles and rendered per request.
//!
//! Variables: `${from_user}`, `${from_host}`, `${ruri_user}`, `${ruri_host}`, `${to_user}`,
//! `${to_host}`, `${src_ip}`, `${call_id}` and `${hdr(Name)}` (the first value of header
//! `Name`, compact forms included). `$$` writes a literal `$`; a `$` not followed by `{` or `$`
//! is kept as is. An unknown variable or an unterminated `${` does not compile. A part the
//! request does not have renders as the empty string ([`Template::render`]), or makes the whole
//! value absent ([`Template::render_complete`]).

use dialogd_sip::HeaderName;
use dialogd_sip::method::is_token_char;

use super::error::PolicyErrorKind;
use super::request_view::{Field, RequestView};

/// The variable names accepted in templates, for error messages.
pub const KNOWN_VARIABLES: &str =
    "from_user, from_host, ruri_user, ruri_host, to_user, to_host, src_ip, call_id, hdr(Name)";

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(Field),
    Header(HeaderName),
}

/// A compiled value with substitutions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    /// Parses `s`.
    pub fn parse(s: &str) -> Result<Template, PolicyErrorKind> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('$') {
            text.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            if let Some(tail) = after.strip_prefix('$') {
                text.push('$');
                rest = tail;
            } else if let Some(tail) = after.strip_prefix('{') {
                let end = tail
                    .find('}')
                    .ok_or_else(|| PolicyErrorKind::Unterminated(s.to_owned()))?;
                let piece = variable(tail[..end].trim(), s)?;
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(piece);
                rest = &tail[end + 1..];
            } else {
                text.push('$');
                rest = after;
            }
        }
        text.push_str(rest);
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Template { pieces })
    }

    /// True if the template has no substitution.
    pub fn is_literal(&self) -> bool {
        self.pieces.iter().all(|p| matches!(p, Piece::Text(_)))
    }

    /// The text before the first substitution.
    pub fn prefix(&self) -> &str {
        match self.pieces.first() {
            Some(Piece::Text(t)) => t,
            _ => "",
        }
    }

    /// The value for this request; a missing part renders as the empty string.
    pub fn render(&self, req: &RequestView<'_>) -> String {
        self.render_parts(req, false).unwrap_or_default()
    }

    /// The value for this request, or `None` if any substitution renders empty (what a
    /// profile value or a `next_hop` needs: `acct-${hdr(X-Account)}` without the header is
    /// no value at all, not `acct-`).
    pub fn render_complete(&self, req: &RequestView<'_>) -> Option<String> {
        self.render_parts(req, true).filter(|s| !s.is_empty())
    }

    fn render_parts(&self, req: &RequestView<'_>, complete: bool) -> Option<String> {
        let mut out = String::new();
        for p in &self.pieces {
            let part = match p {
                Piece::Text(t) => {
                    out.push_str(t);
                    continue;
                }
                Piece::Field(f) => std::borrow::Cow::Borrowed(req.field(*f)),
                Piece::Header(h) => req.header(h).unwrap_or_default(),
            };
            if complete && part.is_empty() {
                return None;
            }
            out.push_str(&part);
        }
        Some(out)
    }
}

fn variable(name: &str, template: &str) -> Result<Piece, PolicyErrorKind> {
    if let Some(f) = Field::from_name(name) {
        return Ok(Piece::Field(f));
    }
    if let Some(inner) = name.strip_prefix("hdr(").and_then(|n| n.strip_suffix(')')) {
        let header = inner.trim();
        return header_name(header).map(Piece::Header);
    }
    Err(PolicyErrorKind::UnknownVariable {
        name: name.to_owned(),
        template: template.to_owned(),
        known: KNOWN_VARIABLES,
    })
}

/// Types a header name from the config, refusing what is not an RFC 3261 token.
pub fn header_name(name: &str) -> Result<HeaderName, PolicyErrorKind> {
    if name.is_empty() || !name.bytes().all(is_token_char) {
        return Err(PolicyErrorKind::HeaderName(name.to_owned()));
    }
    Ok(HeaderName::parse(name))
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use bytes::Bytes;
    use dialogd_sip::SipMessage;

    use super::*;

    const INVITE: &str = "INVITE sip:1234@pbx.example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n\
        f: \"Alice\" <sip:alice@a.example.com>;tag=1\r\n\
        To: <tel:+15551234>\r\n\
        Call-ID: abc@host\r\n\
        CSeq: 1 INVITE\r\n\
        X-Tenant: acme\r\n\
        X-Tenant: other\r\n\
        Content-Length: 0\r\n\r\n";

    fn render(template: &str) -> Result<String, PolicyErrorKind> {
        let msg = SipMessage::parse(Bytes::from_static(INVITE.as_bytes())).unwrap();
        let src: SocketAddr = "[::ffff:198.51.100.7]:5060".parse().unwrap();
        let view = RequestView::new(&msg, src);
        Template::parse(template).map(|t| t.render(&view))
    }

    #[test]
    fn render_table() {
        let cases: &[(&str, &str)] = &[
            ("plain", "plain"),
            ("", ""),
            ("${from_user}", "alice"),
            ("${from_host}", "a.example.com"),
            ("${ruri_user}@${ruri_host}", "1234@pbx.example.com"),
            ("${to_user}", "+15551234"),
            ("${to_host}", ""),
            ("${src_ip}", "198.51.100.7"),
            ("${call_id}", "abc@host"),
            ("${hdr(X-Tenant)}", "acme"),
            ("${hdr(x-tenant)}", "acme"),
            ("${ hdr( X-Tenant ) }", "acme"),
            ("${hdr(X-Missing)}", ""),
            ("${hdr(f)}", "\"Alice\" <sip:alice@a.example.com>;tag=1"),
            ("cost $5", "cost $5"),
            ("$$${from_user}", "$alice"),
            ("$${from_user}", "${from_user}"),
            ("a-${from_user}-b", "a-alice-b"),
            ("sip:${ruri_user}@10.0.0.1", "sip:1234@10.0.0.1"),
        ];
        for (t, want) in cases {
            assert_eq!(render(t).unwrap(), *want, "{t:?}");
        }
    }

    #[test]
    fn parse_errors_table() {
        let cases: &[(&str, PolicyErrorKind)] = &[
            (
                "${from}",
                PolicyErrorKind::UnknownVariable {
                    name: "from".into(),
                    template: "${from}".into(),
                    known: KNOWN_VARIABLES,
                },
            ),
            (
                "x${}",
                PolicyErrorKind::UnknownVariable {
                    name: "".into(),
                    template: "x${}".into(),
                    known: KNOWN_VARIABLES,
                },
            ),
            (
                "${from_user",
                PolicyErrorKind::Unterminated("${from_user".into()),
            ),
            ("${hdr()}", PolicyErrorKind::HeaderName("".into())),
            ("${hdr(X Y)}", PolicyErrorKind::HeaderName("X Y".into())),
        ];
        for (t, want) in cases {
            assert_eq!(render(t).unwrap_err(), *want, "{t:?}");
        }
    }

    #[test]
    fn render_complete_is_none_when_a_substitution_is_empty() {
        let msg = SipMessage::parse(Bytes::from_static(INVITE.as_bytes())).unwrap();
        let view = RequestView::new(&msg, "192.0.2.1:5060".parse().unwrap());
        let cases: &[(&str, Option<&str>)] = &[
            ("${from_user}", Some("alice")),
            ("acct-${hdr(X-Tenant)}", Some("acct-acme")),
            ("acct-${hdr(X-Account)}", None),
            ("sip:${to_host}", None),
            ("", None),
            ("plain", Some("plain")),
        ];
        for (t, want) in cases {
            assert_eq!(
                Template::parse(t)
                    .unwrap()
                    .render_complete(&view)
                    .as_deref(),
                *want,
                "{t:?}"
            );
        }
    }

    #[test]
    fn literal_is_detected() {
        assert!(Template::parse("sip:a@b").unwrap().is_literal());
        assert!(Template::parse("$$").unwrap().is_literal());
        assert!(!Template::parse("sip:${ruri_user}@b").unwrap().is_literal());
    }
}
