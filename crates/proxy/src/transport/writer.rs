//! The writer task of one TCP connection: drains its [`WriteQueue`](super::write_queue) onto
//! the socket once connected.
//!
//! Each message must be handed to the kernel within `tcp_send_timeout` once its turn comes
//! (Kamailio's `tcp_send_timeout`); a peer that stops reading is closed after that, with
//! `send_timeout`, and a write error closes it too. The writer waits for writability and
//! writes with `try_write` on a shared write half, so senders can write directly (with the
//! queue's lock) when it is idle. When the connection closes, or after a message marked
//! last, it closes the queue and fails what is left: the message being written with the
//! error met, the others as [`TransportError::Closed`]. It must not read nor touch the table.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::tcp::OwnedWriteHalf;

use super::TransportError;
use super::connection::{CloseReason, Connection};
use super::write_queue::Head;

/// Writes queued messages to `conn` until it closes or a message marked last is written.
pub(super) async fn write_loop(conn: Arc<Connection>, send_timeout: Duration) {
    let peer = conn.peer;
    let mut failure = None;
    loop {
        let (sink, data, last) = match conn.queue.head() {
            Head::Write { sink, data, last } => (sink, data, last),
            Head::Closed => break,
            Head::Empty => {
                tokio::select! {
                    _ = conn.closing() => break,
                    _ = conn.queue.ready() => continue,
                }
            }
        };
        let written = tokio::select! {
            _ = conn.closing() => break,
            r = tokio::time::timeout(send_timeout, write_all(&sink, &data)) => r,
        };
        match written {
            Ok(Ok(())) => {
                conn.queue.finish_head();
                conn.touch();
                if last {
                    break;
                }
            }
            Ok(Err(source)) => {
                tracing::debug!(%peer, error = %source, "tcp write failed");
                let copy = io::Error::new(source.kind(), source.to_string());
                failure = Some(TransportError::Write { peer, source });
                conn.close(CloseReason::Write(copy));
                break;
            }
            Err(_) => {
                tracing::info!(%peer, after = ?send_timeout, "tcp peer not reading, connection closed");
                failure = Some(TransportError::WriteTimeout {
                    peer,
                    after: send_timeout,
                });
                conn.close(CloseReason::SendTimeout(send_timeout));
                break;
            }
        }
    }
    let mut left = conn.queue.close().into_iter();
    // `left.next()` runs only on a failure: otherwise the head is failed as closed below.
    if let Some(error) = failure
        && let Some(head) = left.next()
    {
        head.fail(error);
    }
    for item in left {
        item.fail(TransportError::Closed { peer });
    }
}

/// Writes all of `data`, waiting for writability between partial writes.
async fn write_all(sink: &OwnedWriteHalf, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        sink.writable().await?;
        match sink.try_write(data) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
