//! [`Garbage`]: a UDP flood of datagrams no SIP stack can use (RFC 3261 §18.3: a proxy drops
//! what it cannot parse and answers 400 only what it can still address), at a set rate from a
//! set local address: random bytes of random length, INVITEs cut short, INVITEs with random
//! bytes overwritten (see [`super::messages::garbage`]).
//!
//! The socket never reads: whatever the target answers is left to the kernel, which drops it
//! once the socket's receive buffer is full.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};

use anyhow::{Context, Result};
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::messages::{GarbageKind, garbage};
use super::worker::{Worker, run_paced};

/// A garbage flood to start. See the module doc.
#[derive(Debug, Clone)]
pub struct Garbage {
    target: SocketAddr,
    source: IpAddr,
    per_second: f64,
    seed: u64,
}

/// What a [`Garbage`] flood sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GarbageCounts {
    /// Datagrams handed to the kernel.
    pub sent: u64,
    pub random_bytes: u64,
    pub truncated: u64,
    pub corrupted: u64,
    pub bytes: u64,
    /// Sends that failed (ICMP unreachable reported back, full buffer).
    pub send_errors: u64,
}

/// A running [`Garbage`] flood; stopped by [`GarbageHandle::stop`] or on drop.
#[derive(Debug)]
pub struct GarbageHandle {
    worker: Worker<GarbageCounts>,
    local: SocketAddr,
}

impl Garbage {
    /// 1,000 datagrams a second to `target` from 127.0.0.1.
    pub fn new(target: SocketAddr) -> Garbage {
        Garbage {
            target,
            source: IpAddr::V4(Ipv4Addr::LOCALHOST),
            per_second: 1_000.0,
            seed: 1,
        }
    }

    /// The local address to send from (port chosen by the OS).
    pub fn source(mut self, ip: IpAddr) -> Garbage {
        self.source = ip;
        self
    }

    /// Datagrams per second.
    pub fn rate(mut self, per_second: f64) -> Garbage {
        self.per_second = per_second;
        self
    }

    /// Seed of the random bytes (a run is reproducible for a seed).
    pub fn seed(mut self, seed: u64) -> Garbage {
        self.seed = seed;
        self
    }

    /// Binds the socket and starts sending.
    pub fn start(self) -> Result<GarbageHandle> {
        let socket = UdpSocket::bind((self.source, 0))
            .with_context(|| format!("cannot bind a UDP socket on {}", self.source))?;
        socket.set_nonblocking(true)?;
        let local = socket.local_addr()?;
        let Garbage {
            target,
            per_second,
            seed,
            ..
        } = self;
        let worker = Worker::spawn("attack-garbage", move |stop| {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut counts = GarbageCounts::default();
            run_paced(stop, per_second, || {
                let (kind, bytes) = garbage(&mut rng, local, target, counts.sent);
                match socket.send_to(&bytes, target) {
                    Ok(n) => {
                        counts.sent += 1;
                        counts.bytes += n as u64;
                        match kind {
                            GarbageKind::RandomBytes => counts.random_bytes += 1,
                            GarbageKind::Truncated => counts.truncated += 1,
                            GarbageKind::Corrupted => counts.corrupted += 1,
                        }
                    }
                    Err(_) => counts.send_errors += 1,
                }
            });
            counts
        })?;
        Ok(GarbageHandle { worker, local })
    }
}

impl GarbageHandle {
    /// The address the datagrams come from.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Stops the flood; what it sent.
    pub fn stop(self) -> GarbageCounts {
        self.worker.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn sends_a_mix_of_kinds_that_arrives_at_the_target() {
        let target = UdpSocket::bind("127.0.0.1:0").unwrap();
        target
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let flood = Garbage::new(target.local_addr().unwrap())
            .rate(500.0)
            .start()
            .unwrap();
        let mut buf = vec![0u8; 65_535];
        let mut received = 0;
        while received < 30 {
            let (_, from) = target.recv_from(&mut buf).unwrap();
            assert_eq!(from, flood.local_addr());
            received += 1;
        }
        let counts = flood.stop();
        assert!(counts.sent >= 30, "{counts:?}");
        assert_eq!(
            counts.sent,
            counts.random_bytes + counts.truncated + counts.corrupted
        );
        assert!(counts.random_bytes > 0 && counts.truncated > 0 && counts.corrupted > 0);
    }
}
