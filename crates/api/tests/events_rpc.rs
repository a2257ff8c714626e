//! Scenario: the real `serve` on 127.0.0.1:0 with an in-memory event source: `WatchEvents`
//! applies its filters, rejects bad ones, tells a slow watcher how many events it lost with one
//! LAGGED event and goes on, and ends open streams when the server shuts down.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod memory_backend;

use std::time::Duration;

use dialogd_api::{Client, EventFilter, EventStream, WatchedEvent};
use dialogd_dialog::{DialogEvent, DialogId, DialogState, EndCause, EventKind, ProfileKey};
use memory_backend::{EVENT_CAPACITY, TestServer, start};
use tonic::Code;

fn event(id: u64, seq: u64, kind: EventKind, call_id: &str, profile: &str) -> DialogEvent {
    DialogEvent {
        id,
        unix_ms: 1_700_000_000_000 + id,
        node_id: 3,
        did: DialogId::new(3, seq),
        call_id: call_id.to_owned(),
        kind,
        failed_code: None,
        end_cause: (kind == EventKind::Deleted).then_some(EndCause::ByeCaller),
        state: if kind == EventKind::Deleted {
            DialogState::Deleted
        } else {
            DialogState::Unconfirmed
        },
        profiles: vec![ProfileKey::with_value(profile, "alice")],
        timeout: Duration::from_secs(60),
        control: None,
    }
}

async fn next(stream: &mut EventStream) -> WatchedEvent {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("an event within 5 s")
        .expect("no stream error")
        .expect("stream still open")
}

/// Opens a stream and waits until the server has subscribed it (events sent before are lost).
async fn watch(server: &TestServer, filter: EventFilter) -> EventStream {
    let client = Client::connect(&server.addr).await.unwrap();
    let before = server.events.receiver_count();
    let stream = client.watch_events(&filter).await.unwrap();
    while server.events.receiver_count() == before {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stream
}

#[tokio::test]
async fn filters_select_kind_call_id_profile_and_dialog() {
    let server = start().await;
    let mut all = watch(&server, EventFilter::default()).await;
    let mut deleted = watch(
        &server,
        EventFilter {
            kinds: vec![EventKind::Deleted],
            ..EventFilter::default()
        },
    )
    .await;
    let mut by_call = watch(
        &server,
        EventFilter {
            call_id: Some("c2".into()),
            ..EventFilter::default()
        },
    )
    .await;
    let mut by_profile = watch(
        &server,
        EventFilter {
            profile: Some(ProfileKey::with_value("trunk", "alice")),
            did: Some(DialogId::new(3, 3)),
            ..EventFilter::default()
        },
    )
    .await;
    let sent = [
        event(1, 1, EventKind::Created, "c1", "caller"),
        event(2, 2, EventKind::Created, "c2", "caller"),
        event(3, 3, EventKind::Created, "c3", "trunk"),
        event(4, 1, EventKind::Deleted, "c1", "caller"),
        event(5, 2, EventKind::Deleted, "c2", "caller"),
        event(6, 4, EventKind::Created, "c4", "trunk"),
        event(7, 3, EventKind::Deleted, "c3", "trunk"),
    ];
    for e in &sent {
        server.events.send(e.clone()).unwrap();
    }
    for e in &sent {
        assert_eq!(next(&mut all).await, WatchedEvent::Dialog(e.clone()));
    }
    for id in [4, 5, 7] {
        assert_eq!(
            next(&mut deleted).await,
            WatchedEvent::Dialog(sent[id - 1].clone())
        );
    }
    for id in [2, 5] {
        assert_eq!(
            next(&mut by_call).await,
            WatchedEvent::Dialog(sent[id - 1].clone())
        );
    }
    for id in [3, 7] {
        assert_eq!(
            next(&mut by_profile).await,
            WatchedEvent::Dialog(sent[id - 1].clone())
        );
    }
}

#[tokio::test]
async fn bad_filters_are_invalid_arguments() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let mut raw = client.raw_events();
    let bad = [
        dialogd_api::pb::WatchEventsRequest {
            kinds: vec![0],
            ..Default::default()
        },
        dialogd_api::pb::WatchEventsRequest {
            kinds: vec![99],
            ..Default::default()
        },
        dialogd_api::pb::WatchEventsRequest {
            dialog_id: Some("xyz".into()),
            ..Default::default()
        },
        dialogd_api::pb::WatchEventsRequest {
            profile_value: Some("alice".into()),
            ..Default::default()
        },
        dialogd_api::pb::WatchEventsRequest {
            call_id: Some(String::new()),
            ..Default::default()
        },
    ];
    for request in bad {
        let status = raw.watch_events(request.clone()).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{request:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_watcher_gets_one_lagged_event_with_the_dropped_count_and_goes_on() {
    let server = start().await;
    let mut slow = watch(&server, EventFilter::default()).await;
    // Far more than the server buffers for one watcher (its stream buffer, the HTTP/2 window
    // and the broadcast ring together), sent while the watcher reads nothing.
    let total: u64 = 20_000;
    for id in 1..=total {
        server
            .events
            .send(event(id, id, EventKind::Created, "c", "caller"))
            .unwrap();
    }
    // The sender outruns the watcher's forwarding task too, so there may be several losses:
    // each is reported once, right where it happened, with its exact size.
    let mut seen: Vec<u64> = Vec::new();
    let mut lost_since_last = 0;
    let mut lags = 0;
    while seen.last() != Some(&total) {
        match next(&mut slow).await {
            WatchedEvent::Dialog(e) => {
                let before = seen.last().copied().unwrap_or(0);
                assert!(e.id > before, "in order");
                assert_eq!(e.id - before - 1, lost_since_last, "gap before {}", e.id);
                lost_since_last = 0;
                seen.push(e.id);
            }
            WatchedEvent::Lagged { dropped, .. } => {
                assert!(dropped > 0);
                lost_since_last += dropped;
                lags += 1;
            }
        }
    }
    assert!(
        lags >= 1,
        "a watcher that read nothing for {total} events lagged"
    );
    assert!(seen.len() < total as usize);
    // After the last loss, the watcher got everything its buffers held, in order.
    let tail = seen
        .iter()
        .rev()
        .zip((1..=total).rev())
        .take_while(|(a, b)| **a == *b);
    assert!(tail.count() >= EVENT_CAPACITY);
}

#[tokio::test]
async fn shutdown_ends_open_streams() {
    let server = start().await;
    let mut stream = watch(&server, EventFilter::default()).await;
    server.stop.send(()).unwrap();
    let end = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("the stream ends within 5 s");
    assert!(matches!(end, Ok(None)), "{end:?}");
    tokio::time::timeout(Duration::from_secs(5), server.task)
        .await
        .expect("serve returns")
        .unwrap()
        .unwrap();
}
