//! Hostile peers against the real binary, each beside clean SIPp calls through the same node:
//! what a blackholed or non-reading next hop, slow TCP senders, oversized messages and floods
//! cost must fall on the attacker's own messages, never on the clean calls.
//!
//! - INVITEs towards a TCP blackhole and towards a next hop that accepts and never reads:
//!   the clean calls all succeed; the blackholed INVITEs are answered 503 once the connect
//!   times out (RFC 3261 §17.1.4), without holding up anything else.
//! - Slow TCP senders (one byte now and then, never a whole message) are closed after
//!   `tcp.message_timeout_ms`; past `tcp.max_connections_per_ip` a source's connections are
//!   refused; clean calls over TCP go on meanwhile.
//! - A 64 KB message of thousands of headers and one with a 60 KB header line are answered
//!   513 (RFC 3261 §21.5.11); a message over 64 KB on TCP is answered and the connection
//!   closed; the node keeps answering.
//! - A source flooding INVITEs and one flooding garbage are blocked (logged once per block);
//!   clean calls from another source go on.
//!
//! The blackhole needs iptables, so those tests run in a network namespace of their own
//! (`netns::isolate`, root); everything stays on loopback.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use dialogd_test_support::attack::oversized::{
    many_headers, one_long_header, over_64k_tcp, send_over_tcp,
};
use dialogd_test_support::attack::{Garbage, InviteFlood, NonReadingPeer, SlowTcp, TcpVerdict};
use dialogd_test_support::{DialogdNode, RawSipPeer, SippCall, Transport, netns};

const BLACKHOLE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 99);
/// Between ACK and BYE of a clean call.
const HOLD: Duration = Duration::from_millis(100);
/// Bound on a SIPp run: its calls, then room for calls of a wedged node to time out.
const SIPP_BOUND: Duration = Duration::from_secs(90);

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_dialogd"))
}

/// Config of every node here: the Raft log is not fsynced, so a stall of the shared test
/// machine's disk (seen: a 2 s fsync failing 20 admissions) cannot pass for an effect of the
/// attack. These tests are about the message path; durability has its own tests.
const NO_FSYNC: &str = "[cluster]\nfsync = \"never\"\n";

/// Starts a node with `extra` config and [`NO_FSYNC`].
fn start(extra: &str) -> DialogdNode {
    DialogdNode::start_with(binary(), &format!("{NO_FSYNC}\n{extra}")).unwrap()
}

fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// Runs `calls` clean calls at `rate` through `node` (uac → node → uas) over `transport` and
/// asserts every one succeeded.
fn clean_calls(node: &DialogdNode, transport: Transport, calls: u64, rate: f64) {
    let (caller, callee) = SippCall::basic(node.sip_addr())
        .transport(transport)
        .calls(calls)
        .rate(rate)
        .hold(HOLD)
        .timeout(SIPP_BOUND)
        .run()
        .unwrap();
    node.assert_alive();
    assert!(
        caller.all_successful() && caller.successful == calls,
        "every clean call should succeed; uac:\n{}\nnode log:\n{}",
        caller.describe(),
        node.log()
    );
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());
}

#[test]
fn invites_to_a_blackhole_and_to_a_peer_that_never_reads_cost_only_their_own_calls() {
    // First, before anything is started: this thread and all it spawns go into the namespace.
    let ns = netns::isolate().unwrap_or_else(|e| {
        panic!("this test needs its own network namespace (run it as root): {e:#}")
    });
    ns.blackhole_tcp(BLACKHOLE).unwrap();
    let deaf = NonReadingPeer::new(SocketAddr::new(loopback(3), 5090))
        .receive_buffer(4096)
        .start()
        .unwrap();
    let node = start("[tcp]\nconnect_timeout_ms = 1000\n");

    let to_blackhole =
        InviteFlood::new(node.sip_addr(), &format!("sip:x@{BLACKHOLE};transport=tcp"))
            .source(SocketAddr::new(loopback(2), 0))
            .rate(4.0)
            .start()
            .unwrap();
    let to_deaf = InviteFlood::new(
        node.sip_addr(),
        &format!("sip:x@{};transport=tcp", deaf.addr()),
    )
    .source(SocketAddr::new(loopback(4), 0))
    .rate(20.0)
    .start()
    .unwrap();

    clean_calls(&node, Transport::Udp, 300, 20.0);
    // Room for the last blackholed INVITEs' connect timeout.
    thread::sleep(Duration::from_millis(1500));
    let blackholed = to_blackhole.stop();
    let deafened = to_deaf.stop();
    eprintln!("to the blackhole: {blackholed:?}\nto the deaf peer: {deafened:?}");
    assert!(blackholed.sent >= 40, "the attack ran: {blackholed:?}");
    // Every blackholed INVITE ends in a 503 once its connect times out (the last one or two
    // may still be connecting when the flood stops).
    assert!(
        blackholed.status(503) + 2 >= blackholed.sent,
        "blackholed INVITEs should be answered 503: {blackholed:?}"
    );
    assert!(deaf.accepted() >= 1, "the deaf peer was reached");
    node.assert_alive();
}

