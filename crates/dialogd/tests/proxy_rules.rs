//! Scenarios: Max-Forwards 0 → 483 and no dialog; a spiral (the forwarded INVITE routed back to
//! dialogd by the next hop) → one dialog and a completed call; timer B (T1 = 50 ms, silent next
//! hop) → 100 then 408 and a failed dialog; a `reject` rule → 403 for mallory while alice's call
//! goes through; a `next_hop` rule routes to the SIPp uas whatever the request-URI says; OPTIONS
//! to the node → 200, MESSAGE to the node → 404; `/metrics` counts answered calls and received
//! SIP messages and `/healthz` says ok; a `tel:` request-URI → 416; the ACK of a 483 is
//! absorbed, and a forged Record-Route naming the node does not let an INVITE skip admission.
//!
//! Each test runs the real `dialogd` binary on 127.0.0.1 with its own config, drives it with
//! SIPp or a raw UDP peer and checks what the peers saw and what `dialogctl` reports. Every
//! wait is bounded. Must not depend on another test's node or on the order tests run in.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use dialogd_test_support::{
    DialogdNode, Direction, RawCall, RawSipPeer, SipMessage, Sipp, SippCall, http_get, metric_sum,
    param, uri_param, wait_until,
};

/// Bound on one expected SIP message.
const RECV: Duration = Duration::from_secs(10);
/// Bound on a SIPp run.
const RUN: Duration = Duration::from_secs(60);
/// Bound on counters settling after the last message of a call.
const SETTLE: Duration = Duration::from_secs(15);
/// How long a peer that must get nothing listens.
const QUIET: Duration = Duration::from_secs(1);
/// Between ACK and BYE of SIPp callers: a BYE must not overtake its ACK.
const HOLD: Duration = Duration::from_millis(200);

static NEXT: AtomicU64 = AtomicU64::new(1);

/// An out-of-dialog request written by hand, and the ACK for a non-2xx final response to it
/// (RFC 3261 §17.1.1.3: same branch, Call-ID, From, CSeq number; the response's To).
struct Crafted {
    method: String,
    ruri: String,
    via: String,
    branch: String,
    from: String,
    contact: String,
    to: String,
    call_id: String,
    max_forwards: String,
}

impl Crafted {
    fn new(peer: &RawSipPeer, method: &str, ruri: &str, from_user: &str) -> Crafted {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let me = peer.local_addr();
        let branch = format!("z9hG4bK-rules-{}-{n}", std::process::id());
        Crafted {
            method: method.to_string(),
            ruri: ruri.to_string(),
            via: format!("SIP/2.0/UDP {me};branch={branch}"),
            branch,
            from: format!("<sip:{from_user}@{me}>;tag=from{n}"),
            contact: format!("<sip:{from_user}@{me}>"),
            to: format!("<{ruri}>"),
            call_id: format!("rules-{}-{n}@127.0.0.1", std::process::id()),
            max_forwards: "70".to_string(),
        }
    }

    fn max_forwards(mut self, value: &str) -> Crafted {
        self.max_forwards = value.to_string();
        self
    }

    fn bytes(&self) -> Vec<u8> {
        SipMessage::compose(
            &format!("{} {} SIP/2.0", self.method, self.ruri),
            &[
                ("Via", &self.via),
                ("Max-Forwards", &self.max_forwards),
                ("From", &self.from),
                ("To", &self.to),
                ("Call-ID", &self.call_id),
                ("CSeq", &format!("1 {}", self.method)),
                ("Contact", &self.contact),
            ],
            "",
        )
    }

    fn ack_for(&self, response: &SipMessage) -> Vec<u8> {
        let to = response.header("To").unwrap_or_else(|| self.to.clone());
        SipMessage::compose(
            &format!("ACK {} SIP/2.0", self.ruri),
            &[
                ("Via", &self.via),
                ("Max-Forwards", "70"),
                ("From", &self.from),
                ("To", &to),
                ("Call-ID", &self.call_id),
                ("CSeq", "1 ACK"),
            ],
            "",
        )
    }

