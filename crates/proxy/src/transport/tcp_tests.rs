//! Loopback tests of the TCP transport against hostile and broken peers: a peer that never
//! reads, a blackhole that never answers SYNs, forged destinations for `send_existing`, the
//! connection limits, and slow senders. Sends are polled once (`now_or_never`): a send that
//! waited on a peer fails the test.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::time::Duration;

use bytes::BytesMut;
use dialogd_sip::framing::{self, Frame};
use futures::FutureExt;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::time::timeout;

use super::connection::CloseReason;
use super::*;

/// Longest any single wait in these tests (a real socket event) may take.
const WAIT: Duration = Duration::from_secs(2);

async fn start_with(config: TransportConfig) -> (Transports, mpsc::Receiver<Inbound>) {
    for _ in 0..20 {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let Ok(tcp) = TcpListener::bind(udp.local_addr().unwrap()).await else {
            continue;
        };
        let (tx, rx) = mpsc::channel(64);
        return (Transports::start(udp, tcp, tx, config).unwrap(), rx);
    }
    panic!("no port free for both udp and tcp");
}

fn request(call_id: &str) -> String {
    format!(
        "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK{call_id}\r\n\
         From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: {call_id}\r\n\
         CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
}

/// Sends without giving the transport a chance to wait: the future must be ready at once.
fn send_now(t: &Transports, dest: SocketAddr, data: Bytes) -> Result<(), TransportError> {
    t.send(TransportKind::Tcp, dest, data)
        .now_or_never()
        .expect("send waited")
}

async fn next(rx: &mut mpsc::Receiver<Inbound>) -> Inbound {
    timeout(WAIT, rx.recv())
        .await
        .expect("no inbound message")
        .expect("closed")
}

async fn read_message(stream: &mut TcpStream) -> Bytes {
    let mut buf = BytesMut::new();
    loop {
        if let Frame::Message { skip, len } = framing::frame(&buf).unwrap() {
            let _ = buf.split_to(skip);
            return buf.split_to(len).freeze();
        }
        let n = timeout(WAIT, stream.read_buf(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_ne!(n, 0, "eof before a whole message");
    }
}

/// True when the peer sees the connection closed (EOF or reset) within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut chunk = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// Waits until the table holds `n` connections.
async fn connections_become(t: &Transports, n: usize) {
    let polled = timeout(WAIT, async {
        while t.tcp_connection_count() != n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    assert!(
        polled.await.is_ok(),
        "{} connections, want {n}",
        t.tcp_connection_count()
    );
}

/// A client connection from `ip` (any 127/8 address works on loopback).
async fn connect_from(ip: Ipv4Addr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::V4(ip), 0)).unwrap();
    socket.connect(to).await.unwrap()
}

#[tokio::test]
async fn a_peer_that_never_reads_fills_its_queue_and_is_closed_while_others_are_served() {
    let config = TransportConfig {
        tcp_conn_queue_bytes: 64 * 1024,
        ..Default::default()
    };
    let (t, _rx) = start_with(config).await;
    let stuck_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stuck = stuck_listener.local_addr().unwrap();
    let other_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other = other_listener.local_addr().unwrap();

    let chunk = Bytes::from(vec![b'x'; 16 * 1024]);
    send_now(&t, stuck, chunk.clone()).unwrap();
    let (_never_read, _) = timeout(WAIT, stuck_listener.accept())
        .await
        .unwrap()
        .unwrap();
    let conn = t.inner.tcp.connection_to(stuck).unwrap();

    let failures = Arc::new(Mutex::new(Vec::new()));
    let mut other_served = false;
    let mut result = Ok(());
    for _ in 0..100_000 {
        let failures = Arc::clone(&failures);
        let sent = t
            .send_reporting(TransportKind::Tcp, stuck, chunk.clone(), move |e| {
                failures.lock().unwrap().push(e);
            })
            .now_or_never()
            .expect("send waited on a peer that does not read");
        if sent.is_err() {
            result = sent;
            break;
        }
        if !other_served && conn.queue.queued_bytes() > 0 {
            // The stuck peer has a backlog: another peer is still served at once.
            let msg = Bytes::from(request("other"));
            send_now(&t, other, msg.clone()).unwrap();
            let (mut peer, _) = timeout(WAIT, other_listener.accept())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(read_message(&mut peer).await, msg);
            other_served = true;
        }
        tokio::task::yield_now().await;
    }
    assert!(other_served, "the queue never held anything");
    let err = result.unwrap_err();
    assert!(
        matches!(err, TransportError::QueueFull { limit: 65536, .. }),
        "{err}"
    );
    assert_eq!(
        conn.close_reason().map(CloseReason::label),
        Some("queue_full")
    );
    assert!(t.inner.tcp.connection_to(stuck).is_none());
    // Every message still queued when it closed is reported, as closed.
    timeout(WAIT, async {
        while failures.lock().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let failures = failures.lock().unwrap();
    assert!(
        failures
            .iter()
            .all(|e| matches!(e, TransportError::Closed { .. })),
        "{failures:?}"
    );
}

#[tokio::test]
async fn a_connect_to_a_blackhole_runs_in_the_background_and_reports_its_timeout() {
    // A listener with backlog 1 that never accepts: once two connections wait in its accept
    // queue, Linux drops further SYNs and a connect hangs.
    let hole = TcpSocket::new_v4().unwrap();
    hole.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let hole = hole.listen(1).unwrap();
    let hole_addr = hole.local_addr().unwrap();
    let mut fillers = Vec::new();
    loop {
        match timeout(Duration::from_millis(200), TcpStream::connect(hole_addr)).await {
            Ok(Ok(stream)) => fillers.push(stream),
            Ok(Err(e)) => panic!("connect to the blackhole failed: {e}"),
            Err(_) => break,
        }
        assert!(fillers.len() < 64, "the accept queue never filled");
    }

    let config = TransportConfig {
        tcp_connect_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let (t, _rx) = start_with(config).await;
    let (tx, reported) = oneshot::channel();
    t.send_reporting(
        TransportKind::Tcp,
        hole_addr,
        Bytes::from(request("h1")),
        move |e| {
            let _ = tx.send(e);
        },
    )
    .now_or_never()
    .expect("send waited for the connect")
    .unwrap();
    // A second send to the same peer shares the connecting entry.
    send_now(&t, hole_addr, Bytes::from(request("h2"))).unwrap();
    assert_eq!(t.tcp_connection_count(), 1);

    // Meanwhile another peer is reached.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let msg = Bytes::from(request("fine"));
    send_now(&t, listener.local_addr().unwrap(), msg.clone()).unwrap();
    let (mut peer, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    assert_eq!(read_message(&mut peer).await, msg);

    let err = timeout(WAIT, reported).await.unwrap().unwrap();
    assert!(
        matches!(err, TransportError::ConnectTimeout { after, .. } if after == Duration::from_millis(500)),
        "{err}"
    );
    assert_eq!(err.peer(), hole_addr);
    connections_become(&t, 1).await;
    assert!(t.inner.tcp.connection_to(hole_addr).is_none());
    drop(fillers);
}

#[tokio::test]
async fn send_existing_never_opens_a_connection() {
    let (t, mut rx) = start_with(TransportConfig::default()).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dest = listener.local_addr().unwrap();
    let err = t
        .send_existing(TransportKind::Tcp, dest, Bytes::from(request("e1")))
        .now_or_never()
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, TransportError::NoConnection { .. }), "{err}");
    assert_eq!(t.tcp_connection_count(), 0);
    assert!(
        timeout(Duration::from_millis(200), listener.accept())
            .await
            .is_err()
    );

    // On the connection a peer opened, it sends.
    let mut peer = TcpStream::connect(t.local_addr()).await.unwrap();
    peer.write_all(request("e2").as_bytes()).await.unwrap();
    let source = next(&mut rx).await.source;
    let reply = Bytes::from(request("e2-reply"));
    t.send_existing(TransportKind::Tcp, source, reply.clone())
        .now_or_never()
        .unwrap()
        .unwrap();
    assert_eq!(read_message(&mut peer).await, reply);
    assert_eq!(t.tcp_connection_count(), 1);
}

#[tokio::test]
async fn per_ip_cap_and_outbound_reserve_hold_when_inbound_connections_flood() {
    let config = TransportConfig {
        max_connections: 4,
        tcp_outbound_reserve: 1,
        tcp_max_connections_per_ip: 2,
        ..Default::default()
    };
    let (t, mut rx) = start_with(config).await;
    let ip = |last| Ipv4Addr::new(127, 0, 0, last);
    let mut kept = Vec::new();
    for (i, from) in [ip(1), ip(1), ip(2)].into_iter().enumerate() {
        let mut c = connect_from(from, t.local_addr()).await;
        c.write_all(request(&format!("f{i}")).as_bytes())
            .await
            .unwrap();
        next(&mut rx).await;
        kept.push(c);
    }
    // A third from 127.0.0.1 passes the per-IP cap; one from a new IP would take the reserve.
    for from in [ip(1), ip(3)] {
        let mut refused = connect_from(from, t.local_addr()).await;
        assert!(closed_within(&mut refused, WAIT).await, "{from} was kept");
    }
    assert_eq!(t.tcp_connection_count(), 3);

    // The reserved slot is still there for a next hop.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let msg = Bytes::from(request("out"));
    send_now(&t, listener.local_addr().unwrap(), msg.clone()).unwrap();
    let (mut hop, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    assert_eq!(read_message(&mut hop).await, msg);
    assert_eq!(t.tcp_connection_count(), 4);
    // Now the table is full for everyone.
    let second = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = send_now(&t, second.local_addr().unwrap(), msg).unwrap_err();
    assert!(
        matches!(err, TransportError::TooManyConnections { limit: 4, .. }),
        "{err}"
    );
}

/// Writes `bytes` one at a time, `every` apart, until done or the connection fails.
async fn trickle(stream: &mut (impl AsyncWrite + Unpin), bytes: &[u8], every: Duration) -> bool {
    for b in bytes {
        if stream.write_all(&[*b]).await.is_err() {
            return false;
        }
        tokio::time::sleep(every).await;
    }
    true
}

#[tokio::test]
async fn slow_senders_are_closed_and_complete_messages_keep_a_connection() {
    let config = TransportConfig {
        tcp_message_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let (t, mut rx) = start_with(config).await;

    // One byte every 100 ms: the message cannot arrive within 500 ms.
    let slow = TcpStream::connect(t.local_addr()).await.unwrap();
    slow.set_nodelay(true).unwrap();
    let (mut slow_read, mut slow_write) = slow.into_split();
    let msg = request("slow");
    let writing = tokio::spawn(async move {
        trickle(&mut slow_write, msg.as_bytes(), Duration::from_millis(100)).await
    });
    let mut chunk = [0u8; 64];
    let n = timeout(WAIT, slow_read.read(&mut chunk))
        .await
        .expect("slow sender kept");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    writing.abort();

    // A connection that says nothing is closed too.
    let mut silent = TcpStream::connect(t.local_addr()).await.unwrap();
    assert!(
        closed_within(&mut silent, WAIT).await,
        "silent connection kept"
    );

    // Whole messages every 200 ms for longer than the timeout keep the connection.
    let mut good = TcpStream::connect(t.local_addr()).await.unwrap();
    for i in 0..6 {
        good.write_all(request(&format!("g{i}")).as_bytes())
            .await
            .unwrap();
        assert_eq!(
            next(&mut rx).await.data,
            request(&format!("g{i}")).as_bytes()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!closed_within(&mut good, Duration::from_millis(100)).await);
    assert!(rx.try_recv().is_err(), "a partial message was delivered");
}

#[tokio::test]
async fn trickled_bytes_do_not_reset_the_idle_timeout() {
    let config = TransportConfig {
        tcp_idle_timeout: Duration::from_millis(500),
        tcp_message_timeout: Duration::from_secs(30),
        ..Default::default()
    };
    let (t, mut rx) = start_with(config).await;
    let mut peer = TcpStream::connect(t.local_addr()).await.unwrap();
    peer.set_nodelay(true).unwrap();
    peer.write_all(request("i1").as_bytes()).await.unwrap();
    next(&mut rx).await;
    // Bytes of a next message keep coming, but no message completes: idle after 500 ms.
    let kept = trickle(
        &mut peer,
        request("i2").as_bytes(),
        Duration::from_millis(100),
    )
    .await;
    assert!(!kept, "the trickling peer was never closed");
    connections_become(&t, 0).await;
}

#[tokio::test]
async fn a_write_blocked_past_the_send_timeout_closes_and_reports() {
    let config = TransportConfig {
        tcp_send_timeout: Duration::from_millis(300),
        tcp_conn_queue_bytes: 64 * 1024 * 1024,
        ..Default::default()
    };
    let (t, _rx) = start_with(config).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dest = listener.local_addr().unwrap();
    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
    send_now(&t, dest, chunk.clone()).unwrap();
    let (_never_read, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    let conn = t.inner.tcp.connection_to(dest).unwrap();

    // Queue until the kernel buffers are full and the writer is stuck on a message.
    let reports = Arc::new(Mutex::new(Vec::new()));
    while conn.queue.queued_bytes() < 4 * chunk.len() {
        let reports = Arc::clone(&reports);
        t.send_reporting(TransportKind::Tcp, dest, chunk.clone(), move |e| {
            reports.lock().unwrap().push(e);
        })
        .now_or_never()
        .expect("send waited")
        .unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    connections_become(&t, 0).await;
    assert_eq!(
        conn.close_reason().map(CloseReason::label),
        Some("send_timeout")
    );
    let reports = reports.lock().unwrap();
    assert!(
        matches!(reports.first(), Some(TransportError::WriteTimeout { .. })),
        "{reports:?}"
    );
    assert!(
        reports[1..]
            .iter()
            .all(|e| matches!(e, TransportError::Closed { .. }))
    );
    assert!(reports.len() >= 4);
}

#[tokio::test]
async fn a_refused_connect_is_reported_with_the_peer_named_and_leaves_the_table() {
    let (t, _rx) = start_with(TransportConfig::default()).await;
    let dest = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let (tx, reported) = oneshot::channel();
    t.send_reporting(
        TransportKind::Tcp,
        dest,
        Bytes::from_static(b"x"),
        move |e| {
            let _ = tx.send(e);
        },
    )
    .now_or_never()
    .expect("send waited for the connect")
    .unwrap();
    let err = timeout(WAIT, reported).await.unwrap().unwrap();
    assert!(matches!(err, TransportError::Connect { .. }), "{err}");
    assert_eq!(err.peer(), dest);
    assert!(err.to_string().contains(&dest.to_string()));
    connections_become(&t, 0).await;
}
