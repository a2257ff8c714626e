//! Scenario: a rule asks keep-alive of both legs every 2 s
//! (`keepalive = { caller = true, callee = true, interval = 2 }`). A callee that stops
//! answering OPTIONS has its call ended with one BYE to the caller — none to the dead callee —
//! within two intervals of its first unanswered probe, and the Events stream says `deleted`
//! with cause `keepalive`. A call whose legs answer every probe is untouched after five
//! intervals (still listed, no BYE, each leg probed several times) until the API ends it.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod events_watch;

use std::time::{Duration, Instant};

use dialogd_dialog::{EndCause, EventKind};
use dialogd_test_support::{DialogdNode, SippCall, SippPair, SippProcess, scrape, wait_until};
use events_watch::Watch;

const INTERVAL: Duration = Duration::from_secs(2);
const RUN: Duration = Duration::from_secs(60);

const CONFIG: &str = r#"
[[rules]]
name = "ka"
match = { method = "INVITE", from_user = "^ka$" }
keepalive = { caller = true, callee = true, interval = 2 }
"#;

/// Starts the callee `uas` and the caller (`uac_keepalive.xml`, From user `ka`) through `node`.
fn call(node: &DialogdNode, uas: &str) -> SippPair {
    SippCall::new(node.sip_addr(), "uac_keepalive.xml", uas)
        .caller("ka")
        .timeout(RUN)
        .spawn()
        .unwrap()
}

/// When `p` first logged `event`, polled every 50 ms.
fn when_logged(p: &SippProcess, event: &str, within: Duration) -> Instant {
    wait_until(within, event, || {
        anyhow::ensure!(!p.logged_so_far(event).is_empty(), "not yet");
        Ok(Instant::now())
    })
    .unwrap()
}

#[test]
fn a_callee_that_stops_answering_options_gets_its_call_ended_with_bye_to_the_caller() {
    let node = DialogdNode::start(CONFIG).unwrap();
    let mut watch = Watch::start(&node, &[EventKind::Deleted]);

    let SippPair { uac, uas } = call(&node, "uas_keepalive_mute.xml");
    let ignored = when_logged(&uas, "options_ignored", Duration::from_secs(15));
    let bye = when_logged(&uac, "bye_received", 3 * INTERVAL);
    let took = bye - ignored;
    assert!(
        took <= 2 * INTERVAL + Duration::from_millis(500),
        "BYE {took:?} after the first unanswered probe"
    );

    let caller = uac.wait().unwrap();
    let callee = uas.stop().unwrap();
    assert!(caller.all_successful(), "{}", caller.describe());
    caller.assert_hung_up_on(1);
    assert!(
        !caller.logged("options_answered").is_empty(),
        "the caller was probed too: {}",
        caller.describe()
    );
    assert!(
        callee.received("BYE").is_empty(),
        "no BYE to the dead leg: {}",
        callee.describe()
    );

    let deleted = &watch.take(1)[0];
    assert_eq!(deleted.end_cause, Some(EndCause::Keepalive), "{deleted:?}");
    let s = node.dialogctl().stats().unwrap();
    assert_eq!((s.active, s.expired), (0, 0), "{s:?}");
}

#[test]
fn a_call_whose_legs_answer_every_probe_is_untouched_after_five_intervals() {
    answered_probes_leave_the_call_untouched(CONFIG, INTERVAL);
}

/// Probes every 3 s and `passivate_after = 1`: the dialog parks between probes, and each
/// probe's timer revives it; the call is untouched as without parking.
const PARKING: &str = r#"
[dialog]
passivate_after = 1

[[rules]]
name = "ka"
match = { method = "INVITE", from_user = "^ka$" }
keepalive = { caller = true, callee = true, interval = 3 }
"#;

#[test]
fn a_dialog_that_parks_between_probes_is_revived_by_each_and_the_call_is_untouched() {
    let node = answered_probes_leave_the_call_untouched(PARKING, Duration::from_secs(3));
    let metrics = node.endpoints().metrics;
    let parked = scrape(metrics, "dialogd_dialogs_parked_total").unwrap();
    let revived = scrape(metrics, "dialogd_dialogs_revived_total").unwrap();
    assert!(parked >= 3.0, "parked {parked} times");
    assert!(revived >= 3.0, "revived {revived} times");
}

/// With `config`'s keep-alive every `interval`: after five intervals both legs answered at
/// least four probes each, got no BYE, and the API's end still reaches both.
fn answered_probes_leave_the_call_untouched(config: &str, interval: Duration) -> DialogdNode {
    let node = DialogdNode::start(config).unwrap();
    let ctl = node.dialogctl();
    let call = call(&node, "uas_keepalive.xml");
    let (uac, uas) = (&call.uac, &call.uas);
    let id = ctl.confirmed(Duration::from_secs(10)).unwrap()["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    std::thread::sleep(5 * interval + Duration::from_millis(500));
    let shown = ctl.dialog(&id).unwrap();
    assert_eq!(shown["state"], "confirmed", "{shown}");
    for (side, p) in [("caller", uac), ("callee", uas)] {
        let answered = p
            .logs_so_far()
            .iter()
            .filter(|l| l.starts_with("options_answered "))
            .count();
        assert!(answered >= 4, "{side} answered {answered} probes");
        assert!(
            p.logged_so_far("bye_received").is_empty(),
            "{side} got a BYE"
        );
    }

    // Probes shifted the CSeq spaces: the API's BYEs still reach both legs.
    let ended = ctl.json(&["call", "end", &id]).unwrap();
    assert_eq!(ended["side"], "both", "{ended}");
    let (caller, callee) = call.finish().unwrap();
    for side in [&caller, &callee] {
        assert!(side.all_successful(), "{}", side.describe());
        side.assert_logged_for("bye_received", 1);
    }
    wait_until(Duration::from_secs(10), "the call gone", || {
        let s = ctl.stats()?;
        anyhow::ensure!(s.active == 0, "stats {s:?}");
        Ok(())
    })
    .unwrap();
    node
}
