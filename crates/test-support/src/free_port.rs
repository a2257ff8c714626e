//! Picking a loopback port that is free for both UDP and TCP, for a SIP peer that listens on both
//! (SIPp binds the port it is given; dialogd itself is started on port 0 and reports its ports).
//!
//! Must not hand the same port out twice in one process: concurrent tests in one test binary
//! would otherwise race for it between the check here and the peer's own bind.
//!
//! Ports come from below the kernel's ephemeral range (`ip_local_port_range`), at random: a
//! port from inside it can be given by the kernel to any outgoing connection of a concurrent
//! test (nextest runs tests as separate processes) while its owner is down — a cluster member
//! killed and restarted on the same ports then fails to bind.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::net::{TcpListener, UdpSocket};
use std::sync::{Mutex, OnceLock};

use anyhow::{Result, anyhow};

static HANDED_OUT: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();

/// A port of 127.0.0.1 that was free for UDP and TCP a moment ago and was not returned before by
/// this process. The caller binds it soon; a peer that loses the race should retry.
pub fn free_udp_tcp_port() -> Result<u16> {
    let handed_out = HANDED_OUT.get_or_init(|| Mutex::new(HashSet::new()));
    let (low, high) = below_ephemeral();
    let random = RandomState::new();
    for attempt in 0u32..200 {
        let span = u64::from(high - low);
        let port = low + u16::try_from(random.hash_one(attempt) % span).unwrap_or(0);
        let Ok(udp) = UdpSocket::bind(("127.0.0.1", port)) else {
            continue;
        };
        let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)) else {
            continue;
        };
        drop((udp, tcp));
        let mut seen = handed_out
            .lock()
            .map_err(|_| anyhow!("port registry poisoned"))?;
        if seen.insert(port) {
            return Ok(port);
        }
    }
    Err(anyhow!(
        "no free UDP+TCP port on 127.0.0.1 in {low}..{high} after 200 tries"
    ))
}

/// The ports below the ephemeral range to pick from: up to 20,000 of them, above 1024.
fn below_ephemeral() -> (u16, u16) {
    let first_ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let high = first_ephemeral.max(2048);
    (high.saturating_sub(20_000).max(1025), high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_free_for_both_transports_and_never_repeat() {
        let mut seen = HashSet::new();
        for _ in 0..20 {
            let port = free_udp_tcp_port().unwrap();
            assert!(seen.insert(port), "port {port} handed out twice");
            let (low, high) = below_ephemeral();
            assert!((low..high).contains(&port), "{port} outside {low}..{high}");
            UdpSocket::bind(("127.0.0.1", port)).unwrap();
            TcpListener::bind(("127.0.0.1", port)).unwrap();
        }
    }
}
