//! Scenario: the proxy's UDP and TCP transports on 127.0.0.1 against real peer sockets —
//! datagrams in and out, TCP framing of pipelined and split messages, connection reuse in both
//! directions, keep-alive pongs, 400-and-close on unframeable streams, limits and shutdown.

// Test helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use dialogd_proxy::transport::{
    Inbound, TransportConfig, TransportError, TransportKind, Transports,
};
use dialogd_sip::framing::{self, Frame};
use dialogd_sip::{ParseError, SipMessage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);

async fn start_with(
    config: TransportConfig,
    queue: usize,
) -> (Transports, mpsc::Receiver<Inbound>) {
    // Bind UDP on an ephemeral port, then TCP on the same one; retry if TCP's is taken.
    for _ in 0..20 {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let Ok(tcp) = TcpListener::bind(udp.local_addr().unwrap()).await else {
            continue;
        };
        let (tx, rx) = mpsc::channel(queue);
        return (Transports::start(udp, tcp, tx, config).unwrap(), rx);
    }
    panic!("no port free for both udp and tcp");
}

async fn start() -> (Transports, mpsc::Receiver<Inbound>) {
    start_with(TransportConfig::default(), 64).await
}

async fn next(rx: &mut mpsc::Receiver<Inbound>) -> Inbound {
    timeout(WAIT, rx.recv())
        .await
        .expect("no inbound message in time")
        .expect("channel closed")
}

async fn nothing_more(rx: &mut mpsc::Receiver<Inbound>) {
    let got = timeout(Duration::from_millis(200), rx.recv()).await;
    assert!(got.is_err(), "unexpected inbound message: {got:?}");
}