    /// Whether `m` is a response to this request (by our branch in its Via).
    fn answers(&self, m: &SipMessage) -> bool {
        m.status().is_some() && m.header("Via").is_some_and(|v| v.contains(&self.branch))
    }

    /// Sends the request to `node` and returns every response up to and including the final
    /// one; a non-2xx final response to an INVITE is ACKed.
    fn ask(&self, peer: &mut RawSipPeer, node: SocketAddr) -> Result<Vec<SipMessage>> {
        peer.send_to(node, &self.bytes())?;
        let mut got = Vec::new();
        loop {
            let m = peer
                .recv_until(RECV, |m| self.answers(m))
                .with_context(|| format!("no final response to {} {}", self.method, self.ruri))?;
            let status = m.status().unwrap_or(0);
            got.push(m);
            if status >= 200 {
                if self.method == "INVITE" && status >= 300 {
                    let ack = self.ack_for(got.last().context("a final response")?);
                    peer.send_to(node, &ack)?;
                }
                return Ok(got);
            }
        }
    }
}

/// The final response among `responses` (the last one).
fn final_of(responses: &[SipMessage]) -> Result<&SipMessage> {
    responses.last().context("no response at all")
}

/// The node created no dialog at all: nothing listed, every counter 0.
fn no_dialog(node: &DialogdNode) -> Result<()> {
    let ctl = node.dialogctl();
    let dialogs = ctl.dialogs()?;
    ensure!(dialogs.is_empty(), "dialogs listed: {dialogs:?}");
    let s = ctl.stats()?;
    ensure!(
        (s.early, s.active, s.failed, s.processed) == (0, 0, 0, 0),
        "a dialog was counted: {s:?}"
    );
    Ok(())
}

/// A raw peer that must receive nothing: fails if anything arrives within [`QUIET`].
fn receives_nothing(peer: &mut RawSipPeer, what: &str) -> Result<()> {
    match peer.recv(QUIET)? {
        Some(m) => bail!("{what} received:\n{}", m.text()),
        None => Ok(()),
    }
}

#[test]
fn invite_with_max_forwards_zero_is_answered_483_and_creates_no_dialog() {
    let node = DialogdNode::start("").unwrap();
    let mut caller = RawSipPeer::udp().unwrap();
    let mut next_hop = RawSipPeer::udp().unwrap();
    let ruri = format!("sip:bob@{}", next_hop.local_addr());

    let invite = Crafted::new(&caller, "INVITE", &ruri, "alice").max_forwards("0");
    let responses = invite.ask(&mut caller, node.sip_addr()).unwrap();
    let last = final_of(&responses).unwrap();
    assert_eq!(last.status(), Some(483), "{}", last.first_line());
    assert!(
        last.first_line().ends_with("Too Many Hops"),
        "{}",
        last.first_line()
    );
    assert_eq!(
        last.header("Call-ID").as_deref(),
        Some(invite.call_id.as_str())
    );

    // The INVITE went nowhere (the ACK of the 483 is the subject of the next test).
    if let Ok(m) = next_hop.recv_until(QUIET, |m| m.method() == Some("INVITE")) {
        panic!("a Max-Forwards 0 INVITE was forwarded:\n{}", m.text());
    }
    no_dialog(&node).unwrap();
    node.assert_alive();
}

#[test]
fn ack_of_a_483_is_absorbed_by_the_node_and_never_forwarded() {
    let node = DialogdNode::start("").unwrap();
    let mut caller = RawSipPeer::udp().unwrap();
    let mut next_hop = RawSipPeer::udp().unwrap();
    let ruri = format!("sip:bob@{}", next_hop.local_addr());

    let invite = Crafted::new(&caller, "INVITE", &ruri, "alice").max_forwards("0");
    // `ask` ACKs the 483 as every UA must (RFC 3261 §17.1.1.3).
    let responses = invite.ask(&mut caller, node.sip_addr()).unwrap();
    assert_eq!(final_of(&responses).unwrap().status(), Some(483));
    receives_nothing(&mut next_hop, "the next hop of a Max-Forwards 0 INVITE").unwrap();
    node.assert_alive();
}

