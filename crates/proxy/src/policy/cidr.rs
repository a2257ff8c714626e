//! [`Cidr`]: an IP network (`10.0.0.0/8`, `2001:db8::/32`) or a single address, for a rule's
//! `match.src_ip`. An IPv4-mapped IPv6 source (`::ffff:10.1.2.3`, what a socket bound to `::`
//! reports for IPv4 peers) is compared as the IPv4 address it carries.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::PolicyErrorKind;

/// An address prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `ip` or `ip/prefix`. Host bits set after the prefix are refused (a typo more
    /// often than not): the error suggests the network meant.
    pub fn parse(s: &str) -> Result<Cidr, PolicyErrorKind> {
        let bad = || PolicyErrorKind::Cidr(s.to_owned());
        let text = s.trim();
        let (ip, prefix) = match text.split_once('/') {
            Some((ip, p)) => (ip, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = ip.parse().map_err(|_| bad())?;
        let max = max_prefix(addr);
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|&n| n <= max).ok_or_else(bad)?
            }
            Some(_) => return Err(bad()),
        };
        let cidr = Cidr { addr, prefix };
        let network = cidr.network();
        if network != addr {
            return Err(PolicyErrorKind::CidrHostBits {
                value: s.to_owned(),
                suggestion: Cidr {
                    addr: network,
                    prefix,
                }
                .to_string(),
            });
        }
        Ok(cidr)
    }

    /// True if `ip` is inside this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = mask32(self.prefix);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = mask128(self.prefix);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    fn network(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(self.prefix))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(self.prefix))),
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it carries; any other address unchanged.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn max_prefix(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("127.0.0.0/8", "127.0.0.1", true),
            ("127.0.0.0/8", "128.0.0.1", false),
            ("10.1.2.3", "10.1.2.3", true),
            ("10.1.2.3", "10.1.2.4", false),
            ("10.1.2.3/32", "10.1.2.3", true),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("0.0.0.0/0", "2001:db8::1", false),
            ("192.168.0.0/23", "192.168.1.255", true),
            ("192.168.0.0/23", "192.168.2.0", false),
            ("10.0.0.0/8", "::ffff:10.9.8.7", true),
            ("2001:db8::/32", "2001:db8:ffff::1", true),
            ("2001:db8::/32", "2001:db9::1", false),
            ("::/0", "::1", true),
            ("::1", "::1", true),
            ("::1", "127.0.0.1", false),
            ("fe80::/10", "febf::1", true),
            ("fe80::/10", "fec0::1", false),
        ];
        for (net, ip, want) in cases {
            let cidr = Cidr::parse(net).unwrap();
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(cidr.contains(ip), *want, "{net} contains {ip}");
        }
    }

    #[test]
    fn parse_errors_table() {
        let cases: &[(&str, PolicyErrorKind)] = &[
            ("", PolicyErrorKind::Cidr("".into())),
            ("10.0.0.0/", PolicyErrorKind::Cidr("10.0.0.0/".into())),
            ("10.0.0.0/33", PolicyErrorKind::Cidr("10.0.0.0/33".into())),
            ("10.0.0.0/-1", PolicyErrorKind::Cidr("10.0.0.0/-1".into())),
            ("::/129", PolicyErrorKind::Cidr("::/129".into())),
            ("localhost", PolicyErrorKind::Cidr("localhost".into())),
            ("10.0.0/8", PolicyErrorKind::Cidr("10.0.0/8".into())),
            (
                "10.0.0.1/8",
                PolicyErrorKind::CidrHostBits {
                    value: "10.0.0.1/8".into(),
                    suggestion: "10.0.0.0/8".into(),
                },
            ),
            (
                "2001:db8::1/32",
                PolicyErrorKind::CidrHostBits {
                    value: "2001:db8::1/32".into(),
                    suggestion: "2001:db8::/32".into(),
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(Cidr::parse(input).unwrap_err(), *want, "{input:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in ["10.0.0.0/8", "127.0.0.1/32", "2001:db8::/32", "::1/128"] {
            assert_eq!(Cidr::parse(s).unwrap().to_string(), s);
        }
    }
}
