//! [`InviteFlood`]: syntactically valid INVITEs, each with a fresh Call-ID, From tag and branch
//! (so each is a new transaction and a new dialog to a proxy, RFC 3261 §17.2.3), at a set rate
//! from one local address and port, to a configurable request-URI: a real callee, or a next hop
//! that never answers (`sip:x@127.0.0.99;transport=tcp` behind a blackhole).
//!
//! ```text
//!   sender thread ── INVITE #n (paced) ──▶ target
//!   reader thread ◀── 100 / 503 / 408 ...  counted by status code
//! ```
//!
//! The reader keeps reading the whole time, so the flood's own receive buffer never fills and
//! every answer is counted (retransmitted final responses included: the flood sends no ACK,
//! as a flooder would not).

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};

use super::messages::{Fresh, invite};
use super::worker::{Worker, run_paced};
use crate::sip_message::SipMessage;
use crate::transport::Transport;

/// How long the reader keeps counting answers after the sender stopped.
const DRAIN: Duration = Duration::from_millis(500);
/// The reader's receive timeout (how soon it sees the stop flag).
const READ_TIMEOUT: Duration = Duration::from_millis(50);

/// An INVITE flood to start. See the module doc.
#[derive(Debug, Clone)]
pub struct InviteFlood {
    target: SocketAddr,
    request_uri: String,
    local: SocketAddr,
    per_second: f64,
    salt: u64,
}

/// What an [`InviteFlood`] sent and got back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InviteFloodCounts {
    pub sent: u64,
    pub send_errors: u64,
    /// Responses received, by status code (retransmissions counted each time).
    pub responses: BTreeMap<u16, u64>,
    /// Requests received (a proxy may send none; counted to see it).
    pub requests: u64,
    /// Datagrams that are not SIP.
    pub unparsable: u64,
}

impl InviteFloodCounts {
    /// Responses of `status`.
    pub fn status(&self, status: u16) -> u64 {
        self.responses.get(&status).copied().unwrap_or(0)
    }

    /// Responses of any status.
    pub fn responses_total(&self) -> u64 {
        self.responses.values().sum()
    }
}

/// A running [`InviteFlood`]; stopped by [`InviteFloodHandle::stop`] or on drop.
#[derive(Debug)]
pub struct InviteFloodHandle {
    sender: Worker<(u64, u64)>,
    reader: Worker<InviteFloodCounts>,
    local: SocketAddr,
}

impl InviteFlood {
    /// 100 INVITEs a second to `target` (where the datagrams go: the proxy) for `request_uri`
    /// (the callee they name), from 127.0.0.1 on a port chosen by the OS.
    pub fn new(target: SocketAddr, request_uri: &str) -> InviteFlood {
        InviteFlood {
            target,
            request_uri: request_uri.to_string(),
            local: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            per_second: 100.0,
            salt: rand::random(),
        }
    }

    /// The local address and port to send from (port 0: chosen by the OS).
    pub fn source(mut self, local: SocketAddr) -> InviteFlood {
        self.local = local;
        self
    }

    /// INVITEs per second.
    pub fn rate(mut self, per_second: f64) -> InviteFlood {
        self.per_second = per_second;
        self
    }

    /// Binds the socket and starts sending and reading.
    pub fn start(self) -> Result<InviteFloodHandle> {
        let socket = UdpSocket::bind(self.local)
            .with_context(|| format!("cannot bind a UDP socket on {}", self.local))?;
        let local = socket.local_addr()?;
        let reading = socket
            .try_clone()
            .context("cannot clone the flood socket")?;
        reading.set_read_timeout(Some(READ_TIMEOUT))?;
        socket.set_nonblocking(true)?;
        let reader = Worker::spawn("attack-invite-flood-reader", move |stop| {
            read(&reading, stop)
        })?;
        let InviteFlood {
            target,
            request_uri,
            per_second,
            salt,
            ..
        } = self;
        let sender = Worker::spawn("attack-invite-flood", move |stop| {
            let (mut sent, mut errors) = (0u64, 0u64);
            run_paced(stop, per_second, || {
                let fresh = Fresh::new(sent + errors, salt);
                let bytes = invite(Transport::Udp, local, &request_uri, &fresh, &[]);
                match socket.send_to(&bytes, target) {
                    Ok(_) => sent += 1,
                    Err(_) => errors += 1,
                }
            });
            (sent, errors)
        })?;
        Ok(InviteFloodHandle {
            sender,
            reader,
            local,
        })
    }
}