#[test]
fn slow_tcp_senders_are_closed_and_capped_per_source_while_tcp_calls_go_on() {
    let node = start("[tcp]\nmessage_timeout_ms = 1500\nmax_connections_per_ip = 40\n");
    // 300 connections over 10 sources (30 each, under the cap), one byte every 500 ms: never a
    // whole message, so each is closed 1.5 s after its accept.
    let spread: Vec<IpAddr> = (10..20).map(loopback).collect();
    let slow = SlowTcp::new(node.sip_addr(), 300)
        .sources(spread)
        .interval(Duration::from_millis(500))
        .start()
        .unwrap();
    // 100 from one source: at most 40 at once are kept.
    let greedy = SlowTcp::new(node.sip_addr(), 100)
        .sources(vec![loopback(30)])
        .interval(Duration::from_millis(500))
        .start()
        .unwrap();

    clean_calls(&node, Transport::Tcp, 100, 20.0);

    let deadline = Instant::now() + Duration::from_secs(10);
    while slow.open_now() > 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(200));
    }
    let slow = slow.stop();
    let greedy = greedy.stop();
    eprintln!("spread: {slow:?}\ngreedy: {greedy:?}");
    assert!(slow.connected >= 250, "the attack ran: {slow:?}");
    assert_eq!(
        slow.open_at_stop, 0,
        "every slow connection is closed by the message deadline: {slow:?}"
    );
    assert!(
        greedy.closed_by_target + greedy.connect_failed >= 60,
        "connections past the per-source cap are refused: {greedy:?}"
    );
    node.assert_alive();
}

#[test]
fn oversized_and_over_headered_messages_are_answered_513_and_the_node_goes_on() {
    let node = start("");
    let target = node.sip_addr();
    let uri = format!("sip:bob@{target}");
    let mut peer = RawSipPeer::udp().unwrap();
    let local = peer.local_addr();

    for (what, bytes) in [
        (
            "thousands of headers",
            many_headers(Transport::Udp, local, &uri, 64_000),
        ),
        (
            "a 60 KB header line",
            one_long_header(Transport::Udp, local, &uri, 60_000),
        ),
    ] {
        peer.send_to(target, &bytes).unwrap();
        let answer = peer
            .recv(Duration::from_secs(5))
            .unwrap()
            .unwrap_or_else(|| panic!("{what}: no answer"));
        assert_eq!(answer.status(), Some(513), "{what}: {}", answer.text());
    }

    let tcp_local: SocketAddr = "127.0.0.1:0".parse().unwrap();
    match send_over_tcp(
        target,
        &over_64k_tcp(tcp_local, &uri),
        Duration::from_secs(5),
    )
    .unwrap()
    {
        TcpVerdict::Answered(m) => {
            assert!(matches!(m.status(), Some(400 | 513)), "{}", m.text())
        }
        TcpVerdict::Closed => {}
        TcpVerdict::Silent => panic!("a message over 64 KB on TCP was neither answered nor closed"),
    }

    // The node still answers.
    clean_calls(&node, Transport::Udp, 5, 5.0);
}

#[test]
fn a_flooding_source_is_blocked_once_and_clean_calls_from_others_go_on() {
    let node = start("[flood]\nwindow_ms = 1000\nmax_requests = 100\nblock_secs = 60\n");
    let own = format!("sip:flood@{}", node.sip_addr());
    let flood = InviteFlood::new(node.sip_addr(), &own)
        .source(SocketAddr::new(loopback(2), 0))
        .rate(500.0)
        .start()
        .unwrap();
    let garbage = Garbage::new(node.sip_addr())
        .source(loopback(3))
        .rate(2000.0)
        .start()
        .unwrap();

    clean_calls(&node, Transport::Udp, 200, 20.0);

    let flood = flood.stop();
    let garbage = garbage.stop();
    eprintln!("flood: {flood:?}\ngarbage: {garbage:?}");
    assert!(flood.sent >= 2_000, "the flood ran: {flood:?}");
    // Up to 100 requests per window pass before the block, each answered once with 100 Trying
    // (and its 404 retransmitted, never ACKed); after it nothing is answered.
    assert!(
        (1..=150).contains(&flood.status(100)),
        "a blocked source gets no answers: {flood:?}"
    );
    let log = node.log();
    for source in ["127.0.0.2", "127.0.0.3"] {
        let blocks = log
            .lines()
            .filter(|l| l.contains("flood:") && l.contains(source))
            .count();
        assert_eq!(blocks, 1, "one log line per block of {source}:\n{log}");
    }
}