fn request(call_id: &str, body: &str) -> String {
    format!(
        "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK{call_id}\r\n\
         From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: {call_id}\r\n\
         CSeq: 1 OPTIONS\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Reads one framed message from a peer's stream; `None` on EOF.
async fn read_message(stream: &mut TcpStream, buf: &mut BytesMut) -> Option<Bytes> {
    loop {
        if let Frame::Message { skip, len } = framing::frame(buf).unwrap() {
            let _ = buf.split_to(skip);
            return Some(buf.split_to(len).freeze());
        }
        let n = timeout(WAIT, stream.read_buf(buf))
            .await
            .expect("peer read timed out")
            .ok()?;
        if n == 0 {
            return None;
        }
    }
}

/// Reads until the peer sees EOF (or a reset), returning what arrived before it.
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match timeout(WAIT, stream.read(&mut chunk))
            .await
            .expect("connection was not closed")
        {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
}

#[tokio::test]
async fn udp_datagrams_arrive_whole_keep_alives_are_ignored_and_sends_reach_the_peer() {
    let (t, mut rx) = start().await;
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let peer_addr = peer.local_addr().unwrap();

    for keep_alive in ["\r\n\r\n", "\r\n", ""] {
        peer.send_to(keep_alive.as_bytes(), t.local_addr())
            .await
            .unwrap();
    }
    let msg = request("u1", "hello");
    peer.send_to(msg.as_bytes(), t.local_addr()).await.unwrap();
    let got = next(&mut rx).await;
    assert_eq!(got.data, msg.as_bytes());
    assert_eq!(got.source, peer_addr);
    assert_eq!(got.transport, TransportKind::Udp);
    assert_eq!(got.local, t.local_addr());
    nothing_more(&mut rx).await;

    let out = Bytes::from(request("u2", ""));
    t.send(TransportKind::Udp, peer_addr, out.clone())
        .await
        .unwrap();
    let mut buf = [0u8; 2048];
    let (n, from) = timeout(WAIT, peer.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], &out[..]);
    assert_eq!(from, t.local_addr());
}

#[tokio::test]
async fn udp_datagrams_are_dropped_when_the_inbound_queue_is_full() {
    let (t, mut rx) = start_with(TransportConfig::default(), 1).await;
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for id in ["a", "b", "c"] {
        peer.send_to(request(id, "").as_bytes(), t.local_addr())
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(next(&mut rx).await.data, request("a", "").as_bytes());
    nothing_more(&mut rx).await;
    peer.send_to(request("d", "").as_bytes(), t.local_addr())
        .await
        .unwrap();
    assert_eq!(next(&mut rx).await.data, request("d", "").as_bytes());
}

#[tokio::test]
async fn tcp_pipelined_messages_in_one_write_arrive_framed() {
    let (t, mut rx) = start().await;
    let mut peer = TcpStream::connect(t.local_addr()).await.unwrap();
    let (a, b) = (request("p1", "body one"), request("p2", ""));
    peer.write_all(format!("{a}{b}").as_bytes()).await.unwrap();
    let first = next(&mut rx).await;
    let second = next(&mut rx).await;
    assert_eq!(first.data, a.as_bytes());
    assert_eq!(second.data, b.as_bytes());
    assert_eq!(first.source, peer.local_addr().unwrap());
    assert_eq!(first.transport, TransportKind::Tcp);
    assert_eq!(first.local, t.local_addr());
    nothing_more(&mut rx).await;
}

#[tokio::test]
async fn tcp_message_split_over_several_writes_arrives_whole() {
    let (t, mut rx) = start().await;
    let mut peer = TcpStream::connect(t.local_addr()).await.unwrap();
    peer.set_nodelay(true).unwrap();
    let msg = request("s1", "split body");
    // Cut inside the start line, inside the empty line, and inside the body.
    let cuts = [
        5,
        msg.find("\r\n\r\n").unwrap() + 2,
        msg.len() - 3,
        msg.len(),
    ];
    let mut from = 0;
    for cut in cuts {
        peer.write_all(&msg.as_bytes()[from..cut]).await.unwrap();
        peer.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        if cut < msg.len() {
            nothing_more_quick(&mut rx);
        }
        from = cut;
    }
    assert_eq!(next(&mut rx).await.data, msg.as_bytes());
}

fn nothing_more_quick(rx: &mut mpsc::Receiver<Inbound>) {
    assert!(rx.try_recv().is_err(), "a partial message was delivered");
}

#[tokio::test]
async fn tcp_send_to_a_peer_that_connected_reuses_its_connection() {
    let (t, mut rx) = start().await;
    let mut peer = TcpStream::connect(t.local_addr()).await.unwrap();
    peer.write_all(request("r1", "").as_bytes()).await.unwrap();
    let got = next(&mut rx).await;
    assert_eq!(t.tcp_connection_count(), 1);

    let reply = Bytes::from(request("r1-reply", "x"));
    t.send(TransportKind::Tcp, got.source, reply.clone())
        .await
        .unwrap();
    let mut buf = BytesMut::new();
    assert_eq!(read_message(&mut peer, &mut buf).await.unwrap(), reply);
    assert_eq!(
        t.tcp_connection_count(),
        1,
        "a second connection was opened"
    );
}

#[tokio::test]
async fn tcp_send_to_a_new_peer_opens_a_connection_and_its_reply_comes_back() {
    let (t, mut rx) = start().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dest = listener.local_addr().unwrap();

    let out = Bytes::from(request("o1", "ping"));
    t.send(TransportKind::Tcp, dest, out.clone()).await.unwrap();
    let (mut peer, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    let mut buf = BytesMut::new();
    assert_eq!(read_message(&mut peer, &mut buf).await.unwrap(), out);

    let reply = request("o1-reply", "");
    peer.write_all(reply.as_bytes()).await.unwrap();
    let got = next(&mut rx).await;
    assert_eq!(got.data, reply.as_bytes());
    assert_eq!(got.source, dest);
    assert_eq!(got.transport, TransportKind::Tcp);
    assert_eq!(got.local.port(), t.local_addr().port());

    // A second request to the same peer goes on the same connection.
    let again = Bytes::from(request("o2", ""));
    t.send(TransportKind::Tcp, dest, again.clone())
        .await
        .unwrap();
    assert_eq!(read_message(&mut peer, &mut buf).await.unwrap(), again);
    assert!(
        timeout(Duration::from_millis(200), listener.accept())
            .await
            .is_err()
    );
    assert_eq!(t.tcp_connection_count(), 1);
}

#[tokio::test]
async fn concurrent_tcp_sends_to_one_peer_never_interleave() {
    // 20 × 20 KB in one burst, maybe while the connection is still being opened: more than
    // the default per-connection queue holds.
    let config = TransportConfig {
        tcp_conn_queue_bytes: 1024 * 1024,
        ..Default::default()
    };
    let (t, _rx) = start_with(config, 64).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dest = listener.local_addr().unwrap();
    t.send(TransportKind::Tcp, dest, Bytes::from(request("first", "")))
        .await
        .unwrap();
    let (mut peer, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();

    let big = "b".repeat(20_000);
    let mut sends = Vec::new();
    for i in 0..20 {
        let t = t.clone();
        let msg = Bytes::from(request(&format!("c{i}"), &big));
        sends.push(tokio::spawn(async move {
            t.send(TransportKind::Tcp, dest, msg).await
        }));
    }
    let mut buf = BytesMut::new();
    let mut seen = Vec::new();
    for _ in 0..21 {
        let msg = SipMessage::parse(read_message(&mut peer, &mut buf).await.unwrap()).unwrap();
        seen.push(msg.call_id().to_owned());
    }
    for s in sends {
        s.await.unwrap().unwrap();
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 21);
}

#[tokio::test]
async fn tcp_unframeable_stream_gets_400_and_is_closed_while_others_keep_working() {
    let (t, mut rx) = start().await;
    let mut good = TcpStream::connect(t.local_addr()).await.unwrap();
    let mut no_length = TcpStream::connect(t.local_addr()).await.unwrap();
    let mut garbage = TcpStream::connect(t.local_addr()).await.unwrap();

    let head = request("bad1", "");
    let head = head.replace("Content-Length: 0\r\n", "");
    no_length.write_all(head.as_bytes()).await.unwrap();
    let answer = read_to_close(&mut no_length).await;
    let answer = SipMessage::parse(Bytes::from(answer)).unwrap();
    assert_eq!(answer.status(), Some(400));
    assert_eq!(answer.call_id(), "bad1");
    assert!(
        answer.reason().unwrap().contains("Content-Length"),
        "{:?}",
        answer.reason()
    );

    garbage
        .write_all(b"\x00\x01GARBAGE\xff\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(
        read_to_close(&mut garbage).await,
        b"",
        "garbage got an answer"
    );

    nothing_more(&mut rx).await;
    let msg = request("g1", "");
    good.write_all(msg.as_bytes()).await.unwrap();
    assert_eq!(next(&mut rx).await.data, msg.as_bytes());
}

#[tokio::test]
async fn tcp_crlf_keep_alive_ping_is_answered_with_one_pong() {
    let (t, mut rx) = start().await;
    let mut peer = TcpStream::connect(t.local_addr()).await.unwrap();
    peer.set_nodelay(true).unwrap();
    let mut pong = [0u8; 16];

    // A whole ping, then a ping in two halves: one CRLF each.
    for parts in [&["\r\n\r\n"][..], &["\r\n", "\r\n"][..]] {
        for part in parts {
            peer.write_all(part.as_bytes()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        let n = timeout(WAIT, peer.read(&mut pong)).await.unwrap().unwrap();
        assert_eq!(&pong[..n], b"\r\n");
    }
    // A lone CRLF (a pong from the peer) is not answered; messages still flow after it.
    peer.write_all(b"\r\n").await.unwrap();
    assert!(
        timeout(Duration::from_millis(200), peer.read(&mut pong))
            .await
            .is_err()
    );
    let msg = request("k1", "");
    peer.write_all(msg.as_bytes()).await.unwrap();
    assert_eq!(next(&mut rx).await.data, msg.as_bytes());
}

#[tokio::test]
async fn tcp_connection_idle_past_the_timeout_is_closed() {
    let config = TransportConfig {
        tcp_idle_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let (t, mut rx) = start_with(config, 8).await;
    let mut peer = TcpStream::connect(t.local_addr()).await.unwrap();
    peer.write_all(request("i1", "").as_bytes()).await.unwrap();
    next(&mut rx).await;
    let started = tokio::time::Instant::now();
    assert_eq!(read_to_close(&mut peer).await, b"");
    assert!(started.elapsed() >= Duration::from_millis(250));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(t.tcp_connection_count(), 0);
}

#[tokio::test]
async fn tcp_connection_limit_refuses_extra_connections() {
    let config = TransportConfig {
        max_connections: 1,
        tcp_outbound_reserve: 0,
        ..Default::default()
    };
    let (t, mut rx) = start_with(config, 8).await;
    let mut first = TcpStream::connect(t.local_addr()).await.unwrap();
    first.write_all(request("l1", "").as_bytes()).await.unwrap();
    next(&mut rx).await;

    let mut second = TcpStream::connect(t.local_addr()).await.unwrap();
    assert_eq!(read_to_close(&mut second).await, b"");

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = t
        .send(
            TransportKind::Tcp,
            listener.local_addr().unwrap(),
            Bytes::from_static(b"x"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, TransportError::TooManyConnections { limit: 1, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn tcp_send_to_a_closed_port_fails_with_the_peer_named() {
    let (t, _rx) = start().await;
    let dest: SocketAddr = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    // The send is queued at once; the failed connect is reported afterwards.
    let (tx, rx) = tokio::sync::oneshot::channel();
    t.send_reporting(
        TransportKind::Tcp,
        dest,
        Bytes::from_static(b"x"),
        move |e| {
            let _ = tx.send(e);
        },
    )
    .await
    .unwrap();
    let err = timeout(WAIT, rx).await.unwrap().unwrap();
    assert!(matches!(err, TransportError::Connect { .. }), "{err}");
    assert_eq!(err.peer(), dest);
    assert!(err.to_string().contains(&dest.to_string()));
}

#[tokio::test]
async fn tcp_backpressure_delivers_every_message_in_order() {
    let (t, mut rx) = start_with(TransportConfig::default(), 1).await;
    let mut peer = TcpStream::connect(t.local_addr()).await.unwrap();
    let all: String = (0..10).map(|i| request(&format!("bp{i}"), "")).collect();
    peer.write_all(all.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    for i in 0..10 {
        assert_eq!(
            next(&mut rx).await.data,
            request(&format!("bp{i}"), "").as_bytes()
        );
    }
}

#[tokio::test]
async fn shutdown_closes_connections_and_refuses_sends() {
    let (t, mut rx) = start().await;
    let mut peer = TcpStream::connect(t.local_addr()).await.unwrap();
    peer.write_all(request("z1", "").as_bytes()).await.unwrap();
    let got = next(&mut rx).await;

    t.shutdown();
    assert_eq!(read_to_close(&mut peer).await, b"");
    let err = t
        .send(TransportKind::Tcp, got.source, Bytes::from_static(b"x"))
        .await
        .unwrap_err();
    assert!(err.is_shutdown(), "{err}");
    let err = t
        .send(TransportKind::Udp, got.source, Bytes::from_static(b"x"))
        .await
        .unwrap_err();
    assert!(err.is_shutdown(), "{err}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        TcpStream::connect(t.local_addr()).await.is_err(),
        "still accepting after shutdown"
    );
}

#[test]
fn transport_kind_names_and_reliability() {
    let cases = [
        (TransportKind::Udp, "UDP", false),
        (TransportKind::Tcp, "TCP", true),
    ];
    for (kind, name, reliable) in cases {
        assert_eq!(kind.as_str(), name);
        assert_eq!(kind.to_string(), name);
        assert_eq!(kind.is_reliable(), reliable);
    }
    let _ = ParseError::Empty; // the framing error type the 400 reason comes from
}
