//! Unit tests of [`super::WriteQueue`] against an in-memory sink that takes as many bytes as
//! the test allows: direct writes, order, the byte limit, and exactly one failure report per
//! message not written.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::*;

/// Takes up to `room` bytes, then answers WouldBlock.
#[derive(Default)]
struct Memory {
    room: AtomicUsize,
    written: Mutex<Vec<u8>>,
}

impl Memory {
    fn with_room(room: usize) -> Arc<Memory> {
        let m = Memory::default();
        m.room.store(room, Ordering::SeqCst);
        Arc::new(m)
    }

    fn written(&self) -> Vec<u8> {
        self.written.lock().unwrap().clone()
    }
}

impl Sink for Memory {
    fn try_write(&self, data: &[u8]) -> io::Result<usize> {
        let room = self.room.load(Ordering::SeqCst);
        if room == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = room.min(data.len());
        self.room.fetch_sub(n, Ordering::SeqCst);
        self.written.lock().unwrap().extend_from_slice(&data[..n]);
        Ok(n)
    }
}

fn peer() -> std::net::SocketAddr {
    "192.0.2.1:5060".parse().unwrap()
}

/// A message whose failures are counted in `failures`.
fn reported(data: &'static [u8], failures: &Arc<AtomicUsize>) -> Queued {
    let failures = Arc::clone(failures);
    Queued::new(
        Bytes::from_static(data),
        Some(Box::new(move |_| {
            failures.fetch_add(1, Ordering::SeqCst);
        })),
    )
}

/// Plays the writer task once: writes the head to the sink as far as it takes it.
fn drain_once(queue: &WriteQueue<Memory>) -> bool {
    match queue.head() {
        Head::Write { sink, data, .. } => {
            let n = sink.try_write(&data).unwrap_or(0);
            assert_eq!(n, data.len(), "test sink must take the whole head");
            queue.finish_head();
            true
        }
        Head::Empty | Head::Closed => false,
    }
}

#[test]
fn idle_attached_queue_writes_directly_and_keeps_order_after_a_partial_write() {
    let queue = WriteQueue::new(100);
    let sink = Memory::with_room(5);
    queue.attach(Arc::clone(&sink));

    assert_eq!(
        queue
            .push(Queued::new(Bytes::from_static(b"abc"), None))
            .ok(),
        Some(Pushed::Written)
    );
    // Only two bytes fit: the rest is queued, and later messages go behind it.
    assert_eq!(
        queue
            .push(Queued::new(Bytes::from_static(b"defg"), None))
            .ok(),
        Some(Pushed::Queued)
    );
    sink.room.store(100, Ordering::SeqCst);
    assert_eq!(
        queue
            .push(Queued::new(Bytes::from_static(b"hi"), None))
            .ok(),
        Some(Pushed::Queued)
    );
    assert_eq!(queue.queued_bytes(), 4);
    while drain_once(&queue) {}
    assert_eq!(sink.written(), b"abcdefghi");
    assert_eq!(queue.queued_bytes(), 0);
}

#[test]
fn unattached_queue_holds_messages_until_connected() {
    let queue = WriteQueue::new(100);
    for part in [&b"one "[..], b"two"] {
        let pushed = queue.push(Queued::new(Bytes::from_static(part), None));
        assert_eq!(pushed.ok(), Some(Pushed::Queued));
    }
    assert!(matches!(queue.head(), Head::Empty));
    let sink = Memory::with_room(100);
    queue.attach(Arc::clone(&sink));
    while drain_once(&queue) {}
    assert_eq!(sink.written(), b"one two");
}

#[test]
fn a_push_past_the_byte_limit_is_refused_without_a_report() {
    let queue: WriteQueue<Memory> = WriteQueue::new(10);
    let failures = Arc::new(AtomicUsize::new(0));
    assert!(queue.push(reported(b"123456", &failures)).is_ok());
    assert!(queue.push(reported(b"7890", &failures)).is_ok());
    assert_eq!(
        queue.push(reported(b"x", &failures)).err(),
        Some(Refused::Full)
    );
    assert_eq!(queue.queued_bytes(), 10);
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "a refused push reports nothing"
    );
}

#[test]
fn close_returns_every_unwritten_message_once_and_refuses_later_pushes() {
    let queue = WriteQueue::new(100);
    let sink = Memory::with_room(0);
    queue.attach(Arc::clone(&sink));
    let failures = Arc::new(AtomicUsize::new(0));
    for data in [&b"a"[..], b"b", b"c"] {
        let data: &'static [u8] = data;
        assert!(queue.push(reported(data, &failures)).is_ok());
    }
    // The writer holds the head when the connection closes: it is returned too, first.
    assert!(matches!(queue.head(), Head::Write { .. }));
    let left = queue.close();
    assert_eq!(left.len(), 3);
    assert_eq!(left[0].data, Bytes::from_static(b"a"));
    for item in left {
        item.fail(TransportError::Closed { peer: peer() });
    }
    assert_eq!(failures.load(Ordering::SeqCst), 3);
    assert!(matches!(
        queue.push(reported(b"d", &failures)),
        Err(Refused::Closed)
    ));
    assert!(matches!(queue.head(), Head::Closed));
    assert!(
        queue.close().is_empty(),
        "a second close fails nothing again"
    );
    assert_eq!(failures.load(Ordering::SeqCst), 3);
}

#[test]
fn the_last_message_always_goes_through_the_writer() {
    let queue = WriteQueue::new(100);
    queue.attach(Memory::with_room(100));
    assert_eq!(
        queue.push(Queued::last(Bytes::from_static(b"400"))).ok(),
        Some(Pushed::Queued)
    );
    assert!(matches!(queue.head(), Head::Write { last: true, .. }));
}
