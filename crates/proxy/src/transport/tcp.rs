//! SIP over TCP (RFC 3261 §18): the accept loop and the connection table.
//!
//! Connections are indexed by the peer's address, whether the peer opened them or we did, so
//! a response goes back on the connection its request came in on (§18.2.2) and a request to a
//! peer reuses an open connection before opening a new one (§18.1.1). The table holds at most
//! `max_connections`; a connection leaves it when its read loop ends (peer closed, idle,
//! framing error, failed write, shutdown). This file must not frame or answer messages:
//! [`super::connection`] does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::connection::{self, Connection};
use super::{Inbound, TransportConfig, TransportError};

/// Pause after a failed accept (out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The TCP side of the transports.
pub(super) struct TcpTransport {
    listen: SocketAddr,
    table: Mutex<HashMap<SocketAddr, Arc<Connection>>>,
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
            table: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            config,
            inbound,
            cancel,
        });
        tokio::spawn(Arc::clone(&tcp).accept_loop(listener));
        tcp
    }

    /// Sends `data` on the connection to `dest`, opening one if there is none.
    pub(super) async fn send(
        self: &Arc<Self>,
        dest: SocketAddr,
        data: &[u8],
    ) -> Result<(), TransportError> {
        let conn = match self.lookup(dest) {
            Some(conn) => conn,
            None => self.connect(dest).await?,
        };
        conn.write(data).await
    }

    /// Connections currently in the table.
    pub(super) fn connection_count(&self) -> usize {
        self.table().len()
    }

    fn table(&self) -> MutexGuard<'_, HashMap<SocketAddr, Arc<Connection>>> {
        // The table stays consistent whatever a panicking holder did: every change is one call.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lookup(&self, peer: SocketAddr) -> Option<Arc<Connection>> {
        self.table().get(&peer).filter(|c| !c.is_closed()).cloned()
    }

    async fn connect(
        self: &Arc<Self>,
        peer: SocketAddr,
    ) -> Result<Arc<Connection>, TransportError> {
        let limit = self.config.max_connections;
        if self.connection_count() >= limit {
            return Err(TransportError::TooManyConnections { peer, limit });
        }
        let after = self.config.tcp_connect_timeout;
        let connected = tokio::select! {
            _ = self.cancel.cancelled() => return Err(TransportError::Shutdown { peer }),
            r = tokio::time::timeout(after, TcpStream::connect(peer)) => r,
        };
        let stream = match connected {
            Ok(Ok(stream)) => stream,
            Ok(Err(source)) => return Err(TransportError::Connect { peer, source }),
            Err(_) => return Err(TransportError::ConnectTimeout { peer, after }),
        };
        tracing::debug!(%peer, "tcp connection opened");
        self.register(stream, peer, false)
    }

    async fn accept_loop(self: Arc<Self>, listener: TcpListener) {
        loop {
            let accepted = tokio::select! {
                _ = self.cancel.cancelled() => break,
                r = listener.accept() => r,
            };
            match accepted {
                Ok((stream, peer)) => {
                    if let Err(e) = self.register(stream, peer, true) {
                        metrics::counter!("dialogd_tcp_connections_refused_total").increment(1);
                        tracing::warn!(%peer, error = %e, "tcp connection refused");
                    } else {
                        tracing::debug!(%peer, "tcp connection accepted");
                    }
                }
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

    /// Puts a new connection in the table and spawns its read loop. An accepted connection
    /// replaces a stale one from the same address; a connection we opened loses to one that
    /// appeared meanwhile (a concurrent send), and is dropped unused.
    fn register(
        self: &Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        accepted: bool,
    ) -> Result<Arc<Connection>, TransportError> {
        if self.cancel.is_cancelled() {
            return Err(TransportError::Shutdown { peer });
        }
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "tcp set_nodelay failed");
        }
        let local_ip = stream.local_addr().map_or(self.listen.ip(), |a| a.ip());
        let local = SocketAddr::new(local_ip, self.listen.port());
        let (reader, writer) = stream.into_split();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Connection::new(
            id,
            peer,
            local,
            writer,
            self.cancel.child_token(),
        ));
        {
            let mut table = self.table();
            match table.get(&peer) {
                Some(existing) if !existing.is_closed() && !accepted => {
                    return Ok(Arc::clone(existing));
                }
                Some(existing) => existing.close(),
                None if table.len() >= self.config.max_connections => {
                    let limit = self.config.max_connections;
                    return Err(TransportError::TooManyConnections { peer, limit });
                }
                None => {}
            }
            table.insert(peer, Arc::clone(&conn));
            record_connections(table.len());
        }
        tokio::spawn(Arc::clone(self).run_connection(Arc::clone(&conn), reader));
        Ok(conn)
    }

    async fn run_connection(self: Arc<Self>, conn: Arc<Connection>, reader: OwnedReadHalf) {
        let idle = self.config.tcp_idle_timeout;
        let reason = connection::read_loop(&conn, reader, &self.inbound, idle).await;
        tracing::debug!(peer = %conn.peer, %reason, "tcp connection closed");
        conn.close();
        {
            let mut table = self.table();
            if table.get(&conn.peer).is_some_and(|c| c.id == conn.id) {
                table.remove(&conn.peer);
            }
            record_connections(table.len());
        }
        conn.shutdown_write().await;
    }
}

fn record_connections(n: usize) {
    metrics::gauge!("dialogd_tcp_connections").set(n as f64);
}