/// A profile of limit 1 for every INVITE.
const ONE_CALL: &str = r#"
[[rules]]
name = "one-call"
match = { method = "INVITE" }
profiles = [{ name = "calls", limit = 1 }]
"#;

#[test]
fn invite_with_a_forged_record_route_of_the_node_is_still_admitted_against_the_limit() {
    let node = DialogdNode::start(ONE_CALL).unwrap();
    let sip = node.sip_addr();
    let ctl = node.dialogctl();
    let mut callee = RawSipPeer::udp().unwrap();
    let ruri = format!("sip:bob@{}", callee.local_addr());

    // Call 1 rings (never answered): it holds the profile's only place.
    let mut first_caller = RawSipPeer::udp().unwrap();
    let mut first = RawCall::new(&first_caller, sip, &ruri, "alice");
    first_caller.send_to(sip, &first.invite()).unwrap();
    callee
        .recv_until(RECV, |m| {
            m.header("Call-ID").as_deref() == Some(first.call_id.as_str())
        })
        .unwrap();
    assert_eq!(ctl.profile_size("calls", None).unwrap(), 1);

    // Call 2 carries a Record-Route naming the node with a did the node never issued.
    let mut caller = RawSipPeer::udp().unwrap();
    let mut second = RawCall::new(&caller, sip, &ruri, "mallory");
    let invite = String::from_utf8(second.invite()).unwrap();
    let forged = invite.replacen(
        "\r\nVia:",
        &format!("\r\nRecord-Route: <sip:{sip};lr;did=00010000000000ff.0000000000000000>\r\nVia:"),
        1,
    );
    caller.send_to(sip, forged.as_bytes()).unwrap();
    let leaked = callee
        .recv_until(QUIET, |m| {
            m.header("Call-ID").as_deref() == Some(second.call_id.as_str())
        })
        .ok();
    assert!(
        leaked.is_none(),
        "over the limit, proxied as a spiral without a dialog (profile size {}, dialogs {:?}):\n{}",
        ctl.profile_size("calls", None).unwrap(),
        ctl.dialogs().unwrap(),
        leaked.map(|m| m.text().to_string()).unwrap_or_default()
    );
    let answer = caller.recv_final(RECV, "INVITE").unwrap();
    assert_eq!(answer.status(), Some(486), "{}", answer.first_line());
}

/// `text` without its first Via element (the one the hop added), whether the Vias are on
/// separate lines or comma-separated on one.
fn pop_top_via(text: &str) -> String {
    let mut out = Vec::new();
    let mut popped = false;
    let mut in_head = true;
    for line in text.split("\r\n") {
        if line.is_empty() {
            in_head = false;
        }
        let is_via = in_head
            && line.split_once(':').is_some_and(|(name, _)| {
                let name = name.trim();
                name.eq_ignore_ascii_case("via") || name.eq_ignore_ascii_case("v")
            });
        if is_via && !popped {
            popped = true;
            if let Some((name, value)) = line.split_once(':')
                && let Some((_, rest)) = value.split_once(',')
            {
                out.push(format!("{name}: {}", rest.trim()));
            }
            continue;
        }
        out.push(line.to_string());
    }
    out.join("\r\n")
}

/// A 100 Trying for `request`, as a stateful next hop sends it (Vias, From, To, Call-ID, CSeq).
fn trying_for(request: &SipMessage) -> Vec<u8> {
    let mut headers: Vec<(&str, String)> = request
        .headers("Via")
        .into_iter()
        .map(|v| ("Via", v))
        .collect();
    for name in ["From", "To", "Call-ID", "CSeq"] {
        headers.push((name, request.header(name).unwrap_or_default()));
    }
    let refs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    SipMessage::compose("SIP/2.0 100 Trying", &refs, "")
}

