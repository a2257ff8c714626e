use std::collections::BTreeSet;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;

fn local() -> SocketAddr {
    "127.0.0.3:5080".parse().unwrap()
}

fn node() -> SocketAddr {
    "127.0.0.1:5060".parse().unwrap()
}

#[test]
fn an_invite_carries_every_header_a_proxy_needs_and_a_matching_length() {
    let fresh = Fresh::new(7, 42);
    let bytes = invite(
        Transport::Udp,
        local(),
        "sip:x@127.0.0.99;transport=tcp",
        &fresh,
        &[("Subject", "flood")],
    );
    let m = SipMessage::parse(&bytes).unwrap();
    assert_eq!(
        m.first_line(),
        "INVITE sip:x@127.0.0.99;transport=tcp SIP/2.0"
    );
    assert_eq!(
        m.header("Via").unwrap(),
        format!("SIP/2.0/UDP 127.0.0.3:5080;branch={};rport", fresh.branch)
    );
    assert!(fresh.branch.starts_with("z9hG4bK"), "RFC 3261 magic cookie");
    assert_eq!(m.header("Call-ID").unwrap(), fresh.call_id);
    assert_eq!(m.from_tag().unwrap(), fresh.from_tag);
    assert_eq!(m.to_tag(), None);
    assert_eq!(m.cseq_method().as_deref(), Some("INVITE"));
    assert_eq!(m.header("Max-Forwards").as_deref(), Some("70"));
    assert_eq!(m.header("Subject").as_deref(), Some("flood"));
    assert_eq!(
        m.contact_uri().as_deref(),
        Some("sip:attacker@127.0.0.3:5080")
    );
    assert_eq!(
        m.header("Content-Length").unwrap(),
        m.body().len().to_string()
    );
    assert!(m.body().starts_with(b"v=0\r\n"));
}

#[test]
fn fresh_identifiers_differ_for_every_sequence_number_and_salt() {
    let mut call_ids = BTreeSet::new();
    let mut tags = BTreeSet::new();
    let mut branches = BTreeSet::new();
    for salt in [1, 2] {
        for seq in 0..500 {
            let f = Fresh::new(seq, salt);
            call_ids.insert(f.call_id);
            tags.insert(f.from_tag);
            branches.insert(f.branch);
        }
    }
    assert_eq!(call_ids.len(), 1_000);
    assert_eq!(tags.len(), 1_000);
    assert_eq!(branches.len(), 1_000);
}

#[test]
fn a_forged_response_names_the_node_then_the_chosen_hop() {
    let fresh = Fresh::new(1, 9);
    let bytes = forged_response(node(), "TCP 127.0.0.99:5060", 200, &fresh);
    let m = SipMessage::parse(&bytes).unwrap();
    assert_eq!(m.first_line(), "SIP/2.0 200 OK");
    assert_eq!(m.status(), Some(200));
    assert_eq!(
        m.headers("v"),
        vec![
            format!("SIP/2.0/UDP 127.0.0.1:5060;branch={}", fresh.branch),
            format!("SIP/2.0/TCP 127.0.0.99:5060;branch={}-up", fresh.branch),
        ]
    );
    assert_eq!(m.cseq_method().as_deref(), Some("INVITE"));
    assert!(m.to_tag().is_some() && m.from_tag().is_some());
    assert_eq!(m.header("Content-Length").as_deref(), Some("0"));
}

#[test]
fn garbage_mixes_its_kinds_and_never_sends_a_whole_invite() {
    let mut rng = StdRng::seed_from_u64(5);
    let whole = |seq| {
        invite(
            Transport::Udp,
            local(),
            &format!("sip:garbage@{}", node()),
            &Fresh::new(seq, GARBAGE_SALT),
            &[],
        )
    };
    let mut kinds = BTreeSet::new();
    for seq in 0..300 {
        let (kind, bytes) = garbage(&mut rng, local(), node(), seq);
        kinds.insert(format!("{kind:?}"));
        assert!(!bytes.is_empty());
        match kind {
            GarbageKind::RandomBytes => assert!(bytes.len() <= MAX_RANDOM_DATAGRAM),
            GarbageKind::Truncated => {
                let full = whole(seq);
                assert!(bytes.len() < full.len() && full.starts_with(&bytes));
            }
            GarbageKind::Corrupted => {
                let full = whole(seq);
                assert_eq!(bytes.len(), full.len());
                assert_ne!(bytes, full, "seq {seq}: corrupted bytes equal the original");
            }
        }
    }
    assert_eq!(kinds.len(), 3, "{kinds:?}");
}
