//! Header names: the ones the proxy reads, with their compact forms (RFC 3261 §7.3.3,
//! RFC 3515, RFC 6665, RFC 4028, RFC 3841, RFC 8224), compared case-insensitively
//! (RFC 3261 §7.3.1). Names are never rewritten on the wire: the typed name is for lookups.

use std::fmt;

/// A header name, compact forms already expanded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HeaderName {
    Via,
    From,
    To,
    CallId,
    CSeq,
    Contact,
    MaxForwards,
    Route,
    RecordRoute,
    ContentLength,
    ContentType,
    ContentEncoding,
    Subject,
    Supported,
    Require,
    ProxyRequire,
    Unsupported,
    Allow,
    Event,
    AllowEvents,
    ReferTo,
    ReferredBy,
    SessionExpires,
    RetryAfter,
    /// Any other header: the name as written (its case preserved for display).
    Other(Box<str>),
}

impl HeaderName {
    /// Types a header name as found on the wire (long or compact form, any case).
    pub fn parse(name: &str) -> HeaderName {
        if name.len() == 1 {
            let compact = match name.as_bytes()[0].to_ascii_lowercase() {
                b'v' => Some(HeaderName::Via),
                b'f' => Some(HeaderName::From),
                b't' => Some(HeaderName::To),
                b'i' => Some(HeaderName::CallId),
                b'm' => Some(HeaderName::Contact),
                b'l' => Some(HeaderName::ContentLength),
                b'c' => Some(HeaderName::ContentType),
                b'e' => Some(HeaderName::ContentEncoding),
                b's' => Some(HeaderName::Subject),
                b'k' => Some(HeaderName::Supported),
                b'o' => Some(HeaderName::Event),
                b'u' => Some(HeaderName::AllowEvents),
                b'r' => Some(HeaderName::ReferTo),
                b'b' => Some(HeaderName::ReferredBy),
                b'x' => Some(HeaderName::SessionExpires),
                _ => None,
            };
            if let Some(n) = compact {
                return n;
            }
            // Compact forms of headers the proxy does not type: expanded, so that
            // `matches` finds them under either name.
            let long = match name.as_bytes()[0].to_ascii_lowercase() {
                b'a' => Some("Accept-Contact"),      // RFC 3841
                b'j' => Some("Reject-Contact"),      // RFC 3841
                b'd' => Some("Request-Disposition"), // RFC 3841
                b'y' => Some("Identity"),            // RFC 8224
                b'n' => Some("Identity-Info"),       // RFC 4474
                _ => None,
            };
            if let Some(long) = long {
                return HeaderName::Other(long.into());
            }
        }
        const LONG: &[(&str, HeaderName)] = &[
            ("via", HeaderName::Via),
            ("from", HeaderName::From),
            ("to", HeaderName::To),
            ("call-id", HeaderName::CallId),
            ("cseq", HeaderName::CSeq),
            ("contact", HeaderName::Contact),
            ("max-forwards", HeaderName::MaxForwards),
            ("route", HeaderName::Route),
            ("record-route", HeaderName::RecordRoute),
            ("content-length", HeaderName::ContentLength),
            ("content-type", HeaderName::ContentType),
            ("content-encoding", HeaderName::ContentEncoding),
            ("subject", HeaderName::Subject),
            ("supported", HeaderName::Supported),
            ("require", HeaderName::Require),
            ("proxy-require", HeaderName::ProxyRequire),
            ("unsupported", HeaderName::Unsupported),
            ("allow", HeaderName::Allow),
            ("event", HeaderName::Event),
            ("allow-events", HeaderName::AllowEvents),
            ("refer-to", HeaderName::ReferTo),
            ("referred-by", HeaderName::ReferredBy),
            ("session-expires", HeaderName::SessionExpires),
            ("retry-after", HeaderName::RetryAfter),
        ];
        for (long, typed) in LONG {
            if name.eq_ignore_ascii_case(long) {
                return typed.clone();
            }
        }
        HeaderName::Other(name.into())
    }

    /// The long form, as the proxy writes it.
    pub fn as_str(&self) -> &str {
        match self {
            HeaderName::Via => "Via",
            HeaderName::From => "From",
            HeaderName::To => "To",
            HeaderName::CallId => "Call-ID",
            HeaderName::CSeq => "CSeq",
            HeaderName::Contact => "Contact",
            HeaderName::MaxForwards => "Max-Forwards",
            HeaderName::Route => "Route",
            HeaderName::RecordRoute => "Record-Route",
            HeaderName::ContentLength => "Content-Length",
            HeaderName::ContentType => "Content-Type",
            HeaderName::ContentEncoding => "Content-Encoding",
            HeaderName::Subject => "Subject",
            HeaderName::Supported => "Supported",
            HeaderName::Require => "Require",
            HeaderName::ProxyRequire => "Proxy-Require",
            HeaderName::Unsupported => "Unsupported",
            HeaderName::Allow => "Allow",
            HeaderName::Event => "Event",
            HeaderName::AllowEvents => "Allow-Events",
            HeaderName::ReferTo => "Refer-To",
            HeaderName::ReferredBy => "Referred-By",
            HeaderName::SessionExpires => "Session-Expires",
            HeaderName::RetryAfter => "Retry-After",
            HeaderName::Other(s) => s,
        }
    }

    /// True if two names denote the same header (`Other` names compare case-insensitively).
    pub fn matches(&self, other: &HeaderName) -> bool {
        match (self, other) {
            (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        }
    }

    /// Headers the proxy writes itself in the requests it generates (BYE, OPTIONS, REFER…):
    /// configured or API-supplied extra headers may not set them.
    pub fn is_written_by_proxy(&self) -> bool {
        matches!(
            self,
            HeaderName::Via
                | HeaderName::From
                | HeaderName::To
                | HeaderName::CallId
                | HeaderName::CSeq
                | HeaderName::MaxForwards
                | HeaderName::Route
                | HeaderName::RecordRoute
                | HeaderName::Contact
                | HeaderName::ContentLength
        )
    }

    /// Headers whose value is a comma-separated list that may be split over several lines
    /// (RFC 3261 §7.3.1) and that the proxy reads element by element.
    pub fn is_list(&self) -> bool {
        matches!(
            self,
            HeaderName::Via | HeaderName::Route | HeaderName::RecordRoute | HeaderName::Contact
        )
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_long_forms_are_the_same_header() {
        assert_eq!(HeaderName::parse("v"), HeaderName::Via);
        assert_eq!(HeaderName::parse("VIA"), HeaderName::Via);
        assert_eq!(HeaderName::parse("i"), HeaderName::CallId);
        assert_eq!(HeaderName::parse("call-ID"), HeaderName::CallId);
        assert_eq!(HeaderName::parse("l"), HeaderName::ContentLength);
        assert!(HeaderName::parse("X-Foo").matches(&HeaderName::parse("x-foo")));
        assert_eq!(HeaderName::parse("q").as_str(), "q");
        assert!(HeaderName::parse("a").matches(&HeaderName::parse("accept-contact")));
        assert!(HeaderName::parse("Y").matches(&HeaderName::parse("Identity")));
        assert!(HeaderName::parse("C%6Fntact").matches(&HeaderName::parse("c%6fntact")));
        assert!(!HeaderName::parse("C%6Fntact").matches(&HeaderName::Contact));
    }
}
