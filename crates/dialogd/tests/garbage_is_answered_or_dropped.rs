//! Scenario: garbage bytes, malformed SIP (missing Call-ID, bad CSeq, bad start line) and the
//! invalid messages of RFC 4475 sent to dialogd over UDP and TCP: a malformed request that can be
//! answered (it has a Via and a Call-ID to echo) gets 400, the rest is answered with an error or
//! dropped, never proxied, and the node stays up and still carries normal SIPp calls over both
//! transports afterwards.

use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use dialogd_test_support::{
    DialogdNode, RawSipPeer, SipMessage, SippCall, Transport, wait_until, workspace_root,
};

const REPLY: Duration = Duration::from_secs(5);
/// How long to wait for an answer that may rightly never come.
const DROP_WAIT: Duration = Duration::from_secs(2);
/// Start line of the malformed requests: a target nothing listens on, should one be proxied.
const INVITE: &str = "INVITE sip:nobody@127.0.0.1:9 SIP/2.0";
const RUN: Duration = Duration::from_secs(60);

/// A request from `peer` with every header a proxy needs, minus or plus what `tweak` changes.
fn request(
    peer: &RawSipPeer,
    branch: &str,
    start_line: &str,
    tweak: &[(&str, Option<&str>)],
) -> Vec<u8> {
    let me = peer.local_addr();
    let via = format!(
        "SIP/2.0/{} {me};branch={branch}",
        peer.transport().via_token()
    );
    let from = format!("<sip:garbage@{me}>;tag=g{branch}");
    let call_id = format!("{branch}@127.0.0.1");
    let mut headers: Vec<(&str, String)> = vec![
        ("Via", via),
        ("Max-Forwards", "70".into()),
        ("From", from),
        ("To", "<sip:nobody@127.0.0.1:9>".into()),
        ("Call-ID", call_id),
        ("CSeq", "1 INVITE".into()),
        ("Contact", format!("<sip:garbage@{me}>")),
    ];
    for (name, value) in tweak {
        headers.retain(|(n, _)| n != name);
        if let Some(value) = value {
            headers.push((name, value.to_string()));
        }
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    SipMessage::compose(start_line, &headers, "")
}

/// The final response carrying our `branch`, if one comes within `wait`.
fn response_to(peer: &mut RawSipPeer, branch: &str, wait: Duration) -> Option<SipMessage> {
    peer.recv_until(wait, |m| {
        m.status().is_some_and(|s| s >= 200) && m.header("Via").is_some_and(|v| v.contains(branch))
    })
    .ok()
}

/// Malformed requests that carry a Via and a Call-ID: each must be answered 400.
const MUST_GET_400: [(&str, &str, Option<&str>); 3] = [
    ("bad-cseq", "CSeq", Some("abc INVITE")),
    ("negative-cseq", "CSeq", Some("-1 INVITE")),
    ("cseq-without-method", "CSeq", Some("1")),
];

/// Malformed requests a response could not be matched to (RFC 3261 §8.2.6.2: a response copies
/// the Call-ID): an error response or nothing.
const MAY_BE_DROPPED: [(&str, &str, Option<&str>); 2] = [
    ("missing-callid", "Call-ID", None),
    ("missing-from", "From", None),
];

/// Bad start lines: answered with an error (400/505) or dropped, never proxied.
const BAD_START_LINES: [&str; 3] = [
    "INVITE sip:nobody@127.0.0.1:9 SIP/7.0",
    "INVITE sip:nobody@127.0.0.1:9",
    "THIS IS NOT A SIP START LINE",
];

/// Bytes that are not SIP at all.
fn garbage() -> Vec<Vec<u8>> {
    vec![
        b"\x00\x01\x02\x03\xff\xfe\xfd".to_vec(),
        b"hello\r\n\r\n".to_vec(),
        vec![0xff; 1200],
        b"SIP/2.0\r\n\r\n".to_vec(),
        b"\r\n\r\n".to_vec(),
        b"INVITE\r\nVia:\r\n\r\n".to_vec(),
        b"INVITE sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\nshort".to_vec(),
        [
            b"OPTIONS sip:x SIP/2.0\r\nX: ".as_slice(),
            &vec![b'A'; 60_000],
            b"\r\n\r\n",
        ]
        .concat(),
    ]
}

fn rfc4475_invalid() -> Result<Vec<(String, Vec<u8>)>> {
    let dir: PathBuf = workspace_root().join("crates/sip/tests/fixtures/rfc4475/invalid");
    let mut out = Vec::new();
    for entry in fs::read_dir(&dir).with_context(|| format!("no fixtures in {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "sip") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push((name, fs::read(&path)?));
        }
    }
    out.sort();
    Ok(out)
}

/// Over `transport`: a fresh peer per message on TCP (the node may close a connection it cannot
/// frame), one peer for all on UDP.
fn peer_for(
    transport: Transport,
    node: SocketAddr,
    shared: &mut Option<RawSipPeer>,
) -> Result<RawSipPeer> {
    match (transport, shared.take()) {
        (Transport::Udp, Some(peer)) => Ok(peer),
        _ => RawSipPeer::new(transport, node),
    }
}

fn malformed_requests_get_400(node: &DialogdNode, transport: Transport) -> Result<()> {
    let mut shared = None;
    for (name, header, value) in MUST_GET_400 {
        let mut peer = peer_for(transport, node.sip_addr(), &mut shared)?;
        let branch = format!("z9hG4bK-{name}-{}", transport.uri_param());
        let bytes = request(&peer, &branch, INVITE, &[(header, value)]);
        peer.send_to(node.sip_addr(), &bytes)?;
        let response = response_to(&mut peer, &branch, REPLY);
        ensure!(
            response.as_ref().and_then(SipMessage::status) == Some(400),
            "{name} over {transport}: got {:?}",
            response.as_ref().map(SipMessage::first_line)
        );
        if transport == Transport::Udp {
            shared = Some(peer);
        }
    }
    let dropped_or_error = MAY_BE_DROPPED
        .iter()
        .map(|(name, header, value)| {
            (
                name.to_string(),
                INVITE.to_string(),
                Some((*header, *value)),
            )
        })
        .chain(
            BAD_START_LINES
                .iter()
                .enumerate()
                .map(|(i, line)| (format!("startline{i}"), line.to_string(), None)),
        );
    for (name, line, tweak) in dropped_or_error {
        let mut peer = peer_for(transport, node.sip_addr(), &mut shared)?;
        let branch = format!("z9hG4bK-{name}-{}", transport.uri_param());
        let tweak: Vec<_> = tweak.into_iter().collect();
        let bytes = request(&peer, &branch, &line, &tweak);
        peer.send_to(node.sip_addr(), &bytes)?;
        if let Some(response) = response_to(&mut peer, &branch, DROP_WAIT) {
            let status = response.status().unwrap_or(0);
            ensure!(
                (400..600).contains(&status),
                "{name} ({line:?}) over {transport} got {}",
                response.first_line()
            );
        }
        if transport == Transport::Udp {
            shared = Some(peer);
        }
    }
    Ok(())
}

fn send_and_forget(node: &DialogdNode, transport: Transport, messages: &[Vec<u8>]) -> Result<()> {
    let mut shared = None;
    for bytes in messages {
        let mut peer = peer_for(transport, node.sip_addr(), &mut shared)?;
        // A closed connection or a refused write is an acceptable answer to garbage.
        if peer.send_to(node.sip_addr(), bytes).is_ok() {
            let _ = peer.recv(Duration::from_millis(200));
        }
        if transport == Transport::Udp {
            shared = Some(peer);
        }
    }
    Ok(())
}

fn normal_call_still_works(node: &DialogdNode, transport: Transport) -> Result<()> {
    let (caller, callee) = SippCall::basic(node.sip_addr())
        .transport(transport)
        .hold(Duration::from_millis(100))
        .timeout(RUN)
        .run()?;
    ensure!(
        caller.all_successful(),
        "uac over {transport}:\n{}",
        caller.describe()
    );
    ensure!(
        callee.all_successful(),
        "uas over {transport}:\n{}",
        callee.describe()
    );
    Ok(())
}

#[test]
fn garbage_and_malformed_sip_are_answered_or_dropped_and_calls_still_work() {
    let node = DialogdNode::start("").unwrap();
    let invalid = rfc4475_invalid().unwrap();
    assert!(!invalid.is_empty(), "no RFC 4475 invalid fixtures found");
    let invalid: Vec<Vec<u8>> = invalid.into_iter().map(|(_, bytes)| bytes).collect();

    for transport in [Transport::Udp, Transport::Tcp] {
        send_and_forget(&node, transport, &garbage()).unwrap();
        node.assert_alive();
        malformed_requests_get_400(&node, transport).unwrap();
        node.assert_alive();
        send_and_forget(&node, transport, &invalid).unwrap();
        node.assert_alive();
    }

    normal_call_still_works(&node, Transport::Udp).unwrap();
    normal_call_still_works(&node, Transport::Tcp).unwrap();
    node.assert_alive();

    let ctl = node.dialogctl();
    wait_until(
        Duration::from_secs(15),
        "the two calls to be counted",
        || {
            let s = ctl.stats()?;
            anyhow::ensure!(s.processed == 2 && s.active == 0, "stats {s:?}");
            Ok(())
        },
    )
    .unwrap();
}
