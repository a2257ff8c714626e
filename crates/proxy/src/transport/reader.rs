//! The read loop of one TCP connection: cuts the byte stream into messages with a
//! [`Framer`] (RFC 3261 §18.3) and hands each up as an [`Inbound`].
//!
//! It answers CRLFCRLF keep-alive pings with a CRLF pong (RFC 5626 §3.5.1) and, on a stream
//! that cannot be framed, queues a 400 (when the header section can be read, RFC 3261 §8.2.6)
//! as the connection's last message and stops. Two clocks close a connection:
//! - the message timeout: once the first byte of a message has arrived, the whole message must
//!   arrive within `tcp_message_timeout`; an accepted connection starts with this clock running,
//!   so it must deliver a first message or ping in time (slowloris, idle connect floods);
//! - the idle timeout: no complete message, ping or successful write for `tcp_idle_timeout`.
//!
//! Stray bytes move neither clock back. Pongs go through the connection's write queue, so the
//! loop never waits on a write. It must not keep the table nor write to the socket itself.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use dialogd_sip::ParseError;
use dialogd_sip::framing::{Frame, Framer};
use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::connection::{CloseReason, Connection};
use super::{Inbound, TransportKind};

/// Bytes asked of the kernel per read.
const READ_CHUNK: usize = 8 * 1024;
/// The keep-alive ping a peer sends and the pong we answer (RFC 5626 §3.5.1).
const PING: &[u8] = b"\r\n\r\n";
const PONG: &[u8] = b"\r\n";

/// The read side's clocks.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReadTimeouts {
    pub(super) idle: Duration,
    pub(super) message: Duration,
}

/// Reads `conn` until it ends, handing each framed message to `inbound` (waiting when the
/// queue is full: TCP backpressure reaches the peer). `first_message_by`, when set, is when
/// the first message or ping must have arrived.
pub(super) async fn read_loop(
    conn: &Connection,
    mut reader: OwnedReadHalf,
    local: SocketAddr,
    inbound: &mpsc::Sender<Inbound>,
    timeouts: ReadTimeouts,
    first_message_by: Option<Instant>,
) -> CloseReason {
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let mut framer = Framer::new();
    let mut message_by = first_message_by;
    loop {
        loop {
            match framer.next(&buf) {
                Ok(Frame::Message { skip, len }) => {
                    if is_ping(&buf[..skip]) {
                        let _ = conn.send(Bytes::from_static(PONG), None);
                    }
                    buf.advance(skip);
                    let data = buf.split_to(len).freeze();
                    conn.touch();
                    message_by = None;
                    metrics::counter!("dialogd_sip_messages_in_total", "transport" => "tcp")
                        .increment(1);
                    let msg = Inbound {
                        data,
                        source: conn.peer,
                        transport: TransportKind::Tcp,
                        local,
                        received: Instant::now(),
                    };
                    tokio::select! {
                        _ = conn.closing() => return CloseReason::Closed,
                        r = inbound.send(msg) => if r.is_err() {
                            return CloseReason::InboundClosed;
                        },
                    }
                }
                Ok(Frame::KeepAlive { skip }) => {
                    if is_ping(&buf[..skip]) {
                        let _ = conn.send(Bytes::from_static(PONG), None);
                        conn.touch();
                        message_by = None;
                    } else if skip < PING.len() {
                        break; // maybe the first half of a ping: wait for more
                    }
                    buf.advance(skip);
                }
                Ok(Frame::Incomplete) => break,
                Err(error) => {
                    let answered = bad_request(&buf, &error).is_some_and(|r| conn.send_last(r));
                    return CloseReason::Framing { error, answered };
                }
            }
        }
        if message_by.is_none() && message_started(&buf) {
            message_by = Some(Instant::now() + timeouts.message);
        }
        if buf.capacity() - buf.len() < READ_CHUNK / 2 {
            buf.reserve(READ_CHUNK);
        }
        let idle_at = conn.last_activity() + timeouts.idle;
        let wake_at = message_by.map_or(idle_at, |by| by.min(idle_at));
        tokio::select! {
            _ = conn.closing() => return CloseReason::Closed,
            _ = tokio::time::sleep_until(wake_at) => {
                let now = Instant::now();
                if message_by.is_some_and(|by| by <= now) {
                    return CloseReason::MessageTimeout(timeouts.message);
                }
                if conn.last_activity() + timeouts.idle <= now {
                    return CloseReason::Idle(timeouts.idle);
                }
            }
            r = reader.read_buf(&mut buf) => match r {
                Ok(0) => return CloseReason::Eof,
                Ok(_) => {}
                Err(e) => return CloseReason::Read(e),
            },
        }
    }
}

/// True if the skipped keep-alive bytes hold a ping.
fn is_ping(skipped: &[u8]) -> bool {
    skipped.windows(PING.len()).any(|w| w == PING)
}

/// True if what is left after framing is the start of a message rather than part of a ping.
/// Framing takes every run of four or more CR/LF bytes, so only a few are ever looked at.
fn message_started(rest: &[u8]) -> bool {
    rest.len() >= PING.len() || rest.iter().any(|&b| b != b'\r' && b != b'\n')
}

/// The answer (400, or 513 for a message over the size bound) to the request whose header
/// section starts `stream`, if that section can be read and the message is a request other
/// than ACK (RFC 3261 §8.2.6, §17.2.1, §21.5.11). Content-Length lines are left out when
/// indexing, since a bad one is what framing usually rejects.
fn bad_request(stream: &[u8], error: &ParseError) -> Option<Bytes> {
    let start = stream.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let data = &stream[start..];
    let head = &data[..header_end(data)?];
    dialogd_sip::build_error_response(head, error, &dialogd_sip::ParseLimits::default())
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
#[path = "reader_tests.rs"]
mod tests;
