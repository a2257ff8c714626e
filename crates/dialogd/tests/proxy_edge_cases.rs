//! Scenarios at the edges of RFC 3261 §16 proxying: requests dialogd answers itself without a
//! dialog (Max-Forwards 0 → 483, a policy reject → 403, OPTIONS to the node → 200, MESSAGE to the
//! node → 404, a `tel:` target → 416), timer B (408 upstream, dialog failed), and a spiral (the
//! INVITE coming back through dialogd creates no second dialog).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use dialogd_test_support::{DialogdNode, RawSipPeer, SipMessage};

const REPLY: Duration = Duration::from_secs(15);

/// Sends one request from `peer` to the node and returns the final response to it.
fn ask(
    peer: &mut RawSipPeer,
    node: SocketAddr,
    method: &str,
    ruri: &str,
    from_user: &str,
    max_forwards: &str,
) -> Result<SipMessage> {
    let me = peer.local_addr();
    let branch = format!("z9hG4bK{method}{from_user}{max_forwards}");
    let via = format!("SIP/2.0/UDP {me};branch={branch}");
    let from = format!("<sip:{from_user}@{me}>;tag=t{from_user}");
    let call_id = format!("{branch}@127.0.0.1");
    let cseq = format!("1 {method}");
    let contact = format!("<sip:{from_user}@{me}>");
    let bytes = SipMessage::compose(
        &format!("{method} {ruri} SIP/2.0"),
        &[
            ("Via", &via),
            ("Max-Forwards", max_forwards),
            ("From", &from),
            ("To", &format!("<{ruri}>")),
            ("Call-ID", &call_id),
            ("CSeq", &cseq),
            ("Contact", &contact),
        ],
        "",
    );
    peer.send_to(node, &bytes)?;
    peer.recv_until(REPLY, |m| {
        m.status().is_some_and(|s| s >= 200) && m.header("Via").is_some_and(|v| v.contains(&branch))
    })
    .with_context(|| format!("no final response to {method} {ruri}"))
}

#[test]
fn requests_the_node_answers_itself_create_no_dialog() {
    let node = DialogdNode::start(
        "[[rules]]\nname = \"block-mallory\"\nmatch = { from_user = \"^mallory$\" }\nreject = { code = 403, reason = \"Forbidden\" }\n",
    )
    .unwrap();
    let sip = node.endpoints().sip;
    let mut peer = RawSipPeer::udp().unwrap();
    // Nothing listens on port 9: a proxied INVITE would time out, never be answered at once.
    let elsewhere = "sip:bob@127.0.0.1:9";
    let own = format!("sip:{sip}");

    let r = ask(&mut peer, sip, "INVITE", elsewhere, "alice", "0").unwrap();
    assert_eq!(r.status(), Some(483), "Max-Forwards 0: {}", r.first_line());

    let r = ask(&mut peer, sip, "INVITE", elsewhere, "mallory", "70").unwrap();
    assert_eq!(
        r.status(),
        Some(403),
        "rejected by rule: {}",
        r.first_line()
    );
    assert!(
        r.to_tag().is_some(),
        "a final response from the proxy carries its To tag"
    );

    let r = ask(&mut peer, sip, "OPTIONS", &own, "pinger", "70").unwrap();
    assert_eq!(
        r.status(),
        Some(200),
        "OPTIONS to the node: {}",
        r.first_line()
    );

    let r = ask(&mut peer, sip, "MESSAGE", &own, "texter", "70").unwrap();
    assert_eq!(
        r.status(),
        Some(404),
        "MESSAGE to the node: {}",
        r.first_line()
    );

    let r = ask(&mut peer, sip, "INVITE", "tel:+15551234", "dialer", "70").unwrap();
    assert_eq!(
        r.status(),
        Some(416),
        "tel: without next hop: {}",
        r.first_line()
    );

    let stats = node.dialogctl().stats().unwrap();
    assert_eq!(
        (stats.early, stats.active, stats.failed, stats.processed),
        (0, 0, 0, 0)
    );
    node.assert_alive();
}

