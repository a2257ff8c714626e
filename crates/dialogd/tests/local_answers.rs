//! Scenario: requests dialogd answers itself instead of proxying — an INVITE whose
//! Max-Forwards is 0 (483), an INVITE a policy rule rejects (403), an OPTIONS ping addressed to the node (200), a MESSAGE addressed to the node
//! (404) and an INVITE to a `tel:` URI with no next hop (416) — none of which creates a dialog.

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
    let stats = node.dialogctl().stats().unwrap();
    assert_eq!((stats.early, stats.active, stats.failed), (0, 0, 1));
    drop(silent);
}
