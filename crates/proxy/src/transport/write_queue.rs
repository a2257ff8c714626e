//! The write queue of one TCP connection: what senders hand over without waiting, and what
//! the connection's writer task drains onto the socket.
//!
//! A send never waits on the peer. When nothing is queued and no write is in progress, the
//! bytes go straight to the kernel with a non-blocking `try_write`; what the kernel does not
//! take is queued, and the writer task writes it when the socket is writable. The queue is
//! bounded in bytes (`tcp_conn_queue_bytes`): a push that would pass the bound is refused, and
//! the connection closes. Order is kept: a message is written directly only when the queue is
//! empty and the writer idle, and everything happens under one `std` mutex that is never held
//! across an await.
//!
//! Each queued message carries an optional failure callback. It is called exactly once if the
//! message is not written whole: a push is either refused (the message dropped, its callback
//! not called, the caller returns the failure) or the message ends in [`WriteQueue::finish_head`] (written) or in the
//! list [`WriteQueue::close`] returns (failed by whoever closes). After `close`, pushes are
//! refused. This file must not touch sockets beyond [`Sink::try_write`] nor know why a
//! connection closes: [`super::writer`] and [`super::connection`] do.
//!
//! ```text
//!  push ──▶ idle and attached? ──yes─▶ Sink::try_write ──all taken──▶ Written
//!             │ no                          │ partly / WouldBlock
//!             ▼                             ▼
//!          bytes + len > limit? ──yes──▶ Refused::Full       (caller closes the connection)
//!             │ no
//!             ▼
//!          items ──▶ head() ─ writer task writes ─▶ finish_head()   close() ──▶ the rest fail
//! ```

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::{Buf, Bytes};
use tokio::sync::Notify;

use super::TransportError;

/// Called once with the failure of a message that was queued but not written.
pub(super) type OnFailure = Box<dyn FnOnce(TransportError) + Send + 'static>;

/// Where the queue writes without waiting: the socket's write half.
pub(super) trait Sink: Send + Sync + 'static {
    /// Writes what the kernel takes now; `WouldBlock` when it takes nothing.
    fn try_write(&self, data: &[u8]) -> io::Result<usize>;
}

impl Sink for tokio::net::tcp::OwnedWriteHalf {
    fn try_write(&self, data: &[u8]) -> io::Result<usize> {
        tokio::net::tcp::OwnedWriteHalf::try_write(self, data)
    }
}

/// One message waiting to be written.
pub(super) struct Queued {
    /// What is left to write.
    pub(super) data: Bytes,
    on_failure: Option<OnFailure>,
    /// Stop writing after this one (a 400 before closing an unframeable stream).
    pub(super) last: bool,
}

impl Queued {
    pub(super) fn new(data: Bytes, on_failure: Option<OnFailure>) -> Queued {
        Queued {
            data,
            on_failure,
            last: false,
        }
    }

    /// The last message written on the connection.
    pub(super) fn last(data: Bytes) -> Queued {
        Queued {
            data,
            on_failure: None,
            last: true,
        }
    }

    /// Reports that the message was not written: counted, and told to its sender if asked.
    pub(super) fn fail(self, error: TransportError) {
        metrics::counter!(
            "dialogd_transport_send_dropped_total",
            "transport" => "tcp",
            "reason" => error.reason(),
        )
        .increment(1);
        if let Some(on_failure) = self.on_failure {
            on_failure(error);
        }
    }
}

/// How a push went.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Pushed {
    /// Handed to the kernel whole.
    Written,
    /// Queued (maybe after a first part was written) for the writer task.
    Queued,
}

/// Why a push was refused; the message is dropped, its callback not called (the caller
/// returns the failure instead).
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refused {
    /// The queue is closed.
    Closed,
    /// The queue would pass its byte limit.
    Full,
}

/// The bounded write queue of one connection.
pub(super) struct WriteQueue<S> {
    limit: usize,
    state: Mutex<State<S>>,
    /// Woken on every push and on close; one waiter (the writer task).
    ready: Notify,
}