/// Scenario: the next hop never answers an INVITE; with T1 = 50 ms timer B fires after
/// 64·T1 = 3.2 s and the caller gets 100 Trying, then 408, and the dialog counts as failed.
#[test]
fn timer_b_answers_408_and_fails_the_dialog() {
    let node = DialogdNode::start("[sip]\nt1_ms = 50\n").unwrap();
    let sip = node.endpoints().sip;
    let mut peer = RawSipPeer::udp().unwrap();
    // A bound socket that reads nothing: the INVITE is delivered and never answered.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let ruri = format!("sip:bob@{}", silent.local_addr().unwrap());
    let r = ask(&mut peer, sip, "INVITE", &ruri, "alice", "70").unwrap();
    assert_eq!(
        r.status(),
        Some(408),
        "no answer downstream: {}",
        r.first_line()
    );
    // The dialog is counted as failed once its release is committed (just after the 408).
    dialogd_test_support::wait_until(
        std::time::Duration::from_secs(5),
        "the failed dialog",
        || {
            let stats = node.dialogctl().stats()?;
            anyhow::ensure!(
                (stats.early, stats.active, stats.failed) == (0, 0, 1),
                "stats {stats:?}"
            );
            Ok(())
        },
    )
    .unwrap();
    drop(silent);
}

/// Scenario: a spiral — the INVITE dialogd forwards comes back to it through another proxy
/// (our Record-Route with its `did` still in it) and is proxied on to the callee without a
/// second dialog.
#[test]
fn spiralled_invite_does_not_create_a_second_dialog() {
    let node = DialogdNode::start("").unwrap();
    let sip = node.endpoints().sip;
    let mut caller = RawSipPeer::udp().unwrap();
    let mut other_proxy = RawSipPeer::udp().unwrap();
    let mut callee = RawSipPeer::udp().unwrap();
    let first_hop = format!("sip:bob@{}", other_proxy.local_addr());

    let me = caller.local_addr();
    let invite = SipMessage::compose(
        &format!("INVITE {first_hop} SIP/2.0"),
        &[
            ("Via", &format!("SIP/2.0/UDP {me};branch=z9hG4bKspiral1")),
            ("Max-Forwards", "70"),
            ("From", &format!("<sip:alice@{me}>;tag=sp1")),
            ("To", &format!("<{first_hop}>")),
            ("Call-ID", "spiral-1@127.0.0.1"),
            ("CSeq", "1 INVITE"),
            ("Contact", &format!("<sip:alice@{me}>")),
        ],
        "",
    );
    caller.send_to(sip, &invite).unwrap();

    // The "other proxy" gets the INVITE, with dialogd's Record-Route, and routes it back.
    let forwarded = other_proxy
        .recv_until(REPLY, |m| m.method() == Some("INVITE"))
        .expect("the INVITE reaches the first next hop");
    assert!(forwarded.record_routes().iter().any(|r| r.contains("did=")));
    let text = forwarded.text();
    let (_, rest) = text.split_once("\r\n").expect("a start line");
    let back = format!(
        "INVITE sip:bob@{} SIP/2.0\r\nVia: SIP/2.0/UDP {};branch=z9hG4bKspiral2\r\n{rest}",
        callee.local_addr(),
        other_proxy.local_addr()
    );
    other_proxy.send_to(sip, back.as_bytes()).unwrap();

    let arrived = callee
        .recv_until(REPLY, |m| m.method() == Some("INVITE"))
        .expect("the spiralled INVITE reaches the callee");
    assert_eq!(
        arrived.header("Call-ID").as_deref(),
        Some("spiral-1@127.0.0.1")
    );
    let dialogs = node.dialogctl().dialogs().unwrap();
    let ours: Vec<_> = dialogs
        .iter()
        .filter(|d| d["call_id"] == "spiral-1@127.0.0.1")
        .collect();
    assert_eq!(
        ours.len(),
        1,
        "one dialog for the spiralled call: {dialogs:?}"
    );
    node.assert_alive();
}
