//! Scenario: a watcher opens `WatchEvents` on a real node, then 100 SIPp calls at 50 calls/s go
//! uac → dialogd → uas (INVITE/180/200/ACK/BYE from the caller): the watcher sees every
//! dialog's life in order — created, early, confirmed, deleted (bye_caller) — each kind exactly
//! once per dialog, with event ids rising.

use std::collections::BTreeMap;
use std::time::Duration;

use dialogd_api::{Client, EventFilter, WatchedEvent};
use dialogd_dialog::{DialogId, EndCause, EventKind};
use dialogd_test_support::{DialogdNode, SippCall};

const CALLS: u64 = 100;
const RATE: f64 = 50.0;
/// Every call brings created, early, confirmed and deleted.
const EVENTS_PER_CALL: usize = 4;

#[test]
fn watch_events_sees_every_transition_of_100_calls_in_order() {
    let node = DialogdNode::start("").unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let grpc = node.endpoints().grpc_url();
    let mut stream = runtime.block_on(async {
        let client = Client::connect(&grpc).await.unwrap();
        client.watch_events(&EventFilter::default()).await.unwrap()
    });
    // The stream is subscribed once the server answered the call (headers arrived).
    let watcher = runtime.spawn(async move {
        let mut events = Vec::new();
        while events.len() < CALLS as usize * EVENTS_PER_CALL {
            match tokio::time::timeout(Duration::from_secs(60), stream.next()).await {
                Ok(Ok(Some(WatchedEvent::Dialog(e)))) => events.push(e),
                other => panic!("after {} events: {other:?}", events.len()),
            }
        }
        events
    });

    let (caller, callee) = SippCall::basic(node.sip_addr())
        .calls(CALLS)
        .rate(RATE)
        .hold(Duration::from_millis(100))
        .timeout(Duration::from_secs(120))
        .run()
        .unwrap();
    node.assert_alive();
    caller.assert_succeeded("uac", CALLS);
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());

    let events = runtime.block_on(watcher).unwrap();
    assert!(
        events.windows(2).all(|w| w[0].id < w[1].id),
        "event ids rise"
    );
    let mut lives: BTreeMap<DialogId, Vec<EventKind>> = BTreeMap::new();
    for e in &events {
        lives.entry(e.did).or_default().push(e.kind);
        if e.kind == EventKind::Deleted {
            assert_eq!(e.end_cause, Some(EndCause::ByeCaller), "{e:?}");
        }
        assert!(!e.call_id.is_empty(), "{e:?}");
    }
    assert_eq!(lives.len(), CALLS as usize, "one life per call");
    for (did, kinds) in &lives {
        assert_eq!(
            kinds,
            &[
                EventKind::Created,
                EventKind::Early,
                EventKind::Confirmed,
                EventKind::Deleted
            ],
            "dialog {did}"
        );
    }
}
