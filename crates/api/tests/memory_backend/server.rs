//! Starts the real `dialogd_api::serve` on 127.0.0.1:0 over the in-memory backends.

use std::sync::Arc;

use dialogd_api::ApiOptions;
use tokio::net::TcpListener;

use super::MemoryBackend;
use super::cluster::MemoryCluster;

/// Events a watcher of the test server may fall behind by before it lags.
pub const EVENT_CAPACITY: usize = 64;

/// A running API server on 127.0.0.1:0; dropping `stop` (or sending on it) shuts it down.
pub struct TestServer {
    pub addr: String,
    pub backend: Arc<MemoryBackend>,
    pub cluster: Arc<MemoryCluster>,
    /// Send here to feed the server's `Events` stream.
    pub events: Arc<tokio::sync::broadcast::Sender<dialogd_dialog::DialogEvent>>,
    pub stop: tokio::sync::oneshot::Sender<()>,
    pub task: tokio::task::JoinHandle<Result<(), dialogd_api::Error>>,
}

pub async fn start() -> TestServer {
    start_options(ApiOptions::default()).await
}

/// [`start`], with `extra` services on the same server (as internal routes).
pub async fn start_with(extra: Option<dialogd_api::Routes>) -> TestServer {
    start_options(ApiOptions {
        internal: extra,
        ..ApiOptions::default()
    })
    .await
}

/// [`start`] with `options` (token, TLS, extra services); the address is `https://` with TLS.
pub async fn start_options(options: ApiOptions) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let addr = format!("{scheme}://{}", listener.local_addr().unwrap());
    let backend = MemoryBackend::new();
    let cluster = MemoryCluster::new();
    let events = Arc::new(tokio::sync::broadcast::channel(EVENT_CAPACITY).0);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
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
