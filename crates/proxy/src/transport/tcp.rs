//! SIP over TCP (RFC 3261 §18): the accept loop, opening connections, and the tasks that run
//! each one, around the [`ConnectionTable`].
//!
//! Sending never waits on a peer. To a peer with a connection in the table (open, or still
//! connecting) the message goes to that connection's write queue. To a new peer a connection
//! is put in the table at once, in the connecting state with its queue, and a task connects
//! (`tcp_connect_timeout`) and then runs it; concurrent sends to that peer share the entry, so
//! there is no connect storm, and what they queued is written once connected or failed with
//! the connect error. Each running connection has a reader ([`super::reader`]) and a writer
//! ([`super::writer`]) task; it leaves the table when either ends it (peer closed, idle,
//! message timeout, framing error, send timeout, queue full, shutdown), counted in
//! `dialogd_tcp_connections_closed_total{reason}`. Accepts refused by the table's limits are
//! closed at once and counted in `dialogd_tcp_connections_refused_total{reason}`.
//!
//! ```text
//!  send ─▶ table[dest]? ─yes─▶ Connection::send ─▶ kernel | write queue
//!            │ no (and opening allowed)
//!            └─▶ insert Connecting ─▶ spawn open: connect ─▶ run ─▶ reader + writer tasks
//!  accept ─▶ insert Accepted (limit, reserve, per IP) ─▶ spawn run
//! ```
//!
//! This file must not frame, answer or write messages itself.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::connection::{CloseReason, Connection, Origin};
use super::reader::{self, ReadTimeouts};
use super::table::{ConnectionTable, Refusal};
use super::write_queue::OnFailure;
use super::writer;
use super::{Inbound, TransportConfig, TransportError};

/// Pause after a failed accept (out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// How long the 400 queued for an unframeable stream may take to be written before the
/// connection is closed anyway.
const LAST_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// The TCP side of the transports.
pub(super) struct TcpTransport {
    listen: SocketAddr,
    table: Mutex<ConnectionTable>,
    next_id: AtomicU64,
    config: TransportConfig,
    inbound: mpsc::Sender<Inbound>,
    cancel: CancellationToken,
}

impl TcpTransport {
    /// Spawns the accept loop on `listener`.
    pub(super) fn start(
        listener: TcpListener,
        listen: SocketAddr,
        inbound: mpsc::Sender<Inbound>,
        config: TransportConfig,
        cancel: CancellationToken,
    ) -> Arc<TcpTransport> {
        let tcp = Arc::new(TcpTransport {
            listen,
            table: Mutex::new(ConnectionTable::new(&config)),
            next_id: AtomicU64::new(1),
            config,
            inbound,
            cancel,
        });
        tokio::spawn(Arc::clone(&tcp).accept_loop(listener));
        tcp
    }

    /// Hands `data` to the connection to `dest` without waiting; with `open`, a connection is
    /// opened when there is none (the connect runs in its own task). `on_failure` hears of a
    /// failure after this returned Ok.
    pub(super) fn send(
        self: &Arc<Self>,
        dest: SocketAddr,
        data: Bytes,
        on_failure: Option<OnFailure>,
        open: bool,
    ) -> Result<(), TransportError> {
        let conn = {
            let mut table = self.table();
            match table.get(dest) {
                Some(conn) => Arc::clone(conn),
                None if !open => return Err(TransportError::NoConnection { peer: dest }),
                None => {
                    let conn = self.new_connection(dest, Origin::Opened);
                    if let Err(refusal) = table.insert(Arc::clone(&conn)) {
                        refused(refusal, Origin::Opened);
                        let limit = self.config.max_connections;
                        return Err(TransportError::TooManyConnections { peer: dest, limit });
                    }
                    record_connections(table.len());
                    tokio::spawn(Arc::clone(self).open(Arc::clone(&conn)));
                    conn
                }
            }
        };
        conn.send(data, on_failure)
    }

    /// Connections currently in the table (open or connecting).
    pub(super) fn connection_count(&self) -> usize {
        self.table().len()
    }

    /// The live connection to `peer`, for tests that look inside.
    #[cfg(test)]
    pub(super) fn connection_to(&self, peer: SocketAddr) -> Option<Arc<Connection>> {
        self.table().get(peer).cloned()
    }

