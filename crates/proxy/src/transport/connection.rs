//! One SIP-over-TCP connection (RFC 3261 §18.3): the serialised write half and the read loop
//! that cuts the byte stream into messages with [`dialogd_sip::framing::frame`].
//!
//! The read loop answers CRLFCRLF keep-alive pings with a CRLF pong (RFC 5626 §3.5.1), closes
//! the connection when nothing was read or written for the idle timeout, and on a stream that
//! cannot be framed answers 400 (when the header section can be read) and stops. Writers share
//! one `Mutex` around the write half, so two messages never interleave on the wire. This file
//! must not keep the connection table: [`super::tcp`] does.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use dialogd_sip::ParseError;
use dialogd_sip::framing::{self, Frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Mutex, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Inbound, TransportError, TransportKind};

/// Longest a single write may block (a peer that stops reading): 64×T1, like timers B and F.
pub(super) const WRITE_TIMEOUT: Duration = Duration::from_secs(32);
/// How long closing waits for a writer in progress before dropping the socket anyway.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Bytes asked of the kernel per read.
const READ_CHUNK: usize = 8 * 1024;
/// The keep-alive ping a peer sends and the pong we answer (RFC 5626 §3.5.1).
const PING: &[u8] = b"\r\n\r\n";
const PONG: &[u8] = b"\r\n";

/// An open TCP connection, shared by the table, the read loop and senders.
pub(super) struct Connection {
    pub(super) id: u64,
    pub(super) peer: SocketAddr,
    /// Reported as [`Inbound::local`].
    pub(super) local: SocketAddr,
    writer: Mutex<OwnedWriteHalf>,
    closed: CancellationToken,
    epoch: Instant,
    /// Milliseconds after `epoch` of the last successful read or write.
    last_activity_ms: AtomicU64,
}

impl Connection {
    pub(super) fn new(
        id: u64,
        peer: SocketAddr,
        local: SocketAddr,
        writer: OwnedWriteHalf,
        closed: CancellationToken,
    ) -> Connection {
        Connection {
            id,
            peer,
            local,
            writer: Mutex::new(writer),
            closed,
            epoch: Instant::now(),
            last_activity_ms: AtomicU64::new(0),
        }
    }

    /// Writes one whole message; waits for earlier writers. A failed write closes the
    /// connection.
    pub(super) async fn write(&self, data: &[u8]) -> Result<(), TransportError> {
        let peer = self.peer;
        if self.is_closed() {
            return Err(TransportError::Closed { peer });
        }
        let mut writer = self.writer.lock().await;
        let written = tokio::select! {
            _ = self.closed.cancelled() => return Err(TransportError::Closed { peer }),
            r = tokio::time::timeout(WRITE_TIMEOUT, writer.write_all(data)) => r,
        };
        match written {
            Ok(Ok(())) => {
                self.touch();
                Ok(())
            }
            Ok(Err(source)) => {
                self.close();
                Err(TransportError::Write { peer, source })
            }
            Err(_) => {
                self.close();
                Err(TransportError::WriteTimeout {
                    peer,
                    after: WRITE_TIMEOUT,
                })
            }
        }
    }

    /// True once the connection is closing: no more reads or writes.
    pub(super) fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// Marks the connection closing; the read loop ends and the socket is released.
    pub(super) fn close(&self) {
        self.closed.cancel();
    }

    /// Sends FIN once writers are done (or after [`CLOSE_TIMEOUT`]).
    pub(super) async fn shutdown_write(&self) {
        if let Ok(mut writer) = tokio::time::timeout(CLOSE_TIMEOUT, self.writer.lock()).await {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, writer.shutdown()).await;
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_activity_ms.store(ms, Ordering::Relaxed);
    }

    fn last_activity(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last_activity_ms.load(Ordering::Relaxed))
    }
}

