//! A request naming a dialog by its `did` acts on that dialog only if it carries the dialog's
//! identifiers as the cluster's record holds them, on whichever node receives it:
//! - a caller who knows its own call's did (it is in every Record-Route it received) sends
//!   a BYE with a made-up Call-ID and tags to the other node: 481, nothing released, the call
//!   still counted and listed;
//! - the same caller's real BYE sent to the other node: that node has the owner's actor judge
//!   it and proxies it (the callee gets it and answers 200 through that node); the owner's
//!   actor ends the dialog as on any BYE and releases it once (no dialog left anywhere, the
//!   count back to 0).

// Test helpers below panic on setup failures like the tests themselves.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use dialogd_test_support::{
    DialogdCluster, RawCall, RawCallee, RawSipPeer, counted_calls_config, wait_until,
};

const RECV: Duration = Duration::from_secs(10);

/// Each call counted in profile `caller`, at most 5 a caller.
fn start_cluster() -> DialogdCluster {
    DialogdCluster::start(2, "", &counted_calls_config("", Some(5))).unwrap()
}

/// A call from a raw caller through node 0 to a raw callee, answered and ACKed.
fn call_through(cluster: &DialogdCluster, peer: &mut RawSipPeer) -> (RawCall, RawCallee) {
    let mut callee = RawCallee::new().unwrap();
    let sip = cluster.node(0).unwrap().sip_addr();
    let uri = callee.uri();
    let mut call = RawCall::new(peer, sip, &uri, "alice");
    peer.send_to(sip, &call.invite()).unwrap();
    callee.answer("INVITE", RECV).unwrap();
    let ok = peer.recv_final(RECV, "INVITE").unwrap();
    assert_eq!(ok.status(), Some(200), "{}", ok.text());
    call.accept(&ok).unwrap();
    peer.send_to(sip, &call.ack()).unwrap();
    callee
        .peer
        .recv_until(RECV, |m| m.method() == Some("ACK"))
        .unwrap();
    wait_until(RECV, "the call counted on node 1", || {
        match cluster.dialogctl(1).profile_size("caller", Some("alice"))? {
            1 => Ok(()),
            n => anyhow::bail!("count {n}"),
        }
    })
    .unwrap();
    (call, callee)
}

/// `call`'s requests sent to node 1 instead: its Route (our Record-Route) names node 1.
fn via_node1(cluster: &DialogdCluster, call: &RawCall) -> RawCall {
    let (n0, n1) = (
        cluster.node(0).unwrap().sip_addr().to_string(),
        cluster.node(1).unwrap().sip_addr().to_string(),
    );
    let mut other = call.clone();
    other.proxy = cluster.node(1).unwrap().sip_addr();
    other.route_set = call.route_set.iter().map(|r| r.replace(&n0, &n1)).collect();
    assert_ne!(other.route_set, call.route_set, "no Route names node 0");
    // The did carries a 64-bit MAC: `did=<16 hex id>.<16 hex mac>`.
    let did = other
        .route_set
        .iter()
        .find_map(|r| dialogd_test_support::uri_param(r, "did"))
        .unwrap_or_else(|| panic!("no did in {:?}", other.route_set));
    let (id, mac) = did.split_once('.').unwrap();
    assert_eq!((id.len(), mac.len()), (16, 16), "{did}");
    assert!(mac.bytes().all(|b| b.is_ascii_hexdigit()), "{did}");
    other
}

#[test]
fn a_known_did_with_made_up_identifiers_releases_nothing_on_another_node() {
    let cluster = start_cluster();
    let mut peer = RawSipPeer::udp().unwrap();
    let (call, mut callee) = call_through(&cluster, &mut peer);

    let mut forged = via_node1(&cluster, &call);
    forged.call_id = format!("forged-{}", call.call_id);
    forged.from_tag = "made-up-from".into();
    forged.to_tag = Some("made-up-to".into());
    let bye = forged.send_request(&mut peer, "BYE", RECV).unwrap();
    assert_eq!(bye.status(), Some(481), "{}", bye.text());

    // Right identifiers but a CSeq below the recorded one: a replay, refused too.
    let mut replay = via_node1(&cluster, &call);
    replay.cseq = 0;
    let mut replayed = replay.request("BYE");
    replayed = String::from_utf8(replayed)
        .unwrap()
        .replace("CSeq: 1 BYE", "CSeq: 0 BYE")
        .into_bytes();
    peer.send_to(replay.proxy, &replayed).unwrap();
    let answer = peer.recv_final(RECV, "BYE").unwrap();
    assert_eq!(answer.status(), Some(481), "{}", answer.text());

    std::thread::sleep(Duration::from_millis(500));
    for node in 0..2 {
        let ctl = cluster.dialogctl(node);
        assert_eq!(
            ctl.profile_size("caller", Some("alice")).unwrap(),
            1,
            "node {node}: the forged BYE released the call"
        );
        assert_eq!(ctl.dialogs().unwrap().len(), 1, "node {node}");
    }
    callee.assert_no("BYE", Duration::from_secs(1));
}

#[test]
fn the_real_bye_sent_to_another_node_ends_the_call_once_everywhere() {
    let cluster = start_cluster();
    let mut peer = RawSipPeer::udp().unwrap();
    let (call, mut callee) = call_through(&cluster, &mut peer);

    let mut real = via_node1(&cluster, &call);
    let bye = real.request("BYE");
    peer.send_to(real.proxy, &bye).unwrap();
    let got = callee.answer("BYE", RECV).unwrap();
    assert_eq!(got.header("Call-ID"), Some(call.call_id.clone()));
    let bye = peer.recv_final(RECV, "BYE").unwrap();
    assert_eq!(bye.status(), Some(200), "{}", bye.text());

    for node in 0..2 {
        let ctl = cluster.dialogctl(node);
        wait_until(RECV, "no call counted or listed", || {
            let (count, dialogs) = (ctl.profile_size("caller", Some("alice"))?, ctl.dialogs()?);
            if count == 0 && dialogs.is_empty() {
                Ok(())
            } else {
                anyhow::bail!("count {count}, dialogs {dialogs:?}")
            }
        })
        .unwrap_or_else(|e| panic!("node {node}: {e}"));
    }
    // The owner's actor judged the BYE and ended the dialog itself (no timer left to fire).
    let owner = cluster.node(0).unwrap();
    wait_until(RECV, "the owner to end its actor", || {
        if owner.log().contains("dialog ended cause=bye_caller") {
            Ok(())
        } else {
            anyhow::bail!("not in its log")
        }
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", owner.log()));
    // The owner sent no BYE of its own (the callee has its one BYE).
    callee.assert_no("BYE", Duration::from_secs(1));
}
