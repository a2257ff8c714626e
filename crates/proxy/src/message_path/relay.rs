//! The relay policy: where an initial request may be forwarded when no rule named its next
//! hop. A proxy that forwards anything anywhere is an open relay: toll fraud through it, scans
//! of other hosts from its address. So a destination must be inside `[proxy] relay_allow`
//! (CIDRs matched against the resolved address, or host names matched against the URI's host);
//! anything else is answered 403 "Relaying Forbidden" (Kamailio's default script answers 403
//! to requests for foreign domains the same way). A rule's `next_hop` is the operator's own
//! choice and is always allowed.
//!
//! The default allows loopback only, so the embedded single-node default works on one
//! machine and nothing is relayed elsewhere until the operator says where.
//!
//! Main type: [`RelayPolicy`]. It must not resolve names: the caller passes the host as
//! written and the address it resolved to.

use std::fmt;
use std::net::IpAddr;

use crate::policy::cidr::Cidr;

/// Default `relay_allow`: loopback.
pub const DEFAULT_RELAY_ALLOW: &[&str] = &["127.0.0.0/8", "::1/128"];

/// One entry of `relay_allow`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
    Net(Cidr),
    /// A host name, lower-case, matched exactly against the URI's host.
    Host(String),
}

/// Where initial requests may be relayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayPolicy {
    allowed: Vec<Allowed>,
}

/// A `relay_allow` entry that is neither an address, a CIDR nor a host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayEntryError {
    pub entry: String,
    pub reason: String,
}

impl fmt::Display for RelayEntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {}", self.entry, self.reason)
    }
}

impl Default for RelayPolicy {
    fn default() -> Self {
        let allowed = DEFAULT_RELAY_ALLOW
            .iter()
            .filter_map(|c| Cidr::parse(c).ok().map(Allowed::Net))
            .collect();
        RelayPolicy { allowed }
    }
}

impl RelayPolicy {
    /// Parses `relay_allow`: each entry an IP address, a CIDR (`10.0.0.0/8`) or a host name
    /// (`pbx.example.com`). An empty list allows nothing but rule next hops.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<RelayPolicy, RelayEntryError> {
        let mut allowed = Vec::new();
        for entry in entries {
            let entry = entry.as_ref().trim();
            let looks_like_address = entry.contains('/')
                || entry.contains(':')
                || entry.parse::<IpAddr>().is_ok()
                || entry.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            if looks_like_address {
                let net = Cidr::parse(entry).map_err(|e| RelayEntryError {
                    entry: entry.to_owned(),
                    reason: e.to_string(),
                })?;
                allowed.push(Allowed::Net(net));
            } else if is_host_name(entry) {
                allowed.push(Allowed::Host(entry.to_ascii_lowercase()));
            } else {
                return Err(RelayEntryError {
                    entry: entry.to_owned(),
                    reason: "is not an IP address, a CIDR or a host name".to_owned(),
                });
            }
        }
        Ok(RelayPolicy { allowed })
    }

    /// True if `host` (as written in the URI) is allowed by name, before any resolution.
    pub fn allows_name(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allowed
            .iter()
            .any(|a| matches!(a, Allowed::Host(name) if name.eq_ignore_ascii_case(host)))
    }

    /// True if a request for `host` (as written in the URI), resolved to `ip`, may be relayed.
    pub fn allows(&self, host: &str, ip: IpAddr) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allowed.iter().any(|a| match a {
            Allowed::Net(net) => net.contains(ip),
            Allowed::Host(name) => name.eq_ignore_ascii_case(host),
        })
    }
}

/// RFC 1123 host name: dot-separated labels of letters, digits and hyphens.
fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn default_allows_loopback_only() {
        let p = RelayPolicy::default();
        assert!(p.allows("127.0.0.1", ip("127.0.0.1")));
        assert!(p.allows("localhost", ip("127.0.0.1")));
        assert!(p.allows("[::1]", ip("::1")));
        assert!(!p.allows("192.0.2.10", ip("192.0.2.10")));
        assert!(!p.allows("pbx.example.com", ip("10.0.0.5")));
    }

    #[test]
    fn cidrs_match_addresses_and_names_match_hosts() {
        let p = RelayPolicy::parse(&["10.0.0.0/8", "192.0.2.7", "PBX.example.com"]).unwrap();
        assert!(p.allows("10.1.2.3", ip("10.1.2.3")));
        assert!(
            p.allows("carrier.example.net", ip("10.9.9.9")),
            "by its address"
        );
        assert!(p.allows("192.0.2.7", ip("192.0.2.7")));
        assert!(!p.allows("192.0.2.8", ip("192.0.2.8")));
        assert!(
            p.allows("pbx.EXAMPLE.com", ip("198.51.100.1")),
            "by its name"
        );
        assert!(!p.allows("evil.example.com", ip("198.51.100.1")));
        assert!(
            !RelayPolicy::parse::<&str>(&[])
                .unwrap()
                .allows("127.0.0.1", ip("127.0.0.1"))
        );
    }

    #[test]
    fn bad_entries_are_named() {
        for bad in ["10.0.0.0/33", "300.1.1.1", "bad host", "-x.example.com", ""] {
            let e = RelayPolicy::parse(&[bad]).unwrap_err();
            assert_eq!(e.entry, bad.trim(), "{bad}");
        }
    }
}
