//! A raw SIP peer on 127.0.0.1 for messages no real user agent would send: forged in-dialog
//! requests, malformed requests, garbage bytes. It sends exactly the bytes it is given (UDP
//! datagrams, or a TCP stream it connected) and hands back what arrives, framed (one datagram,
//! or Content-Length framing on TCP) and wrapped in a [`SipMessage`].
//!
//! Must not act as a SIP stack: no retransmissions, no automatic responses or ACKs; every receive
//! has a timeout.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::sip_message::{SipMessage, frame_len};
use crate::transport::Transport;

/// Largest datagram read.
const MAX_DATAGRAM: usize = 65_535;

#[derive(Debug)]
enum Socket {
    Udp(UdpSocket),
    Tcp {
        stream: TcpStream,
        remote: SocketAddr,
    },
}

/// See the module doc.
#[derive(Debug)]
pub struct RawSipPeer {
    socket: Socket,
    local: SocketAddr,
    /// TCP bytes read but not yet framed.
    pending: Vec<u8>,
    closed: bool,
}

impl RawSipPeer {
    /// A UDP socket on 127.0.0.1, port chosen by the OS.
    pub fn udp() -> Result<RawSipPeer> {
        let socket = UdpSocket::bind("127.0.0.1:0").context("cannot bind a UDP socket")?;
        let local = socket.local_addr()?;
        Ok(RawSipPeer {
            socket: Socket::Udp(socket),
            local,
            pending: Vec::new(),
            closed: false,
        })
    }

    /// A TCP connection from 127.0.0.1 to `remote`.
    pub fn tcp(remote: SocketAddr) -> Result<RawSipPeer> {
        let stream = TcpStream::connect_timeout(&remote, Duration::from_secs(5))
            .with_context(|| format!("cannot connect to {remote}"))?;
        stream.set_nodelay(true)?;
        let local = stream.local_addr()?;
        Ok(RawSipPeer {
            socket: Socket::Tcp { stream, remote },
            local,
            pending: Vec::new(),
            closed: false,
        })
    }

    /// A peer of `transport`: [`RawSipPeer::udp`], or [`RawSipPeer::tcp`] connected to `remote`.
    pub fn new(transport: Transport, remote: SocketAddr) -> Result<RawSipPeer> {
        match transport {
            Transport::Udp => RawSipPeer::udp(),
            Transport::Tcp => RawSipPeer::tcp(remote),
        }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub fn transport(&self) -> Transport {
        match self.socket {
            Socket::Udp(_) => Transport::Udp,
            Socket::Tcp { .. } => Transport::Tcp,
        }
    }

    /// Whether the TCP peer closed the connection (seen by a receive).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Sends `bytes` to `to` (UDP), or on the connection (TCP: `to` must be its remote).
    pub fn send_to(&mut self, to: SocketAddr, bytes: &[u8]) -> Result<()> {
        match &mut self.socket {
            Socket::Udp(socket) => {
                socket
                    .send_to(bytes, to)
                    .with_context(|| format!("cannot send to {to}"))?;
            }
            Socket::Tcp { stream, remote } => {
                if *remote != to {
                    bail!("TCP peer is connected to {remote}, not {to}");
                }
                stream
                    .write_all(bytes)
                    .with_context(|| format!("cannot write to {remote}"))?;
            }
        }
        Ok(())
    }

    /// The next message, or `None` if none arrived within `timeout` (or the TCP connection was
    /// closed: see [`RawSipPeer::is_closed`]).
    pub fn recv(&mut self, timeout: Duration) -> Result<Option<SipMessage>> {
        let deadline = Instant::now() + timeout;
        match &mut self.socket {
            Socket::Udp(socket) => {
                let mut buf = vec![0u8; MAX_DATAGRAM];
                loop {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(None);
                    }
                    socket.set_read_timeout(Some(left))?;
                    match socket.recv_from(&mut buf) {
                        Ok((n, source)) => {
                            // Bare CRLF keep-alives are not messages.
                            if buf[..n].iter().all(u8::is_ascii_whitespace) {
                                continue;
                            }
                            let mut message = SipMessage::parse(&buf[..n])?;
                            message.source = Some(source);
                            return Ok(Some(message));
                        }
                        Err(e) if is_timeout(&e) => return Ok(None),
                        // ICMP port unreachable from an earlier send: not a message.
                        Err(e) if e.kind() == ErrorKind::ConnectionRefused => continue,
                        Err(e) => return Err(e).context("cannot receive"),
                    }
                }
            }
            Socket::Tcp { stream, remote } => {
                let source = *remote;
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    while self.pending.starts_with(b"\r\n") {
                        self.pending.drain(..2);
                    }
                    if let Some(len) = frame_len(&self.pending)? {
                        let bytes: Vec<u8> = self.pending.drain(..len).collect();
                        let mut message = SipMessage::parse(&bytes)?;
                        message.source = Some(source);
                        return Ok(Some(message));
                    }
                    if self.closed {
                        return Ok(None);
                    }
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(None);
                    }
                    stream.set_read_timeout(Some(left))?;
                    match stream.read(&mut buf) {
                        Ok(0) => self.closed = true,
                        Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                        Err(e) if is_timeout(&e) => return Ok(None),
                        Err(e) if e.kind() == ErrorKind::ConnectionReset => self.closed = true,
                        Err(e) => return Err(e).context("cannot read"),
                    }
                }
            }
        }
    }

    /// The first message within `timeout` for which `wanted` holds; others are skipped (their
    /// first lines are listed in the error if none matches).
    pub fn recv_until(
        &mut self,
        timeout: Duration,
        mut wanted: impl FnMut(&SipMessage) -> bool,
    ) -> Result<SipMessage> {
        let deadline = Instant::now() + timeout;
        let mut skipped = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left)? {
                Some(message) if wanted(&message) => return Ok(message),
                Some(message) => skipped.push(format!(
                    "{} [CSeq: {}]",
                    message.first_line(),
                    message.header("CSeq").unwrap_or_default()
                )),
                None => bail!(
                    "no wanted message within {timeout:?}{}; skipped: {skipped:?}",
                    if self.closed {
                        " (connection closed)"
                    } else {
                        ""
                    }
                ),
            }
        }
    }

    /// The first final (>= 200) response whose CSeq method is `method`.
    pub fn recv_final(&mut self, timeout: Duration, method: &str) -> Result<SipMessage> {
        self.recv_until(timeout, |m| {
            m.status().is_some_and(|s| s >= 200) && m.cseq_method().as_deref() == Some(method)
        })
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

#[cfg(test)]
#[path = "raw_sip_tests.rs"]
mod tests;