#[test]
fn spiralled_invite_is_forwarded_again_without_a_second_dialog_and_the_call_completes() {
    let node = DialogdNode::start("").unwrap();
    let sip = node.sip_addr();
    let ctl = node.dialogctl();
    let uas = Sipp::uas("uas.xml")
        .calls(1)
        .timeout(RUN)
        .trace_messages(true)
        .spawn()
        .unwrap();
    let mut caller = RawSipPeer::udp().unwrap();
    // The next hop: a proxy that sends the INVITE back to dialogd, towards the uas.
    let mut hop = RawSipPeer::udp().unwrap();
    let hop_addr = hop.local_addr();

    let mut call = RawCall::new(&caller, sip, &format!("sip:bob@{hop_addr}"), "alice");
    caller.send_to(sip, &call.invite()).unwrap();

    // Pass 1 reaches the hop with dialogd's Via on top and its Record-Route with a did.
    let first = hop
        .recv_until(RECV, |m| m.method() == Some("INVITE"))
        .unwrap();
    let vias = first.headers("Via");
    assert!(
        vias.first().is_some_and(|v| v.contains(&sip.to_string())),
        "dialogd's Via is not on top:\n{}",
        first.text()
    );
    let record_routes = first.record_routes();
    let ours: Vec<&String> = record_routes
        .iter()
        .filter(|r| uri_param(r, "did").is_some() && r.contains(&sip.to_string()))
        .collect();
    assert_eq!(ours.len(), 1, "dialogd's Record-Route:\n{}", first.text());
    hop.send_to(sip, &trying_for(&first)).unwrap();

    // The hop retargets it to the uas and sends it back to dialogd, its own Via on top.
    let hop_branch = "z9hG4bK-spiral-hop-1";
    let (_, rest) = first.text().split_once("\r\n").unwrap();
    let back = format!(
        "INVITE sip:service@{} SIP/2.0\r\nVia: SIP/2.0/UDP {hop_addr};branch={hop_branch}\r\n{rest}",
        uas.addr()
    );
    hop.send_to(sip, back.as_bytes()).unwrap();

    // Pass 2's responses come back to the hop, which relays them (its Via popped) to dialogd
    // for pass 1; 100 Trying is hop-by-hop and stays here.
    let relayed_at = Instant::now();
    loop {
        let left = RECV.saturating_sub(relayed_at.elapsed());
        let m = hop
            .recv_until(left, |m| {
                m.status().is_some()
                    && m.header("Via").is_some_and(|v| v.contains(hop_branch))
                    && m.cseq_method().as_deref() == Some("INVITE")
            })
            .unwrap();
        let status = m.status().unwrap_or(0);
        if status == 100 {
            continue;
        }
        hop.send_to(sip, pop_top_via(m.text()).as_bytes()).unwrap();
        if status >= 200 {
            assert_eq!(status, 200, "the uas answered {}", m.first_line());
            break;
        }
    }

    // The caller gets the 200 through both hops, ACKs it along the route set.
    let call_id = call.call_id.clone();
    let ok = caller
        .recv_until(RECV, |m| {
            m.status().is_some_and(|s| s >= 200)
                && m.header("Call-ID").as_deref() == Some(call_id.as_str())
        })
        .unwrap();
    assert_eq!(ok.status(), Some(200), "{}", ok.text());
    call.accept(&ok).unwrap();
    assert_eq!(
        call.route_set.len(),
        1,
        "only dialogd's first pass record-routed: {:?}",
        call.route_set
    );
    caller.send_to(sip, &call.ack()).unwrap();

    let dialogs = wait_until(SETTLE, "one confirmed dialog for the call", || {
        let dialogs = ctl.dialogs()?;
        let ours: Vec<_> = dialogs
            .iter()
            .filter(|d| d["call_id"] == call_id.as_str())
            .cloned()
            .collect();
        ensure!(
            ours.len() == 1 && ours[0]["state"] == "confirmed",
            "dialogs: {dialogs:?}"
        );
        Ok(dialogs)
    })
    .unwrap();
    assert_eq!(dialogs.len(), 1, "{dialogs:?}");

    let bye_ok = call.send_request(&mut caller, "BYE", RECV).unwrap();
    assert_eq!(bye_ok.status(), Some(200), "{}", bye_ok.text());
    let callee = uas.wait().unwrap();
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());
    assert_eq!(callee.logged("bye_received").len(), 1);
    // The uas saw the INVITE once, after both passes: two dialogd Vias around the hop's,
    // and a single dialogd Record-Route (the spiral added none).
    assert_eq!(callee.received("INVITE").len(), 1, "{}", callee.describe());
    let arrived = callee
        .full_message(Direction::Received, "INVITE")
        .expect("the uas traced its INVITE");
    let vias = arrived.headers("Via").join(",");
    assert_eq!(
        vias.matches(&sip.to_string()).count(),
        2,
        "Vias: {vias}\n{}",
        arrived.text()
    );
    assert!(vias.contains(hop_branch), "Vias: {vias}");
    let dids: Vec<String> = arrived
        .record_routes()
        .iter()
        .filter_map(|r| uri_param(r, "did"))
        .collect();
    assert_eq!(dids.len(), 1, "{}", arrived.text());

    let s = ctl
        .settled(SETTLE, "1 processed, nothing active", |s| {
            s.processed == 1 && s.active == 0 && s.early == 0
        })
        .unwrap();
    assert_eq!(s.failed, 0, "{s:?}");
    node.assert_alive();
}

