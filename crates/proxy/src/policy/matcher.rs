//! [`Matcher`]: a rule's `match` table compiled — the method, regexes on URI parts and headers,
//! and the source network. All given conditions must hold; none given matches everything.
//!
//! A URI part the request lacks is matched as the empty string (so `"^$"` matches "no user").
//! A header condition holds if any line of that header matches; an absent header is matched
//! as the empty string.

use dialogd_sip::HeaderName;
use dialogd_sip::method::is_token_char;
use regex::Regex;

use super::cidr::Cidr;
use super::error::PolicyErrorKind;
use super::request_view::{Field, RequestView};
use super::rule::MatchConfig;
use super::template::header_name;

/// Regexes larger than this (compiled) are refused rather than slowing every call down.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A compiled `match`.
#[derive(Debug, Clone)]
pub struct Matcher {
    method: Option<String>,
    fields: Vec<(Field, Regex)>,
    headers: Vec<(HeaderName, Regex)>,
    src: Option<Cidr>,
}

impl Matcher {
    /// Compiles `m`; an error comes with the key inside `match` (`from_user`, `headers.X-Tenant`).
    pub fn compile(m: &MatchConfig) -> Result<Matcher, (String, PolicyErrorKind)> {
        let method = match &m.method {
            Some(s) if s.is_empty() || !s.bytes().all(is_token_char) => {
                return Err(("method".into(), PolicyErrorKind::Method(s.clone())));
            }
            other => other.clone(),
        };
        let given = [
            (Field::RuriUser, "ruri_user", &m.ruri_user),
            (Field::RuriHost, "ruri_host", &m.ruri_host),
            (Field::FromUser, "from_user", &m.from_user),
            (Field::FromHost, "from_host", &m.from_host),
            (Field::ToUser, "to_user", &m.to_user),
            (Field::ToHost, "to_host", &m.to_host),
        ];
        let mut fields = Vec::new();
        for (field, key, pattern) in given {
            if let Some(p) = pattern {
                fields.push((field, regex(p).map_err(|e| (key.to_owned(), e))?));
            }
        }
        let mut headers = Vec::new();
        for (name, pattern) in &m.headers {
            let key = format!("headers.{name}");
            let h = header_name(name).map_err(|e| (key.clone(), e))?;
            headers.push((h, regex(pattern).map_err(|e| (key, e))?));
        }
        let src = match &m.src_ip {
            Some(s) => Some(Cidr::parse(s).map_err(|e| ("src_ip".to_owned(), e))?),
            None => None,
        };
        Ok(Matcher {
            method,
            fields,
            headers,
            src,
        })
    }

    /// True if every condition holds for `req`.
    pub fn matches(&self, req: &RequestView<'_>) -> bool {
        if self.method.as_deref().is_some_and(|m| m != req.method()) {
            return false;
        }
        if self.src.is_some_and(|c| !c.contains(req.src())) {
            return false;
        }
        if !self.fields.iter().all(|(f, re)| re.is_match(req.field(*f))) {
            return false;
        }
        self.headers.iter().all(|(name, re)| {
            let mut seen = false;
            let mut any = req.headers(name).any(|v| {
                seen = true;
                re.is_match(&v)
            });
            if !seen {
                any = re.is_match("");
            }
            any
        })
    }
}

fn regex(pattern: &str) -> Result<Regex, PolicyErrorKind> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| PolicyErrorKind::Regex {
            pattern: pattern.to_owned(),
            error: one_line(&e.to_string()),
        })
}

/// The regex crate's messages span lines (with a caret under the pattern); keep the last line,
/// which says what is wrong.
fn one_line(msg: &str) -> String {
    msg.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or(msg)
        .trim_start_matches("error: ")
        .to_owned()
}
