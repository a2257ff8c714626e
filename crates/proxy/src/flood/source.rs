//! [`SourceKey`]: what the flood guard counts under — one IPv4 address, or one IPv6 /64.
//!
//! An IPv4 source is counted per address (an IPv4-mapped IPv6 peer, `::ffff:a.b.c.d`, as the
//! IPv4 address it carries). An IPv6 source is counted per /64: RFC 4291 §2.5.1 gives every
//! link a /64 and SLAAC (RFC 4862) or privacy addresses (RFC 8981) let one host take any of its
//! 2^64 addresses at will, so counting per address would let a single host both escape the
//! limit and fill the source table. A whole site behind one /64 shares one budget, as a whole
//! site behind one IPv4 NAT address does.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::policy::cidr::canonical;

/// The unit of counting: an IPv4 address or an IPv6 /64 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKey {
    /// One IPv4 address.
    V4(Ipv4Addr),
    /// The upper 64 bits of an IPv6 address.
    V6Prefix64(u64),
}

impl SourceKey {
    /// The key a packet from `ip` is counted under.
    pub fn of(ip: IpAddr) -> SourceKey {
        match canonical(ip) {
            IpAddr::V4(v4) => SourceKey::V4(v4),
            IpAddr::V6(v6) => {
                let prefix = (u128::from(v6) >> 64) as u64;
                SourceKey::V6Prefix64(prefix)
            }
        }
    }
}

impl fmt::Display for SourceKey {
    /// `192.0.2.7`, or `2001:db8:1:2::/64`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceKey::V4(v4) => write!(f, "{v4}"),
            SourceKey::V6Prefix64(prefix) => {
                write!(f, "{}/64", Ipv6Addr::from(u128::from(*prefix) << 64))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> SourceKey {
        SourceKey::of(s.parse().unwrap())
    }

    #[test]
    fn ipv4_counts_per_address_and_mapped_is_ipv4() {
        assert_eq!(key("192.0.2.7"), key("::ffff:192.0.2.7"));
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"));
        assert_eq!(key("192.0.2.7").to_string(), "192.0.2.7");
    }

    #[test]
    fn ipv6_counts_per_64() {
        assert_eq!(
            key("2001:db8:1:2::1"),
            key("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("2001:db8:1:2::99").to_string(), "2001:db8:1:2::/64");
        assert_ne!(key("::1"), key("0.0.0.1"));
    }
}