    fn table(&self) -> MutexGuard<'_, ConnectionTable> {
        // Every change is one call on the table, with no panic inside: poison is harmless.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn new_connection(&self, peer: SocketAddr, origin: Origin) -> Arc<Connection> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Arc::new(Connection::new(
            id,
            peer,
            origin,
            self.config.tcp_conn_queue_bytes,
            self.cancel.child_token(),
        ))
    }

    /// Connects a connection already in the table, then runs it; on failure, fails what was
    /// queued with the connect error.
    async fn open(self: Arc<Self>, conn: Arc<Connection>) {
        let peer = conn.peer;
        let after = self.config.tcp_connect_timeout;
        let connected = tokio::select! {
            _ = conn.closing() => None,
            r = tokio::time::timeout(after, TcpStream::connect(peer)) => Some(r),
        };
        let error = match connected {
            Some(Ok(Ok(stream))) => {
                tracing::debug!(%peer, "tcp connection opened");
                return self.run(conn, stream, None).await;
            }
            None => TransportError::Closed { peer },
            Some(Ok(Err(source))) => TransportError::Connect { peer, source },
            Some(Err(_)) => TransportError::ConnectTimeout { peer, after },
        };
        tracing::debug!(%peer, %error, "tcp connect failed");
        for item in conn.queue.close() {
            item.fail(error.duplicate());
        }
        conn.close(CloseReason::Connect(error));
        self.remove(&conn);
    }

    async fn accept_loop(self: Arc<Self>, listener: TcpListener) {
        loop {
            let accepted = tokio::select! {
                _ = self.cancel.cancelled() => break,
                r = listener.accept() => r,
            };
            match accepted {
                Ok((stream, peer)) => self.accept(stream, peer),
                Err(e) => {
                    tracing::warn!(error = %e, "tcp accept failed");
                    tokio::select! {
                        _ = self.cancel.cancelled() => break,
                        _ = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                    }
                }
            }
        }
        tracing::debug!(listen = %self.listen, "tcp accept loop ended");
    }

    /// Admits an accepted connection (or drops it, closing the socket) and spawns its tasks.
    fn accept(self: &Arc<Self>, stream: TcpStream, peer: SocketAddr) {
        let conn = self.new_connection(peer, Origin::Accepted);
        {
            let mut table = self.table();
            if let Err(refusal) = table.insert(Arc::clone(&conn)) {
                drop(table);
                refused(refusal, Origin::Accepted);
                tracing::info!(%peer, reason = refusal.label(), "tcp connection refused");
                return;
            }
            record_connections(table.len());
        }
        tracing::debug!(%peer, "tcp connection accepted");
        let first_message_by = Instant::now() + self.config.tcp_message_timeout;
        tokio::spawn(Arc::clone(self).run(conn, stream, Some(first_message_by)));
    }

    /// Runs a connected connection: the writer task drains its queue while this task reads;
    /// when reading ends the connection closes and leaves the table.
    async fn run(
        self: Arc<Self>,
        conn: Arc<Connection>,
        stream: TcpStream,
        first_message_by: Option<Instant>,
    ) {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(peer = %conn.peer, error = %e, "tcp set_nodelay failed");
        }
        let local_ip = stream.local_addr().map_or(self.listen.ip(), |a| a.ip());
        let local = SocketAddr::new(local_ip, self.listen.port());
        let (read_half, write_half) = stream.into_split();
        conn.queue.attach(Arc::new(write_half));
        let send_timeout = self.config.tcp_send_timeout;
        let mut writing = tokio::spawn(writer::write_loop(Arc::clone(&conn), send_timeout));
        let timeouts = ReadTimeouts {
            idle: self.config.tcp_idle_timeout,
            message: self.config.tcp_message_timeout,
        };
        let reason = reader::read_loop(
            &conn,
            read_half,
            local,
            &self.inbound,
            timeouts,
            first_message_by,
        )
        .await;
        if matches!(reason, CloseReason::Framing { answered: true, .. }) {
            // The writer stops after the 400; give it a moment to get it out.
            let _ = tokio::time::timeout(LAST_WRITE_TIMEOUT, &mut writing).await;
        }
        conn.close(reason);
        self.remove(&conn);
        let _ = writing.await;
    }

    /// Takes a closed connection out of the table and counts why it closed.
    fn remove(&self, conn: &Connection) {
        let reason = match conn.close_reason() {
            _ if self.cancel.is_cancelled() => "shutdown",
            Some(reason) => reason.label(),
            None => "closed",
        };
        metrics::counter!("dialogd_tcp_connections_closed_total", "reason" => reason).increment(1);
        if let Some(r) = conn.close_reason() {
            tracing::debug!(peer = %conn.peer, reason = %r, "tcp connection closed");
        }
        let mut table = self.table();
        table.remove(conn);
        record_connections(table.len());
    }
}

fn refused(refusal: Refusal, origin: Origin) {
    let direction = match origin {
        Origin::Accepted => "in",
        Origin::Opened => "out",
    };
    metrics::counter!(
        "dialogd_tcp_connections_refused_total",
        "reason" => refusal.label(),
        "direction" => direction,
    )
    .increment(1);
}

fn record_connections(n: usize) {
    metrics::gauge!("dialogd_tcp_connections").set(n as f64);
}
