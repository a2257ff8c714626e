//! [`RequestView`]: the parts of an initial request that rules match on and substitute,
//! taken out of the [`SipMessage`] once per evaluation. A part the request does not have (no
//! user in the request-URI, a `tel:` URI's host, an unparseable From) is the empty string.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use dialogd_sip::values::Uri;
use dialogd_sip::{HeaderName, SipMessage};

use super::cidr::canonical;

/// A named part of the request, usable in `match` regexes and in `${…}` substitutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    RuriUser,
    RuriHost,
    FromUser,
    FromHost,
    ToUser,
    ToHost,
    SrcIp,
    CallId,
}

impl Field {
    /// Every field with its name in the config.
    pub const ALL: [(Field, &'static str); 8] = [
        (Field::RuriUser, "ruri_user"),
        (Field::RuriHost, "ruri_host"),
        (Field::FromUser, "from_user"),
        (Field::FromHost, "from_host"),
        (Field::ToUser, "to_user"),
        (Field::ToHost, "to_host"),
        (Field::SrcIp, "src_ip"),
        (Field::CallId, "call_id"),
    ];

    /// The field called `name` in the config.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }
}

/// The request as the policy sees it.
#[derive(Debug)]
pub struct RequestView<'a> {
    msg: &'a SipMessage,
    ruri: (String, String),
    from: (String, String),
    to: (String, String),
    src_ip: String,
    src: IpAddr,
}

impl<'a> RequestView<'a> {
    /// Extracts the parts of `msg` received from `src`.
    pub fn new(msg: &'a SipMessage, src: SocketAddr) -> RequestView<'a> {
        let src = canonical(src.ip());
        RequestView {
            msg,
            ruri: user_host(msg.request_uri().and_then(Uri::parse)),
            from: user_host(msg.from().uri()),
            to: user_host(msg.to().uri()),
            src_ip: src.to_string(),
            src,
        }
    }

    /// The request method as written, or "" for a response.
    pub fn method(&self) -> &str {
        self.msg.method().map_or("", |m| m.as_str())
    }

    /// The source address (IPv4-mapped IPv6 shown as IPv4).
    pub fn src(&self) -> IpAddr {
        self.src
    }

    /// A field's value.
    pub fn field(&self, f: Field) -> &str {
        match f {
            Field::RuriUser => &self.ruri.0,
            Field::RuriHost => &self.ruri.1,
            Field::FromUser => &self.from.0,
            Field::FromHost => &self.from.1,
            Field::ToUser => &self.to.0,
            Field::ToHost => &self.to.1,
            Field::SrcIp => &self.src_ip,
            Field::CallId => self.msg.call_id(),
        }
    }

    /// The first value of a header, unfolded.
    pub fn header(&self, name: &HeaderName) -> Option<Cow<'a, str>> {
        self.msg.header(name)
    }

    /// Every value of a header, one per header line.
    pub fn headers<'b>(&'b self, name: &'b HeaderName) -> impl Iterator<Item = Cow<'b, str>> + 'b {
        self.msg.header_all(name)
    }
}

fn user_host(uri: Option<Uri>) -> (String, String) {
    match uri {
        Some(u) => (u.user.unwrap_or_default(), u.host),
        None => (String::new(), String::new()),
    }
}
