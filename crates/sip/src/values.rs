//! Typed header values the proxy reads: CSeq, name-addr (From, To, Contact, Route,
//! Record-Route), Via and URIs (RFC 3261 §19.1, §20, §25.1). The message itself is never
//! re-serialised from these types: they are read from the index and the raw text is forwarded.
//!
//! The parsers are lenient on purpose: they extract what the proxy needs (tags, branch,
//! sent-by, host/port/user, `lr`, `did`) from whatever a real peer sends, RFC 4475's torture
//! messages included, and refuse only what would leave the proxy guessing (an open quote, a
//! parameter without a name, a port that is not a number).
//!
//! ## Where rsip 0.4 is used, and where not
//! | value | parser | why |
//! |---|---|---|
//! | [`Uri`] (`sip:`/`sips:`) | rsip's URI tokenizer and typed `Uri`, lenient fallback | rsip types plain SIP URIs (port range, `transport`, `method`); it is wrong for users containing `.` or `;`, IPv6, URI headers and unknown transports, so those go to the fallback (see [`uri`]'s table) |
//! | [`Uri`] (other schemes) | lenient | rsip has no `tel:` or opaque-URI support |
//! | [`NameAddr`] | own, URI typed through [`Uri::parse`] | rsip ignores quotes when finding `<`, refuses LWS around `;`/`=` and quoted parameter values |
//! | [`Via`] | own | rsip drops all parameters (the branch!) when LWS precedes `;`, refuses LWS around `/`, unknown transports and IPv6 |
//! | [`CSeq`] | own | rsip parses the method case-insensitively and refuses extension methods, both against RFC 3261 §7.1/§20.16 (RFC 4475 §3.1.1.2, §3.1.1.5) |
//!
//! The rsip path only runs when a byte screen predicts it will be right, so a URI is parsed
//! once in the common case; its output is tested to equal the fallback's for the same input.

mod name_addr;
mod params;
pub mod uri;
mod via;

pub use name_addr::NameAddr;
pub(crate) use params::split_list_bytes;
pub use params::{Param, split_host_port, split_list};
pub use uri::Uri;
pub use via::{MAGIC_COOKIE, Via};

use crate::method::Method;

/// CSeq: sequence number and method (RFC 3261 §20.16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub number: u32,
    pub method: Method,
}

impl CSeq {
    /// Parses `"<number> <method>"`; the number must be digits that fit 32 bits
    /// (RFC 3261 §8.1.1.5), the method an RFC 3261 token (kept case-sensitive).
    pub fn parse(s: &str) -> Option<CSeq> {
        let mut it = s.split_ascii_whitespace();
        let number = it.next()?;
        if !number.bytes().all(|b| b.is_ascii_digit()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq_table() {
        let cases: &[(&str, Option<(u32, &str)>)] = &[
            ("4711 INVITE", Some((4711, "INVITE"))),
            ("0009\r\n  INVITE", Some((9, "INVITE"))),
            ("29344 RE%47IST%45R", Some((29344, "RE%47IST%45R"))),
            (
                "139122385 !interesting-Method0123456789_*+`.%indeed'~",
                Some((139122385, "!interesting-Method0123456789_*+`.%indeed'~")),
            ),
            ("4294967295 ACK", Some((u32::MAX, "ACK"))),
            ("4294967296 INVITE", None),
            ("36893488147419103232 REGISTER", None),
            ("-1 INVITE", None),
            ("+1 INVITE", None),
            ("1", None),
            ("1 INVITE x", None),
            ("1 IN\"VITE", None),
        ];
        for (input, want) in cases {
            let got = CSeq::parse(input);
            let got = got.as_ref().map(|c| (c.number, c.method.as_str()));
            assert_eq!(got, *want, "{input:?}");
        }
        assert_eq!(
            CSeq::parse("1 invite").unwrap().method,
            Method::Extension("invite".into())
        );
    }
}
