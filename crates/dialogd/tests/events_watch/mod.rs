//! [`Watch`]: a node's Events stream read from a blocking test, for the call-control scenarios
//! (`mod events_watch;` in each).

#![allow(dead_code, clippy::unwrap_used)] // each test binary uses a part; test helpers

use std::time::Duration;

use dialogd_api::{Client, EventFilter, EventStream, WatchedEvent};
use dialogd_dialog::{DialogEvent, EventKind};
use dialogd_test_support::DialogdNode;

/// How long a test waits for the next event before it fails.
pub const EVENT_WAIT: Duration = Duration::from_secs(10);

/// The Events stream of one node, subscribed from now on.
pub struct Watch {
    runtime: tokio::runtime::Runtime,
    stream: EventStream,
}

impl Watch {
    /// Follows `node`'s events of `kinds` (empty: every kind).
    pub fn start(node: &DialogdNode, kinds: &[EventKind]) -> Watch {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let grpc = node.endpoints().grpc_url();
        let filter = EventFilter {
            kinds: kinds.to_vec(),
            ..EventFilter::default()
        };
        let stream = runtime.block_on(async {
            let client = Client::connect(&grpc).await.unwrap();
            client.watch_events(&filter).await.unwrap()
        });
        Watch { runtime, stream }
    }

    /// Events until `done` holds for those read so far (each within [`EVENT_WAIT`]).
    pub fn until(&mut self, done: impl Fn(&[DialogEvent]) -> bool) -> Vec<DialogEvent> {
        let stream = &mut self.stream;
        self.runtime.block_on(async {
            let mut got: Vec<DialogEvent> = Vec::new();
            while !done(&got) {
                match tokio::time::timeout(EVENT_WAIT, stream.next()).await {
                    Ok(Ok(Some(WatchedEvent::Dialog(e)))) => got.push(e),
                    other => panic!("after {got:?}: {other:?}"),
                }
            }
            got
        })
    }

    /// The next `n` events.
    pub fn take(&mut self, n: usize) -> Vec<DialogEvent> {
        self.until(|got| got.len() >= n)
    }
}