#[test]
fn unanswered_invite_gets_100_then_408_on_timer_b_and_the_dialog_fails() {
    let node = DialogdNode::start("[sip]\nt1_ms = 50\n").unwrap();
    let mut caller = RawSipPeer::udp().unwrap();
    // A bound socket nobody reads: the INVITE is delivered and never answered.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let ruri = format!("sip:bob@{}", silent.local_addr().unwrap());

    let invite = Crafted::new(&caller, "INVITE", &ruri, "alice");
    let sent = Instant::now();
    let responses = invite.ask(&mut caller, node.sip_addr()).unwrap();
    let waited = sent.elapsed();
    let statuses: Vec<Option<u16>> = responses.iter().map(SipMessage::status).collect();
    assert_eq!(statuses, [Some(100), Some(408)], "responses: {statuses:?}");
    assert!(
        final_of(&responses)
            .unwrap()
            .first_line()
            .ends_with("Request Timeout"),
        "{}",
        final_of(&responses).unwrap().first_line()
    );
    // Timer B = 64·T1 = 3.2 s (timer C would be 181 s).
    assert!(
        waited >= Duration::from_millis(3_000) && waited < Duration::from_secs(10),
        "408 after {waited:?}, timer B is 3.2 s"
    );

    // The INVITE did reach the silent hop, retransmitted by timer A.
    silent
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = vec![0u8; 65_535];
    let mut invites = 0;
    while let Ok(n) = silent.recv(&mut buf) {
        let m = SipMessage::parse(&buf[..n]).unwrap();
        if m.method() == Some("INVITE") {
            invites += 1;
        }
    }
    assert!(
        invites >= 2,
        "{invites} INVITE(s) at the silent hop, expected retransmissions"
    );

    let ctl = node.dialogctl();
    ctl.settled(SETTLE, "the dialog failed", |s| {
        s.failed == 1 && s.early == 0 && s.active == 0 && s.processed == 0
    })
    .unwrap();
    node.assert_alive();
}

const REJECT_MALLORY: &str = r#"
[[rules]]
name = "block-mallory"
match = { method = "INVITE", from_user = "^mallory$" }
reject = { code = 403, reason = "Forbidden" }
"#;

