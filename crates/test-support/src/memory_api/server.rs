//! Starts the real `dialogd_api::serve` on 127.0.0.1:0 over the in-memory backends.

use std::sync::Arc;

use dialogd_api::ApiOptions;
use dialogd_dialog::DialogEvent;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, oneshot};

use super::{MemoryBackend, MemoryCluster};

/// Events a watcher of the test server may fall behind by before it lags.
pub const EVENT_CAPACITY: usize = 64;

/// A running API server on 127.0.0.1:0; dropping `stop` (or sending on it) shuts it down.
pub struct TestServer {
    pub addr: String,
    pub backend: Arc<MemoryBackend>,
    pub cluster: Arc<MemoryCluster>,
    /// Send here to feed the server's `Events` stream.
    pub events: Arc<broadcast::Sender<DialogEvent>>,
    pub stop: oneshot::Sender<()>,
    pub task: tokio::task::JoinHandle<Result<(), dialogd_api::Error>>,
}

/// Serves `backend` and `cluster` with `options` (token, TLS, extra services) on
/// 127.0.0.1:0; the address is `https://` with TLS.
///
/// # Panics
/// If no loopback port can be bound.
pub async fn serve(
    backend: MemoryBackend,
    cluster: MemoryCluster,
    options: ApiOptions,
) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind 127.0.0.1:0: {e}"));
    let local = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("the test server's address: {e}"));
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let addr = format!("{scheme}://{local}");
    let backend = Arc::new(backend);
    let cluster = Arc::new(cluster);
    let events = Arc::new(broadcast::channel(EVENT_CAPACITY).0);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(dialogd_api::serve(
        listener,
        backend.clone(),
        cluster.clone(),
        events.clone(),
        options,
        async move {
            let _ = stopped.await;
        },
    ));
    TestServer {
        addr,
        backend,
        cluster,
        events,
        stop,
        task,
    }
}