struct State<S> {
    /// Set once connected; taken on close.
    sink: Option<Arc<S>>,
    items: VecDeque<Queued>,
    /// Bytes left to write in `items`.
    bytes: usize,
    /// The writer task is writing the head item.
    writing: bool,
    open: bool,
}

/// What the writer task finds at the head of the queue.
pub(super) enum Head<S> {
    /// Write `data` to `sink`, then call [`WriteQueue::finish_head`].
    Write {
        sink: Arc<S>,
        data: Bytes,
        last: bool,
    },
    /// Nothing to write yet: wait on [`WriteQueue::ready`].
    Empty,
    /// Closed: the writer is done.
    Closed,
}

impl<S: Sink> WriteQueue<S> {
    /// An open queue of at most `limit` bytes, not yet attached to a socket.
    pub(super) fn new(limit: usize) -> WriteQueue<S> {
        WriteQueue {
            limit,
            state: Mutex::new(State {
                sink: None,
                items: VecDeque::new(),
                bytes: 0,
                writing: false,
                open: true,
            }),
            ready: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State<S>> {
        // Every change is a few statements with no panic between them: poison is harmless.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The byte limit.
    pub(super) fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes waiting to be written.
    #[cfg(test)]
    pub(super) fn queued_bytes(&self) -> usize {
        self.state().bytes
    }

    /// Connects the queue to its socket; what was queued meanwhile is written next.
    pub(super) fn attach(&self, sink: Arc<S>) {
        let mut state = self.state();
        if state.open {
            state.sink = Some(sink);
        }
    }

    /// Writes `item` now if the socket takes it, else queues it. Never waits.
    pub(super) fn push(&self, mut item: Queued) -> Result<Pushed, Refused> {
        let mut state = self.state();
        if !state.open {
            return Err(Refused::Closed);
        }
        if state.items.is_empty()
            && !state.writing
            && !item.last
            && let Some(sink) = &state.sink
            // An error other than WouldBlock is left for the writer task to meet and report,
            // so that every failure of a queued message goes one way.
            && let Ok(n) = sink.try_write(&item.data)
        {
            if n >= item.data.len() {
                return Ok(Pushed::Written);
            }
            item.data.advance(n);
        }
        let len = item.data.len();
        if state.bytes.saturating_add(len) > self.limit {
            return Err(Refused::Full);
        }
        state.bytes += len;
        state.items.push_back(item);
        drop(state);
        self.ready.notify_one();
        Ok(Pushed::Queued)
    }

    /// The next message to write; marks the writer busy with it.
    pub(super) fn head(&self) -> Head<S> {
        let mut state = self.state();
        if !state.open {
            return Head::Closed;
        }
        let (Some(sink), Some(item)) = (&state.sink, state.items.front()) else {
            return Head::Empty;
        };
        let head = Head::Write {
            sink: Arc::clone(sink),
            data: item.data.clone(),
            last: item.last,
        };
        state.writing = true;
        head
    }

    /// The head message was written whole: drop it.
    pub(super) fn finish_head(&self) {
        let mut state = self.state();
        state.writing = false;
        if let Some(item) = state.items.pop_front() {
            state.bytes = state.bytes.saturating_sub(item.data.len());
        }
    }

    /// Resolves when a push or a close may have changed the queue.
    pub(super) async fn ready(&self) {
        self.ready.notified().await;
    }

    /// Closes the queue: later pushes are refused, the socket is let go, and the messages not
    /// written (the one being written first) are returned for the caller to fail.
    pub(super) fn close(&self) -> VecDeque<Queued> {
        let mut state = self.state();
        state.open = false;
        state.sink = None;
        state.bytes = 0;
        state.writing = false;
        let items = std::mem::take(&mut state.items);
        drop(state);
        self.ready.notify_one();
        items
    }
}

#[cfg(test)]
#[path = "write_queue_tests.rs"]
mod tests;
