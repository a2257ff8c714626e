//! Picking a loopback port that is free for both UDP and TCP, for a SIP peer that listens on both
//! (SIPp binds the port it is given; dialogd itself is started on port 0 and reports its ports).
//!
//! Must not hand the same port out twice in one process: concurrent tests in one test binary
//! would otherwise race for it between the check here and the peer's own bind.

use std::collections::HashSet;
use std::net::{TcpListener, UdpSocket};
use std::sync::{Mutex, OnceLock};

use anyhow::{Result, anyhow};

static HANDED_OUT: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();

/// A port of 127.0.0.1 that was free for UDP and TCP a moment ago and was not returned before by
/// this process. The caller binds it soon; a peer that loses the race should retry.
pub fn free_udp_tcp_port() -> Result<u16> {
    let handed_out = HANDED_OUT.get_or_init(|| Mutex::new(HashSet::new()));
    for _ in 0..100 {
        let udp = UdpSocket::bind("127.0.0.1:0")?;
        let port = udp.local_addr()?.port();
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
    Err(anyhow!("no free UDP+TCP port on 127.0.0.1 after 100 tries"))
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
            UdpSocket::bind(("127.0.0.1", port)).unwrap();
            TcpListener::bind(("127.0.0.1", port)).unwrap();
        }
    }
}
