//! Unit tests of `raw_sip.rs`.

use super::*;
use std::net::TcpListener;
use std::thread;

#[test]
fn udp_peers_exchange_messages_and_time_out() {
    let mut a = RawSipPeer::udp().unwrap();
    let mut b = RawSipPeer::udp().unwrap();
    let bytes = SipMessage::compose("OPTIONS sip:b SIP/2.0", &[("CSeq", "1 OPTIONS")], "");
    a.send_to(b.local_addr(), b"\r\n\r\n").unwrap();
    a.send_to(b.local_addr(), &bytes).unwrap();
    let got = b.recv(Duration::from_secs(5)).unwrap().unwrap();
    assert_eq!(got.method(), Some("OPTIONS"));
    assert_eq!(got.source, Some(a.local_addr()));
    assert!(b.recv(Duration::from_millis(50)).unwrap().is_none());
}

#[test]
fn tcp_framing_splits_and_joins_messages() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let one = SipMessage::compose("SIP/2.0 100 Trying", &[("CSeq", "1 INVITE")], "");
        let two = SipMessage::compose("SIP/2.0 486 Busy Here", &[("CSeq", "1 INVITE")], "x");
        let mut all = one.clone();
        all.extend_from_slice(b"\r\n");
        all.extend_from_slice(&two[..10]);
        s.write_all(&all).unwrap();
        thread::sleep(Duration::from_millis(50));
        s.write_all(&two[10..]).unwrap();
    });
    let mut peer = RawSipPeer::tcp(addr).unwrap();
    let final_response = peer.recv_final(Duration::from_secs(5), "INVITE").unwrap();
    assert_eq!(final_response.status(), Some(486));
    assert_eq!(final_response.body(), b"x");
    server.join().unwrap();
    assert!(peer.recv(Duration::from_secs(5)).unwrap().is_none());
    assert!(peer.is_closed());
}
