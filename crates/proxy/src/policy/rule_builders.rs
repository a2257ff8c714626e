//! Rule and request builders shared by the policy's test files.

use std::net::SocketAddr;

use bytes::Bytes;
use dialogd_dialog::{ProfileKey, ProfileMembership};
use dialogd_sip::SipMessage;

use super::{ProfileConfig, RuleConfig};

pub fn rule(f: impl FnOnce(&mut RuleConfig)) -> RuleConfig {
    let mut r = RuleConfig::default();
    f(&mut r);
    r
}

pub fn named(name: &str, f: impl FnOnce(&mut RuleConfig)) -> RuleConfig {
    rule(|r| {
        r.name = Some(name.into());
        f(r);
    })
}

pub fn profile(name: &str, value: Option<&str>, limit: Option<u32>) -> ProfileConfig {
    ProfileConfig {
        name: name.into(),
        value: value.map(Into::into),
        limit,
    }
}

pub fn membership(name: &str, value: Option<&str>, limit: Option<u32>) -> ProfileMembership {
    let key = match value {
        Some(v) => ProfileKey::with_value(name, v),
        None => ProfileKey::plain(name),
    };
    ProfileMembership { key, limit }
}

/// A request: method, request-URI, From URI, To URI, extra header lines.
pub fn request(method: &str, ruri: &str, from: &str, to: &str, extra: &[&str]) -> SipMessage {
    let mut s = format!(
        "{method} {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK77\r\n\
         From: <{from}>;tag=f1\r\nTo: <{to}>\r\nCall-ID: call-1@192.0.2.1\r\nCSeq: 1 {method}\r\n"
    );
    for h in extra {
        s.push_str(h);
        s.push_str("\r\n");
    }
    s.push_str("Content-Length: 0\r\n\r\n");
    SipMessage::parse(Bytes::from(s)).unwrap()
}

pub fn invite(from_user: &str, extra: &[&str]) -> SipMessage {
    request(
        "INVITE",
        "sip:1001@pbx.example.com",
        &format!("sip:{from_user}@a.example.com"),
        "sip:1001@pbx.example.com",
        extra,
    )
}

pub fn src(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub const LAN: &str = "10.1.2.3:5060";
