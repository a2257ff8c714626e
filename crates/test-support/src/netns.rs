//! A private network namespace for a test or a benchmark, so that it may add `iptables` rules
//! (a TCP blackhole, say) and bind any 127.0.0.x address without touching the host's network.
//!
//! ```text
//!   let ns = netns::isolate()?;          unshare(CLONE_NEWNET) for THIS thread; `ip link set lo up`
//!   ns.blackhole_tcp(127.0.0.99)?;       iptables -A OUTPUT -d 127.0.0.99 -p tcp -j DROP
//!   DialogdNode::start(..), Sipp::..     children spawned from this thread start inside it
//! ```
//!
//! Namespaces belong to threads, not processes (`unshare(2)` changes the calling thread only):
//! - the thread that calls [`isolate`] is moved into a fresh namespace with nothing but a
//!   loopback device (all of 127.0.0.0/8 routed to it, so 127.0.0.2, .3, ... need no set-up);
//! - threads and child processes it creates *afterwards* inherit the namespace; threads that
//!   existed before (the test harness's others, a runtime's workers) stay where they were, and
//!   a socket keeps the namespace it was opened in;
//! - so the test function itself (the thread `cargo test` runs it on, or the only thread of a
//!   `cargo nextest` process) calls [`isolate`] first, before it starts anything, and a binary
//!   calls it from `main` before it spawns threads. Other tests of the same `cargo test`
//!   process run on other threads and are not affected; a test thread that calls [`isolate`]
//!   again simply gets another fresh namespace.
//!
//! The namespace disappears when its last thread, process and socket are gone: nothing to undo.
//!
//! Needs root (CAP_SYS_ADMIN for `unshare`, CAP_NET_ADMIN for `iptables`), `ip` (iproute2)
//! and `iptables`. When one is missing, [`isolate`] or the rule it was needed for returns an
//! error saying which, for the test to fail with it: a test that cannot isolate itself must not
//! pass silently.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::namespace::{self, Kind};

/// The calling thread's network namespace, as the kernel names it (`net:[4026531840]`).
fn current_namespace() -> Result<String> {
    namespace::current(Kind::Net)
}

/// A network namespace made by [`isolate`]. Dropping it changes nothing: the namespace lives as
/// long as the threads, processes and sockets in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetNs {
    name: String,
}

/// Moves the calling thread into a fresh network namespace and brings its loopback up. See the
/// module doc for which threads and processes end up inside.
pub fn isolate() -> Result<NetNs> {
    let ns = NetNs {
        name: namespace::enter_fresh(Kind::Net)?,
    };
    ns.run("ip", &["link", "set", "lo", "up"])
        .context("cannot bring the loopback up in the new network namespace (needs iproute2)")?;
    Ok(ns)
}

impl NetNs {
    /// The kernel's name of the namespace (`net:[4026532291]`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the calling thread is inside this namespace.
    pub fn is_current(&self) -> bool {
        current_namespace().is_ok_and(|n| n == self.name)
    }

    /// Drops every TCP packet sent to `addr` (`iptables -A OUTPUT -d addr -p tcp -j DROP`): a
    /// connect to it neither succeeds nor is refused, it hangs until its own timeout, like a
    /// next hop behind a firewall that drops silently. Checks that it does: a connect to
    /// `addr:5060` must time out, not be refused.
    pub fn blackhole_tcp(&self, addr: Ipv4Addr) -> Result<()> {
        let text = addr.to_string();
        self.iptables(&["-A", "OUTPUT", "-d", &text, "-p", "tcp", "-j", "DROP"])?;
        let probe = SocketAddr::from((addr, 5060));
        match std::net::TcpStream::connect_timeout(&probe, Duration::from_millis(300)) {
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Ok(()),
            other => bail!("TCP to {probe} should hang after the DROP rule, got {other:?}"),
        }
    }

    /// Runs `iptables -w 5 <args>` inside the namespace. Must be called from a thread inside it
    /// (the one that called [`isolate`] or one it spawned afterwards): refused otherwise, so a
    /// rule meant for the namespace never lands on the host.
    pub fn iptables(&self, args: &[&str]) -> Result<()> {
        let mut all = vec!["-w", "5"];
        all.extend_from_slice(args);
        self.run("iptables", &all)
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<()> {
        namespace::run_inside(Kind::Net, &self.name, program, args)
    }
}

#[cfg(test)]
mod tests {
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::thread;

    use super::*;

    /// On its own thread, so the test harness's thread never changes namespace.
    fn in_fresh_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        thread::spawn(f).join().unwrap()
    }

    #[test]
    fn isolate_gives_a_private_loopback_where_a_tcp_blackhole_hangs_connects() {
        let host = current_namespace().unwrap();
        let outside = host.clone();
        in_fresh_thread(move || {
            let ns = isolate().unwrap_or_else(|e| panic!("{e:#}"));
            assert_ne!(ns.name(), outside);
            assert!(ns.is_current());
            // Loopback is up: a listener on another 127/8 address is reachable.
            let listener = TcpListener::bind("127.0.0.7:0").unwrap();
            TcpStream::connect(listener.local_addr().unwrap()).unwrap();

            let target = SocketAddr::from(([127, 0, 0, 99], 5060));
            let refused = TcpStream::connect_timeout(&target, Duration::from_secs(2));
            assert_eq!(
                refused.unwrap_err().kind(),
                std::io::ErrorKind::ConnectionRefused,
                "nothing listens: refused at once before the rule"
            );
            ns.blackhole_tcp(Ipv4Addr::new(127, 0, 0, 99)).unwrap();
            let hung = TcpStream::connect_timeout(&target, Duration::from_millis(300));
            assert_eq!(hung.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
        });
        assert_eq!(current_namespace().unwrap(), host, "the test thread stayed");
    }

    #[test]
    fn rules_are_refused_from_a_thread_outside_the_namespace() {
        let ns = in_fresh_thread(|| isolate().unwrap_or_else(|e| panic!("{e:#}")));
        let error = ns
            .blackhole_tcp(Ipv4Addr::new(127, 0, 0, 98))
            .unwrap_err()
            .to_string();
        assert!(error.contains("netns::isolate()"), "{error}");
    }
}
