//! Scenario: in a private network namespace where TCP to 127.0.0.99 is silently dropped, a
//! dialogd node carries 300 clean SIPp calls at 20 calls/s (uac → dialogd → uas over UDP) while
//! an attacker on 127.0.0.2 sends it, every 0.5 s, a forged 200 whose top Via is the node's own
//! address and whose second Via is `SIP/2.0/TCP 127.0.0.99:5060`: the node must drop or relay
//! those without letting them hold up anything else, so every clean call succeeds.

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use dialogd_test_support::attack::ForgedResponses;
use dialogd_test_support::{DialogdNode, SippCall, netns};

const CALLS: u64 = 300;
const RATE: f64 = 20.0;
/// Between ACK and BYE.
const HOLD: Duration = Duration::from_millis(100);
const BLACKHOLE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 99);
/// Bound on the SIPp runs: the 15 s of calls, then room for a wedged node's calls to time out.
const SIPP_BOUND: Duration = Duration::from_secs(75);

#[test]
fn forged_responses_towards_a_tcp_blackhole_do_not_stop_clean_calls() {
    // First, before anything is started: this thread and all it spawns go into the namespace.
    let ns = netns::isolate().unwrap_or_else(|e| {
        panic!("this test needs its own network namespace (run it as root): {e:#}")
    });
    ns.blackhole_tcp(BLACKHOLE).unwrap();

    // The Raft log is not fsynced: a stall of the shared test machine's disk must not pass
    // for an effect of the attack (this test is about the message path).
    let node = DialogdNode::start_with(
        Path::new(env!("CARGO_BIN_EXE_dialogd")),
        "[cluster]\nfsync = \"never\"\n",
    )
    .unwrap();
    let forged = ForgedResponses::new(node.sip_addr(), &format!("TCP {BLACKHOLE}:5060"))
        .rate(2.0)
        .source(Ipv4Addr::new(127, 0, 0, 2).into())
        .start()
        .unwrap();
    let calls = SippCall::basic(node.sip_addr())
        .calls(CALLS)
        .rate(RATE)
        .hold(HOLD)
        .timeout(SIPP_BOUND)
        .spawn()
        .unwrap();
    let caller = calls.uac.wait().unwrap();
    let sent = forged.stop();
    let callee = calls.uas.finish_after(&caller).unwrap();
    node.assert_alive();

    eprintln!(
        "forged responses sent: {}; clean calls: {} successful, {} failed of {} created",
        sent.sent, caller.successful, caller.failed, caller.created
    );
    assert!(sent.sent >= 20, "the attack ran: {sent:?}");
    assert!(
        caller.all_successful() && caller.successful == CALLS,
        "every clean call should succeed despite the forged responses; uac:\n{}",
        caller.describe()
    );
    assert!(callee.all_successful(), "uas:\n{}", callee.describe());
}
