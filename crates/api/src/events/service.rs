//! The tonic implementation of `dialogd.v1.Events` over an `Arc<dyn EventsBackend>`:
//! `WatchEvents` validates the filter (`convert.rs`), subscribes, and spawns one
//! forwarding task per watcher that filters, converts and feeds a bounded buffer the response
//! stream drains.
//!
//! ```text
//!  EventBus ──broadcast (lags, never blocks)──▶ forward task ──mpsc(SUBSCRIBER_BUFFER)──▶ client
//!                                   Lagged(n) ──▶ one LAGGED event carrying n
//! ```
//!
//! A slow client fills its buffer, then its broadcast receiver falls behind and loses the
//! oldest events, counted in a LAGGED event: the emitters (the dialog actors) never wait. The
//! task ends when the client goes away, the backend's sender is dropped, or the server shuts
//! down (the stream then ends with OK, so graceful shutdown is not held up by watchers).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::{broadcast, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::events::backend::{EventFilter, EventsBackend, WatchedEvent};
use crate::events::convert::watch_request;
use crate::pb;
use crate::pb::events_server::{Events, EventsServer};

/// Events buffered per watcher between its forwarding task and its gRPC stream.
pub const SUBSCRIBER_BUFFER: usize = 256;

/// The `Events` service.
#[derive(Clone)]
pub struct EventsService {
    backend: Arc<dyn EventsBackend>,
    /// Turns true (or closes) when the server shuts down.
    shutdown: watch::Receiver<bool>,
}

impl EventsService {
    /// A service streaming from `backend` until `shutdown` turns true or its sender is dropped.
    pub fn new(backend: Arc<dyn EventsBackend>, shutdown: watch::Receiver<bool>) -> EventsService {
        EventsService { backend, shutdown }
    }

    /// The service wrapped for `tonic::transport::Server::add_service`.
    pub fn into_server(self) -> EventsServer<EventsService> {
        EventsServer::new(self)
    }
}

impl std::fmt::Debug for EventsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsService").finish_non_exhaustive()
    }
}

#[tonic::async_trait]
impl Events for EventsService {
    type WatchEventsStream = ReceiverStream<Result<pb::DialogEvent, Status>>;

    async fn watch_events(
        &self,
        request: Request<pb::WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        let filter = watch_request(request.get_ref())?;
        let events = self.backend.subscribe()?;
        let (tx, rx) = mpsc::channel(SUBSCRIBER_BUFFER);
        tracing::debug!(?filter, "events api: watcher subscribed");
        tokio::spawn(forward(events, filter, tx, self.shutdown.clone()));
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// True once the server shuts down (or the shutdown sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    // `wait_for` fails only when the sender is dropped: that is a shutdown too.
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Feeds one watcher until it goes away, the events end or the server shuts down.
async fn forward(
    mut events: broadcast::Receiver<dialogd_dialog::DialogEvent>,
    filter: EventFilter,
    tx: mpsc::Sender<Result<pb::DialogEvent, Status>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut node_id = 0;
    loop {
        let item = tokio::select! {
            biased;
            () = stopped(&mut shutdown) => break,
            () = tx.closed() => break,
            received = events.recv() => match received {
                Ok(event) => {
                    node_id = event.node_id;
                    if !filter.matches(&event) {
                        continue;
                    }
                    WatchedEvent::Dialog(event)
                }
                Err(broadcast::error::RecvError::Lagged(dropped)) => {
                    tracing::info!(dropped, "events api: watcher lagged; events dropped");
                    WatchedEvent::Lagged { dropped, unix_ms: unix_ms(), node_id }
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
        };
        let sent = tokio::select! {
            biased;
            () = stopped(&mut shutdown) => break,
            sent = tx.send(Ok(pb::DialogEvent::from(&item))) => sent,
        };
        if sent.is_err() {
            break; // The client went away.
        }
    }
    tracing::debug!("events api: watcher done");
}