/// Why a connection's read loop ended.
#[derive(Debug)]
pub(super) enum CloseReason {
    /// The peer closed its side.
    Eof,
    /// Nothing read or written for the idle timeout.
    Idle(Duration),
    Read(io::Error),
    /// The stream could not be framed; a 400 was sent if it could be built.
    Framing {
        error: ParseError,
        answered: bool,
    },
    /// Closed by us: shutdown, a failed write, or replaced by a newer connection.
    Closed,
    /// The proxy dropped its inbound receiver.
    InboundClosed,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Eof => f.write_str("closed by peer"),
            CloseReason::Idle(after) => write!(f, "idle for {after:?}"),
            CloseReason::Read(e) => write!(f, "read failed: {e}"),
            CloseReason::Framing {
                error,
                answered: true,
            } => write!(f, "{error} (answered 400)"),
            CloseReason::Framing {
                error,
                answered: false,
            } => write!(f, "{error}"),
            CloseReason::Closed => f.write_str("closed locally"),
            CloseReason::InboundClosed => f.write_str("inbound queue closed"),
        }
    }
}

/// Reads `conn` until it ends, handing each framed message to `inbound` (waiting when the
/// queue is full: TCP backpressure reaches the peer).
pub(super) async fn read_loop(
    conn: &Connection,
    mut reader: OwnedReadHalf,
    inbound: &mpsc::Sender<Inbound>,
    idle_timeout: Duration,
) -> CloseReason {
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    loop {
        loop {
            match framing::frame(&buf) {
                Ok(Frame::Message { skip, len }) => {
                    if is_ping(&buf[..skip]) {
                        let _ = conn.write(PONG).await;
                    }
                    buf.advance(skip);
                    let data = buf.split_to(len).freeze();
                    metrics::counter!("dialogd_sip_messages_in_total", "transport" => "tcp")
                        .increment(1);
                    let msg = Inbound {
                        data,
                        source: conn.peer,
                        transport: TransportKind::Tcp,
                        local: conn.local,
                        received: tokio::time::Instant::now(),
                    };
                    tokio::select! {
                        _ = conn.closed.cancelled() => return CloseReason::Closed,
                        r = inbound.send(msg) => if r.is_err() {
                            return CloseReason::InboundClosed;
                        },
                    }
                }
                Ok(Frame::KeepAlive { skip }) => {
                    if is_ping(&buf[..skip]) {
                        let _ = conn.write(PONG).await;
                    } else if skip < PING.len() {
                        break; // maybe the first half of a ping: wait for more
                    }
                    buf.advance(skip);
                }
                Ok(Frame::Incomplete) => break,
                Err(error) => {
                    let answered = match bad_request(&buf, &error) {
                        Some(response) => conn.write(&response).await.is_ok(),
                        None => false,
                    };
                    return CloseReason::Framing { error, answered };
                }
            }
        }
        if buf.capacity() - buf.len() < READ_CHUNK / 2 {
            buf.reserve(READ_CHUNK);
        }
        let idle_at = conn.last_activity() + idle_timeout;
        tokio::select! {
            _ = conn.closed.cancelled() => return CloseReason::Closed,
            _ = tokio::time::sleep_until(idle_at) => {
                if conn.last_activity() + idle_timeout <= Instant::now() {
                    return CloseReason::Idle(idle_timeout);
                }
            }
            r = reader.read_buf(&mut buf) => match r {
                Ok(0) => return CloseReason::Eof,
                Ok(_) => conn.touch(),
                Err(e) => return CloseReason::Read(e),
            },
        }
    }
}

/// True if the skipped keep-alive bytes hold a ping.
fn is_ping(skipped: &[u8]) -> bool {
    skipped.windows(PING.len()).any(|w| w == PING)
}

/// A 400 answering the request whose header section starts `stream`, if that section can be
/// read and the message is a request other than ACK (RFC 3261 §8.2.6, §17.2.1). Content-Length
/// lines are left out when indexing, since a bad one is what framing usually rejects.
fn bad_request(stream: &[u8], error: &ParseError) -> Option<Bytes> {
    let start = stream.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let data = &stream[start..];
    let head = &data[..header_end(data)?];
    dialogd_sip::build_bad_request(head, &error.to_string())
}

/// Length of the header section including its empty line (CRLFCRLF or LFLF).
fn header_end(data: &[u8]) -> Option<usize> {
    let crlf = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = data.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
#[path = "connection_tests.rs"]
mod tests;
