//! The node is no open relay: an initial request goes only to a rule's `next_hop` or to a
//! destination inside `[proxy] relay_allow` (default: loopback), anything else is answered
//! 403 "Relaying Forbidden" and nothing is sent; an in-dialog request that matches no dialog
//! and carries no Route of ours is answered 481 and not relayed. All on loopback: the refused
//! destinations are never contacted.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::time::Duration;

use dialogd_test_support::attack::messages::{Fresh, invite};
use dialogd_test_support::{DialogdNode, RawSipPeer, SipMessage, Transport};

const WAIT: Duration = Duration::from_secs(5);
/// How long a destination is watched for a request that must not come.
const QUIET: Duration = Duration::from_millis(800);

fn final_status(peer: &mut RawSipPeer, method: &str) -> u16 {
    let m = peer.recv_final(WAIT, method).unwrap();
    m.status().unwrap()
}

#[test]
fn default_relays_to_loopback_only_and_refuses_other_destinations() {
    let node = DialogdNode::start("").unwrap();
    let mut caller = RawSipPeer::udp().unwrap();
    let local = caller.local_addr();
    // A TEST-NET-1 address: outside the default relay_allow, so refused before any packet.
    let bytes = invite(
        Transport::Udp,
        local,
        "sip:x@192.0.2.10",
        &Fresh::new(1, 7),
        &[],
    );
    caller.send_to(node.sip_addr(), &bytes).unwrap();
    let answer = caller.recv_final(WAIT, "INVITE").unwrap();
    assert_eq!(answer.status(), Some(403), "{}", answer.text());
    assert_eq!(answer.first_line(), "SIP/2.0 403 Relaying Forbidden");

    // Loopback is allowed by default: the callee gets the INVITE.
    let mut callee = RawSipPeer::udp().unwrap();
    let uri = format!("sip:bob@{}", callee.local_addr());
    let bytes = invite(Transport::Udp, local, &uri, &Fresh::new(2, 7), &[]);
    caller.send_to(node.sip_addr(), &bytes).unwrap();
    let got = callee
        .recv(WAIT)
        .unwrap()
        .expect("the INVITE reaches the callee");
    assert_eq!(got.method(), Some("INVITE"));
}

#[test]
fn relay_allow_by_name_and_a_rules_next_hop_are_the_only_ways_out() {
    let mut callee = RawSipPeer::udp().unwrap();
    let port = callee.local_addr().port();
    let node = DialogdNode::start(&format!(
        "[proxy]\nrelay_allow = [\"localhost\"]\n\n\
         [[rules]]\nname = \"via-rule\"\nmatch = {{ ruri_user = \"^viarule$\" }}\n\
         next_hop = \"sip:127.0.0.1:{port}\"\n"
    ))
    .unwrap();
    let mut caller = RawSipPeer::udp().unwrap();
    let local = caller.local_addr();
    let send = |caller: &mut RawSipPeer, uri: &str, seq: u64| {
        let bytes = invite(Transport::Udp, local, uri, &Fresh::new(seq, 9), &[]);
        caller.send_to(node.sip_addr(), &bytes).unwrap();
    };

    // 127.0.0.1 written as an address is not in relay_allow (only the name is).
    send(&mut caller, &format!("sip:bob@127.0.0.1:{port}"), 1);
    assert_eq!(final_status(&mut caller, "INVITE"), 403);
    assert!(callee.recv(QUIET).unwrap().is_none(), "nothing relayed");

    // The allowed name is relayed.
    send(&mut caller, &format!("sip:bob@localhost:{port}"), 2);
    let got = callee.recv(WAIT).unwrap().expect("relayed by name");
    assert_eq!(got.method(), Some("INVITE"));

    // A rule's next_hop is the operator's choice: relayed wherever the request-URI points.
    send(&mut caller, "sip:viarule@192.0.2.10", 3);
    let got = callee.recv(WAIT).unwrap().expect("relayed by the rule");
    assert_eq!(got.method(), Some("INVITE"));
}

#[test]
fn in_dialog_request_for_no_dialog_and_without_our_route_is_481_and_not_relayed() {
    let node = DialogdNode::start("").unwrap();
    let mut callee = RawSipPeer::udp().unwrap();
    let mut caller = RawSipPeer::udp().unwrap();
    let local = caller.local_addr();
    let uri = format!("sip:bob@{}", callee.local_addr());
    let bye = SipMessage::compose(
        &format!("BYE {uri} SIP/2.0"),
        &[
            (
                "Via",
                &format!("SIP/2.0/UDP {local};branch=z9hG4bK-nodlg-1;rport"),
            ),
            ("Max-Forwards", "70"),
            ("From", &format!("<sip:alice@{local}>;tag=made-up-1")),
            ("To", &format!("<{uri}>;tag=made-up-2")),
            ("Call-ID", "no-such-dialog@test"),
            ("CSeq", "2 BYE"),
        ],
        "",
    );
    caller.send_to(node.sip_addr(), &bye).unwrap();
    assert_eq!(final_status(&mut caller, "BYE"), 481);
    assert!(
        callee.recv(QUIET).unwrap().is_none(),
        "a BYE of no dialog must not reach its request-URI"
    );
}

/// The API cannot place calls where SIP callers may not: Bridge, REFER and blind transfer
/// destinations pass the same relay policy (INVALID_ARGUMENT naming it). The destination is
/// checked before the dialog is looked up, so a dialog id that names no call shows it: an
/// allowed destination gets as far as "not found".
#[test]
fn call_control_destinations_pass_the_relay_policy() {
    let node = DialogdNode::start("").unwrap();
    let ctl = node.dialogctl();
    let id = "00000000000000aa";
    let outside = "sip:x@192.0.2.10";
    let inside = "sip:x@127.0.0.1:5999";
    let cases: [Vec<&str>; 3] = [
        vec!["call", "refer", id, "--side", "caller", "--to"],
        vec!["call", "transfer", id, "--side", "callee", "--to"],
        vec!["call", "bridge", "--to", "sip:b@127.0.0.1:5998", "--from"],
    ];
    for args in cases {
        let mut refused = args.clone();
        refused.push(outside);
        let (code, out, err) = ctl.run(&refused).unwrap();
        assert_ne!(code, Some(0), "{refused:?}: {out}");
        assert!(
            err.contains("INVALID_ARGUMENT") && err.contains("relay_allow"),
            "{refused:?}: {err}"
        );
        if args[1] == "bridge" {
            continue; // an allowed bridge would place a real call
        }
        let mut allowed = args.clone();
        allowed.push(inside);
        let (_, _, err) = ctl.run(&allowed).unwrap();
        assert!(!err.contains("relay_allow"), "{allowed:?}: {err}");
        assert!(err.contains("NOT_FOUND"), "{allowed:?}: {err}");
    }
}
