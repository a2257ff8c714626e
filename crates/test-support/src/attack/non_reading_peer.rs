//! [`NonReadingPeer`]: a TCP listener that accepts connections and never reads from them, like
//! a next hop or peer that hung: the kernel acknowledges what arrives until the connection's
//! receive buffer (and then the sender's send buffer) is full, after which a sender's writes
//! block or fail with `WouldBlock`. A small receive buffer (option) makes that happen sooner.
//!
//! Holds at most `max_connections` accepted connections; past that it stops accepting, so
//! further connects wait in the listen backlog.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use socket2::{Domain, Protocol, Socket, Type};

use super::worker::Worker;

/// How often the accept loop looks for connections.
const ACCEPT_POLL: Duration = Duration::from_millis(5);
/// The listen backlog.
const BACKLOG: i32 = 1_024;

/// A non-reading listener to start. See the module doc.
#[derive(Debug, Clone)]
pub struct NonReadingPeer {
    bind: SocketAddr,
    max_connections: usize,
    receive_buffer: Option<usize>,
}

/// What a [`NonReadingPeer`] accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NonReadingCounts {
    pub accepted: u64,
}

/// A running [`NonReadingPeer`]: its connections close when it stops or drops.
#[derive(Debug)]
pub struct NonReadingPeerHandle {
    worker: Worker<NonReadingCounts>,
    addr: SocketAddr,
    accepted: Arc<AtomicU64>,
}

impl NonReadingPeer {
    /// A listener on `bind` (port 0: chosen by the OS) holding up to 1,024 connections with the
    /// kernel's default receive buffer.
    pub fn new(bind: SocketAddr) -> NonReadingPeer {
        NonReadingPeer {
            bind,
            max_connections: 1_024,
            receive_buffer: None,
        }
    }

    /// Most connections held at once.
    pub fn max_connections(mut self, n: usize) -> NonReadingPeer {
        self.max_connections = n;
        self
    }

    /// SO_RCVBUF of the accepted connections (the kernel doubles it and has a floor).
    pub fn receive_buffer(mut self, bytes: usize) -> NonReadingPeer {
        self.receive_buffer = Some(bytes);
        self
    }

    /// Binds, listens and starts accepting.
    pub fn start(self) -> Result<NonReadingPeerHandle> {
        let socket = Socket::new(
            Domain::for_address(self.bind),
            Type::STREAM,
            Some(Protocol::TCP),
        )
        .context("cannot open a TCP socket")?;
        socket.set_reuse_address(true)?;
        if let Some(bytes) = self.receive_buffer {
            // Set on the listener: accepted connections inherit it (socket(7)).
            socket.set_recv_buffer_size(bytes)?;
        }
        socket
            .bind(&self.bind.into())
            .with_context(|| format!("cannot bind {}", self.bind))?;
        socket.listen(BACKLOG)?;
        let listener: TcpListener = socket.into();
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let accepted = Arc::new(AtomicU64::new(0));
        let seen = Arc::clone(&accepted);
        let max = self.max_connections;
        let worker = Worker::spawn("attack-non-reading-peer", move |stop| {
            let mut held: Vec<TcpStream> = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                while held.len() < max {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            held.push(stream);
                            seen.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => break,
                    }
                }
                thread::sleep(ACCEPT_POLL);
            }
            NonReadingCounts {
                accepted: seen.load(Ordering::Relaxed),
            }
        })?;
        Ok(NonReadingPeerHandle {
            worker,
            addr,
            accepted,
        })
    }
}

impl NonReadingPeerHandle {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Stops accepting and closes every connection.
    pub fn stop(self) -> NonReadingCounts {
        self.worker.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{ErrorKind, Write};
    use std::time::Instant;

    use super::*;

    #[test]
    fn a_sender_to_it_ends_up_blocked_on_a_full_buffer() {
        let peer = NonReadingPeer::new("127.0.0.1:0".parse().unwrap())
            .receive_buffer(4_096)
            .start()
            .unwrap();
        let mut stream = TcpStream::connect(peer.addr()).unwrap();
        stream.set_nonblocking(true).unwrap();
        let chunk = vec![b'x'; 16 * 1024];
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut written = 0usize;
        let blocked = loop {
            assert!(
                Instant::now() < deadline,
                "still writable after {written} bytes"
            );
            match stream.write(&chunk) {
                Ok(n) => written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break true,
                Err(e) => panic!("{e}"),
            }
        };
        assert!(blocked);
        assert!(written > 0 && written < 64 * 1024 * 1024, "{written}");
        crate::wait_until(Duration::from_secs(5), "the connection accepted", || {
            anyhow::ensure!(peer.accepted() == 1, "{} accepted", peer.accepted());
            Ok(())
        })
        .unwrap();
        assert_eq!(peer.stop().accepted, 1);
    }
}
