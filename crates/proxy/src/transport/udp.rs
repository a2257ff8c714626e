//! SIP over UDP (RFC 3261 §18.1.1, §18.2.1): one receive task that hands each datagram up
//! whole, and a non-blocking `try_send_to` for sending.
//!
//! A datagram made only of CR/LF (a keep-alive) or empty is ignored. When the inbound channel
//! is full the datagram is dropped and counted (`dialogd_transport_dropped_total`): the peer
//! retransmits, and a stalled proxy must not stall the socket. Sending never waits either: a
//! datagram the socket's send buffer cannot take now is lost, as it could be on the wire
//! ([`TransportError::UdpBufferFull`], counted by the caller), and the sender's transaction
//! retransmits (RFC 3261 §17.1.1.2). This file must not parse SIP
//! nor decide about message size: choosing TCP for large requests is the caller's job.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;

use super::{Inbound, TransportError, TransportKind};

/// Largest datagram we read.
const RECEIVE_BUFFER: usize = 65_535;

/// The UDP side of the transports.
pub(super) struct UdpTransport {
    socket: Arc<UdpSocket>,
}

impl UdpTransport {
    /// Spawns the receive loop on `socket`.
    pub(super) fn start(
        socket: UdpSocket,
        local: SocketAddr,
        inbound: mpsc::Sender<Inbound>,
        cancel: CancellationToken,
    ) -> Arc<UdpTransport> {
        let socket = Arc::new(socket);
        tokio::spawn(receive_loop(Arc::clone(&socket), local, inbound, cancel));
        Arc::new(UdpTransport { socket })
    }

    /// Hands one datagram for `dest` to the kernel, without waiting for room.
    pub(super) fn send(&self, dest: SocketAddr, data: &[u8]) -> Result<(), TransportError> {
        match self.socket.try_send_to(data, dest) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                Err(TransportError::UdpBufferFull { peer: dest })
            }
            Err(source) => Err(TransportError::UdpSend { peer: dest, source }),
        }
    }
}

async fn receive_loop(
    socket: Arc<UdpSocket>,
    local: SocketAddr,
    inbound: mpsc::Sender<Inbound>,
    cancel: CancellationToken,
) {
    let mut buf = vec![0u8; RECEIVE_BUFFER];
    loop {
        let received = tokio::select! {
            _ = cancel.cancelled() => break,
            r = socket.recv_from(&mut buf) => r,
        };
        let (n, source) = match received {
            Ok(r) => r,
            Err(e) => {
                // ICMP errors surface here on some systems; the socket stays usable.
                tracing::debug!(error = %e, "udp receive failed");
                continue;
            }
        };
        let datagram = &buf[..n];
        if is_keep_alive(datagram) {
            continue;
        }
        metrics::counter!("dialogd_sip_messages_in_total", "transport" => "udp").increment(1);
        let msg = Inbound {
            data: Bytes::copy_from_slice(datagram),
            source,
            transport: TransportKind::Udp,
            local,
            received: tokio::time::Instant::now(),
        };
        match inbound.try_send(msg) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                metrics::counter!("dialogd_transport_dropped_total", "transport" => "udp")
                    .increment(1);
                tracing::debug!(%source, "inbound queue full, udp datagram dropped");
            }
            Err(TrySendError::Closed(_)) => {
                tracing::debug!("inbound queue closed, udp receive loop ends");
                break;
            }
        }
    }
    tracing::debug!(%local, "udp receive loop ended");
}

/// An empty datagram or one of CR/LF only (RFC 5626 §4.4.1 keep-alives sent over UDP by some
/// user agents).
fn is_keep_alive(datagram: &[u8]) -> bool {
    datagram.iter().all(|&b| b == b'\r' || b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_alives_are_recognised() {
        let cases: &[(&[u8], bool)] = &[
            (b"", true),
            (b"\r\n", true),
            (b"\r\n\r\n", true),
            (b"\n", true),
            (b"OPTIONS sip:a SIP/2.0\r\n\r\n", false),
            (b"\r\nx", false),
            (b"\0", false),
        ];
        for (input, expected) in cases {
            assert_eq!(is_keep_alive(input), *expected, "{input:?}");
        }
    }
}
