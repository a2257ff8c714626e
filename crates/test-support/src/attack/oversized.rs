//! One-shot oversized messages: what a proxy must refuse without holding on to it (RFC 3261
//! §18.1.1 leaves room for messages past the MTU on TCP; §21.5.14 answers 513 Message Too Large;
//! a UDP datagram carries at most [`UDP_MAX_PAYLOAD`] bytes).
//!
//! - [`many_headers`]: an INVITE padded to an exact size with thousands of short headers
//!   (`X-P1: x`, `X-P2: x`, ...), a header table's worst case;
//! - [`one_long_header`]: an INVITE with one header line of a given length;
//! - [`over_64k_tcp`]: an INVITE over 64 KB (only TCP can carry it), sent whole with
//!   [`send_over_tcp`], which reports whether the target answered, closed or stayed silent.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Result;

use super::messages::{Fresh, invite};
use crate::raw_sip::RawSipPeer;
use crate::sip_message::SipMessage;
use crate::transport::Transport;

/// The most a UDP datagram over IPv4 carries (65,535 minus the IP and UDP headers).
pub const UDP_MAX_PAYLOAD: usize = 65_507;
/// Size of [`many_headers`] as the attacks use it: 64 KB that still fits one datagram.
pub const MANY_HEADERS_SIZE: usize = 64_000;
/// Length of the one header of [`one_long_header`] as the attacks use it.
pub const LONG_HEADER_SIZE: usize = 60_000;
/// Size of [`over_64k_tcp`].
pub const OVER_64K_SIZE: usize = 70_000;

/// The salt of the oversized INVITEs' identifiers.
const SALT: u64 = 0x0b5e_5123;

/// An INVITE from `local` to `request_uri` of exactly `total` bytes (at least the size of the
/// bare INVITE), padded with short `X-P<n>: x` headers.
pub fn many_headers(
    transport: Transport,
    local: SocketAddr,
    request_uri: &str,
    total: usize,
) -> Vec<u8> {
    let fresh = Fresh::new(total as u64, SALT);
    let bare = invite(transport, local, request_uri, &fresh, &[]).len();
    let mut pads: Vec<(String, String)> = Vec::new();
    let mut size = bare;
    loop {
        let name = format!("X-P{}", pads.len() + 1);
        // `name: x\r\n`
        let line = name.len() + 5;
        if size + line > total {
            break;
        }
        size += line;
        pads.push((name, "x".to_string()));
    }
    // The few bytes left lengthen the first value.
    if let Some((_, value)) = pads.first_mut() {
        value.push_str(&"x".repeat(total.saturating_sub(size)));
    }
    let extra: Vec<(&str, &str)> = pads.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    invite(transport, local, request_uri, &fresh, &extra)
}

/// An INVITE from `local` to `request_uri` with one `X-Long` header whose value is `length`
/// bytes.
pub fn one_long_header(
    transport: Transport,
    local: SocketAddr,
    request_uri: &str,
    length: usize,
) -> Vec<u8> {
    let value = "a".repeat(length);
    invite(
        transport,
        local,
        request_uri,
        &Fresh::new(length as u64, SALT),
        &[("X-Long", &value)],
    )
}

/// An INVITE of [`OVER_64K_SIZE`] bytes with a TCP Via (many short headers).
pub fn over_64k_tcp(local: SocketAddr, request_uri: &str) -> Vec<u8> {
    many_headers(Transport::Tcp, local, request_uri, OVER_64K_SIZE)
}

/// What the target did with a message sent by [`send_over_tcp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpVerdict {
    /// A message came back (a 513, a 400, ...).
    Answered(SipMessage),
    /// The target closed or reset the connection without a message.
    Closed,
    /// Nothing within the wait, connection still open.
    Silent,
}

/// Connects from 127.0.0.1 to `target` ([`RawSipPeer::tcp`]), writes `bytes`, and waits up to
/// `wait` for what the target does.
pub fn send_over_tcp(target: SocketAddr, bytes: &[u8], wait: Duration) -> Result<TcpVerdict> {
    let mut peer = RawSipPeer::tcp(target)?;
    // A target that refuses mid-way resets the connection under the write: still read what
    // it may have answered first.
    let _ = peer.send_to(target, bytes);
    let answer = peer.recv(wait).unwrap_or(None);
    Ok(match answer {
        Some(message) => TcpVerdict::Answered(message),
        None if peer.is_closed() => TcpVerdict::Closed,
        None => TcpVerdict::Silent,
    })
}

/// The builders' shape: sizes hit exactly and the messages read as SIP.
#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::net::TcpListener;
    use std::thread;

    use super::*;

    const URI: &str = "sip:bob@127.0.0.1:5060";

    fn local() -> SocketAddr {
        "127.0.0.2:5070".parse().unwrap()
    }

    #[test]
    fn many_headers_is_exactly_the_size_asked_with_thousands_of_headers() {
        let bytes = many_headers(Transport::Udp, local(), URI, MANY_HEADERS_SIZE);
        assert_eq!(bytes.len(), MANY_HEADERS_SIZE);
        assert!(bytes.len() <= UDP_MAX_PAYLOAD);
        let m = SipMessage::parse(&bytes).unwrap();
        assert_eq!(m.method(), Some("INVITE"));
        assert_eq!(m.headers("X-P1").len(), 1);
        let pads = m.text().matches("\r\nX-P").count();
        assert!(pads > 4_000, "{pads} padding headers");
        assert_eq!(
            m.header("Content-Length").unwrap(),
            m.body().len().to_string()
        );
        assert!(
            m.header("Via")
                .unwrap()
                .starts_with("SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK")
        );
    }

    #[test]
    fn one_long_header_carries_a_single_line_of_the_length_asked() {
        let bytes = one_long_header(Transport::Udp, local(), URI, LONG_HEADER_SIZE);
        assert!(bytes.len() > LONG_HEADER_SIZE && bytes.len() <= UDP_MAX_PAYLOAD);
        let m = SipMessage::parse(&bytes).unwrap();
        assert_eq!(m.header("X-Long").unwrap().len(), LONG_HEADER_SIZE);
        assert_eq!(m.header("CSeq").as_deref(), Some("1 INVITE"));
    }

    #[test]
    fn over_64k_goes_whole_over_tcp_and_a_silent_target_is_reported() {
        let bytes = over_64k_tcp(local(), URI);
        assert_eq!(bytes.len(), OVER_64K_SIZE);
        assert!(
            SipMessage::parse(&bytes)
                .unwrap()
                .header("Via")
                .unwrap()
                .starts_with("SIP/2.0/TCP")
        );

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let target = listener.local_addr().unwrap();
        let reader = thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut got = vec![0u8; OVER_64K_SIZE];
            stream.read_exact(&mut got).unwrap();
            (got, stream)
        });
        let verdict = send_over_tcp(target, &bytes, Duration::from_millis(300)).unwrap();
        let (got, _open) = reader.join().unwrap();
        assert_eq!(got, bytes);
        assert_eq!(verdict, TcpVerdict::Silent);
    }
}