#[test]
fn reject_rule_answers_403_to_mallory_and_lets_alices_call_through() {
    let node = DialogdNode::start(REJECT_MALLORY).unwrap();
    let sip = node.sip_addr();
    let uas = Sipp::uas("uas.xml")
        .calls(1)
        .timeout(RUN)
        .trace_messages(true)
        .spawn()
        .unwrap();

    let mut mallory = RawSipPeer::udp().unwrap();
    let ruri = format!("sip:service@{}", uas.addr());
    let invite = Crafted::new(&mallory, "INVITE", &ruri, "mallory");
    let responses = invite.ask(&mut mallory, sip).unwrap();
    let last = final_of(&responses).unwrap();
    assert_eq!(last.status(), Some(403), "{}", last.text());
    assert!(
        last.first_line().ends_with("Forbidden"),
        "{}",
        last.first_line()
    );
    assert!(last.to_tag().is_some(), "403 without a To tag");
    no_dialog(&node).unwrap();

    let caller = Sipp::uac("uac.xml", sip)
        .uas_port(uas.port())
        .caller("alice")
        .calls(1)
        .pause(HOLD)
        .timeout(RUN)
        .run()
        .unwrap();
    let callee = uas.finish_after(&caller).unwrap();
    assert!(caller.all_successful(), "uac:\n{}", caller.describe());
    assert_eq!(caller.logged("answered").len(), 1, "{}", caller.describe());
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());
    // Only alice's INVITE reached the callee.
    let calls = callee.received_calls("INVITE");
    assert_eq!(calls.len(), 1, "{}", callee.describe());
    assert!(
        !calls.contains(&invite.call_id),
        "mallory's INVITE reached the callee"
    );
    let arrived = callee
        .full_message(Direction::Received, "INVITE")
        .expect("the uas traced its INVITE");
    assert!(
        arrived
            .header("From")
            .is_some_and(|f| f.contains("sip:alice@")),
        "{}",
        arrived.text()
    );

    let s = node
        .dialogctl()
        .settled(SETTLE, "alice's call processed", |s| {
            s.processed == 1 && s.active == 0 && s.early == 0
        })
        .unwrap();
    assert_eq!(s.failed, 0, "a policy reject is no failed dialog: {s:?}");
    node.assert_alive();
}

#[test]
fn next_hop_rule_routes_an_invite_for_elsewhere_to_the_uas_and_the_call_completes() {
    let uas = Sipp::uas("uas.xml")
        .calls(1)
        .timeout(RUN)
        .trace_messages(true)
        .spawn()
        .unwrap();
    let config = format!(
        "[[rules]]\nname = \"to-the-uas\"\nmatch = {{ method = \"INVITE\", ruri_host = \"^192\\\\.0\\\\.2\\\\.1$\" }}\nnext_hop = \"sip:127.0.0.1:{}\"\n",
        uas.port()
    );
    let node = DialogdNode::start(&config).unwrap();

    // The request-URI names 192.0.2.1 (TEST-NET-1): only the rule's next_hop can reach the uas.
    let caller = Sipp::uac("uac.xml", node.sip_addr())
        .key("uas_host", "192.0.2.1")
        .uas_port(5060)
        .calls(1)
        .pause(HOLD)
        .timeout(RUN)
        .trace_messages(true)
        .run()
        .unwrap();
    let callee = uas.finish_after(&caller).unwrap();
    assert!(caller.all_successful(), "uac:\n{}", caller.describe());
    assert_eq!(caller.logged("answered").len(), 1, "{}", caller.describe());
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());
    assert_eq!(callee.logged("bye_received").len(), 1);

    // The uas got the INVITE with its request-URI untouched: routed, not retargeted.
    let arrived = callee
        .full_message(Direction::Received, "INVITE")
        .expect("the uas traced its INVITE");
    assert!(
        arrived
            .first_line()
            .starts_with("INVITE sip:service@192.0.2.1:5060"),
        "{}",
        arrived.first_line()
    );
    assert!(
        arrived
            .record_routes()
            .iter()
            .any(|r| uri_param(r, "did").is_some()),
        "not record-routed:\n{}",
        arrived.text()
    );

    let s = node
        .dialogctl()
        .settled(SETTLE, "1 processed, nothing active", |s| {
            s.processed == 1 && s.active == 0 && s.early == 0
        })
        .unwrap();
    assert_eq!(s.failed, 0, "{s:?}");
    node.assert_alive();
}

