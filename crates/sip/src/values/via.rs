//! One Via element (RFC 3261 §20.42): sent-protocol, sent-by and parameters (`branch`,
//! `received`, `rport`, …), read with the whitespace RFC 3261 allows around `/`, `;` and `=`
//! (RFC 4475 §3.1.1.1) and with transports the proxy does not know (§3.1.1.10).
//!
//! Own parser, not rsip's: rsip 0.4's Via silently drops every parameter when whitespace
//! precedes the first `;` (`SIP/2.0/UDP h ;branch=x` comes back without its branch), refuses
//! LWS around `/`, unknown transports and IPv6 sent-by, and needs a second conversion into
//! this type anyway.

use crate::values::params::{
    Param, has_param, is_valid_host, param, parse_params, split_host_port,
};

/// A Via element (RFC 3261 §20.42).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Via {
    /// `UDP`, `TCP`, `TLS`, … upper-cased.
    pub transport: String,
    /// The sent-by host as written (IPv6 in brackets).
    pub host: String,
    pub port: Option<u16>,
    pub params: Vec<Param>,
}

/// The RFC 3261 branch prefix (§8.1.1.7).
pub const MAGIC_COOKIE: &str = "z9hG4bK";

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
        let transport = &rest[..tend];
        if transport.is_empty() || !transport.bytes().all(crate::method::is_token_char) {
            return None;
        }
        let rest = rest[tend..].trim_start();
        let (sent_by, params) = match rest.find(';') {
            Some(i) => (rest[..i].trim(), &rest[i..]),
            None => (rest.trim(), ""),
        };
        let (host, port) = split_host_port(sent_by)?;
        if !is_valid_host(host) {
            return None;
        }
        Some(Via {
            transport: transport.to_ascii_uppercase(),
            host: host.to_owned(),
            port,
            params: parse_params(params)?,
        })
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&str> {
        param(&self.params, "branch")
    }

    /// True if the branch starts with the RFC 3261 magic cookie (§17.2.3 matching applies).
    pub fn is_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| b.starts_with(MAGIC_COOKIE))
    }

    /// A parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }

    /// True if the parameter is present (with or without value).
    pub fn has_param(&self, name: &str) -> bool {
        has_param(&self.params, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_table() {
        #[rustfmt::skip]
        type Want = Option<(&'static str, &'static str, Option<u16>, Option<&'static str>)>;
        let cases: &[(&str, Want)] = &[
            (
                "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK77;rport",
                Some(("UDP", "192.0.2.1", Some(5060), Some("z9hG4bK77"))),
            ),
            (
                "SIP / 2.0 / TCP [2001:db8::1]:5061 ;branch=x",
                Some(("TCP", "[2001:db8::1]", Some(5061), Some("x"))),
            ),
            (
                "SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw",
                Some(("UDP", "192.0.2.2", None, Some("390skdjuw"))),
            ),
            (
                "SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8",
                Some(("TCP", "spindle.example.com", None, Some("z9hG4bK9ikj8"))),
            ),
            (
                "sip/2.0/unknown t4.example.com;branch=z9hG4bKasd0f3en",
                Some(("UNKNOWN", "t4.example.com", None, Some("z9hG4bKasd0f3en"))),
            ),
            (
                "SIP/2.0/UDP h ;branch=x",
                Some(("UDP", "h", None, Some("x"))),
            ),
            (
                "SIP/2.0/TCP sip33.example.com",
                Some(("TCP", "sip33.example.com", None, None)),
            ),
            ("SIP/2.0/UDP", None),
            ("SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw", None),
            ("SIP/2.0/UDP 192.0.2.15;;", None),
            ("SIP/2.0/UDP a b", None),
            ("SIP/2.0/UDP host:port", None),
            ("SIP/2.0/U\"DP host", None),
        ];
        for (input, want) in cases {
            let got = Via::parse(input);
            let got = got
                .as_ref()
                .map(|v| (v.transport.as_str(), v.host.as_str(), v.port, v.branch()));
            assert_eq!(got, *want, "{input}");
        }
    }

    #[test]
    fn branch_and_params() {
        let v = Via::parse("SIP/2.0/UDP h;branch=z9hG4bK1;received=192.0.2.9;rport=5062").unwrap();
        assert!(v.is_rfc3261_branch());
        assert_eq!(v.param("received"), Some("192.0.2.9"));
        assert!(v.has_param("RPORT"));
        assert!(
            !Via::parse("SIP/2.0/UDP h;branch=1")
                .unwrap()
                .is_rfc3261_branch()
        );
    }
}