/// Counts every datagram until `stop`.
fn read(socket: &UdpSocket, stop: &AtomicBool) -> InviteFloodCounts {
    let mut counts = InviteFloodCounts::default();
    let mut buf = vec![0u8; 65_535];
    while !stop.load(Ordering::Relaxed) {
        match socket.recv_from(&mut buf) {
            Ok((n, _)) => match SipMessage::parse(&buf[..n]) {
                Ok(m) if m.is_response() => match m.status() {
                    Some(status) => *counts.responses.entry(status).or_default() += 1,
                    None => counts.unparsable += 1,
                },
                Ok(m) if m.first_line().ends_with(" SIP/2.0") => counts.requests += 1,
                _ => counts.unparsable += 1,
            },
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            // ICMP errors from earlier sends, reported on this socket: not datagrams.
            Err(_) => thread::sleep(READ_TIMEOUT),
        }
    }
    counts
}

impl InviteFloodHandle {
    /// The address the INVITEs come from (their Via and Contact).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Stops sending, keeps counting answers a moment longer, and returns the counts.
    pub fn stop(self) -> InviteFloodCounts {
        let (sent, send_errors) = self.sender.finish();
        thread::sleep(DRAIN);
        let mut counts = self.reader.finish();
        counts.sent = sent;
        counts.send_errors = send_errors;
        counts
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::attack::messages::reason;

    /// A stand-in proxy answering every INVITE with 100 and 503.
    #[test]
    fn fresh_invites_arrive_and_every_answer_is_counted_by_status() {
        let proxy = UdpSocket::bind("127.0.0.1:0").unwrap();
        proxy
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let flood = InviteFlood::new(
            proxy.local_addr().unwrap(),
            "sip:x@127.0.0.99;transport=tcp",
        )
        .source(SocketAddr::from(([127, 0, 0, 3], 0)))
        .rate(400.0)
        .start()
        .unwrap();
        let mut call_ids = BTreeSet::new();
        let mut buf = vec![0u8; 65_535];
        for _ in 0..20 {
            let (n, from) = proxy.recv_from(&mut buf).unwrap();
            assert_eq!(from.ip(), "127.0.0.3".parse::<std::net::IpAddr>().unwrap());
            let invite = SipMessage::parse(&buf[..n]).unwrap();
            assert_eq!(
                invite.first_line(),
                "INVITE sip:x@127.0.0.99;transport=tcp SIP/2.0"
            );
            call_ids.insert(invite.header("Call-ID").unwrap());
            for status in [100u16, 503] {
                let answer = SipMessage::compose(
                    &format!("SIP/2.0 {status} {}", reason(status)),
                    &[
                        ("Via", &invite.header("Via").unwrap()),
                        ("Call-ID", &invite.header("Call-ID").unwrap()),
                        ("CSeq", "1 INVITE"),
                    ],
                    "",
                );
                proxy.send_to(&answer, from).unwrap();
            }
        }
        proxy.send_to(b"\x00garbage", flood.local_addr()).unwrap();
        let counts = flood.stop();
        assert_eq!(call_ids.len(), 20, "every INVITE has its own Call-ID");
        assert!(counts.sent >= 20, "{counts:?}");
        assert_eq!(counts.status(100), 20, "{counts:?}");
        assert_eq!(counts.status(503), 20, "{counts:?}");
        assert_eq!(counts.responses_total(), 40);
        assert_eq!(counts.unparsable, 1, "{counts:?}");
    }
}