#[test]
fn options_addressed_to_the_node_itself_is_answered_200_ok() {
    let node = DialogdNode::start("").unwrap();
    let mut peer = RawSipPeer::udp().unwrap();
    let own = format!("sip:{}", node.sip_addr());
    let options = Crafted::new(&peer, "OPTIONS", &own, "pinger");
    let responses = options.ask(&mut peer, node.sip_addr()).unwrap();
    let statuses: Vec<Option<u16>> = responses.iter().map(SipMessage::status).collect();
    assert_eq!(statuses, [Some(200)], "responses: {statuses:?}");
    let ok = final_of(&responses).unwrap();
    assert_eq!(
        ok.header("CSeq").as_deref(),
        Some("1 OPTIONS"),
        "{}",
        ok.text()
    );
    assert!(ok.to_tag().is_some(), "200 without a To tag");
    no_dialog(&node).unwrap();
    node.assert_alive();
}

#[test]
fn message_addressed_to_the_node_itself_is_answered_404() {
    let node = DialogdNode::start("").unwrap();
    let mut peer = RawSipPeer::udp().unwrap();
    let own = format!("sip:{}", node.sip_addr());
    let message = Crafted::new(&peer, "MESSAGE", &own, "texter");
    let responses = message.ask(&mut peer, node.sip_addr()).unwrap();
    let last = final_of(&responses).unwrap();
    assert_eq!(last.status(), Some(404), "{}", last.text());
    assert_eq!(last.header("CSeq").as_deref(), Some("1 MESSAGE"));
    no_dialog(&node).unwrap();
    node.assert_alive();
}

#[test]
fn metrics_count_answered_calls_and_received_messages_and_healthz_says_ok() {
    const CALLS: u64 = 3;
    let node = DialogdNode::start("").unwrap();
    let (caller, callee) = SippCall::basic(node.sip_addr())
        .calls(CALLS)
        .rate(10.0)
        .hold(HOLD)
        .timeout(RUN)
        .run()
        .unwrap();
    assert!(caller.all_successful(), "uac:\n{}", caller.describe());
    assert_eq!(caller.successful, CALLS, "{}", caller.describe());
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());
    node.dialogctl()
        .settled(SETTLE, "every call processed", |s| {
            s.processed == CALLS && s.active == 0
        })
        .unwrap();

    let metrics = node.endpoints().metrics;
    let (status, body) = http_get(metrics, "/metrics").unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        metric_sum(&body, "dialogd_calls_total"),
        Some(CALLS as f64),
        "{body}"
    );
    // INVITE, 180, 200, ACK, BYE and 200 reach dialogd for every call (plus retransmissions).
    let messages_in = metric_sum(&body, "dialogd_sip_messages_in_total")
        .unwrap_or_else(|| panic!("no dialogd_sip_messages_in_total:\n{body}"));
    assert!(
        messages_in >= (6 * CALLS) as f64,
        "{messages_in} messages in for {CALLS} calls:\n{body}"
    );

    let (status, body) = http_get(metrics, "/healthz").unwrap();
    assert_eq!((status, body.trim()), (200, "ok"));
    node.assert_alive();
}

#[test]
fn tel_request_uri_without_next_hop_is_answered_416_and_creates_no_dialog() {
    let node = DialogdNode::start("").unwrap();
    let mut peer = RawSipPeer::udp().unwrap();
    let invite = Crafted::new(&peer, "INVITE", "tel:+15551234", "dialer");
    let responses = invite.ask(&mut peer, node.sip_addr()).unwrap();
    let last = final_of(&responses).unwrap();
    assert_eq!(last.status(), Some(416), "{}", last.text());
    assert!(
        param(&last.header("To").unwrap_or_default(), "tag").is_some(),
        "416 without a To tag"
    );
    no_dialog(&node).unwrap();
    node.assert_alive();
}

#[test]
fn pop_top_via_removes_only_the_first_via_element() {
    let table = [
        (
            "SIP/2.0 200 OK\r\nVia: A\r\nVia: B\r\nTo: x\r\n\r\nVia: body",
            "SIP/2.0 200 OK\r\nVia: B\r\nTo: x\r\n\r\nVia: body",
        ),
        (
            "SIP/2.0 200 OK\r\nv: A, B\r\nTo: x\r\n\r\n",
            "SIP/2.0 200 OK\r\nv: B\r\nTo: x\r\n\r\n",
        ),
    ];
    for (input, want) in table {
        assert_eq!(pop_top_via(input), want);
    }
}
