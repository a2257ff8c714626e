//! Scenario: a `TriggerHub` with controllers registered directly (no gRPC): full and closed
//! queues are skipped, decisions count only from the controller that got the trigger, and
//! dropping a registration removes the controller and wakes its pending timeouts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dialogd_api::triggers::hub::CONTROLLER_BUFFER;
use dialogd_api::{Offer, TriggerHub};
use dialogd_dialog::{
    DialogId, DialogSnapshot, DialogState, LegView, TimeoutDecision, TriggerKind,
};

fn dialog(seq: u64) -> DialogSnapshot {
    DialogSnapshot {
        did: DialogId::new(2, seq),
        call_id: format!("call-{seq}"),
        state: DialogState::Confirmed,
        caller: LegView::default(),
        callee: LegView::default(),
        request_uri: "sip:bob@example.com".into(),
        start_unix_ms: 0,
        answer_unix_ms: None,
        timeout_secs: 5,
        timeout_left_secs: None,
        bye_on_timeout: true,
        timeout_noreset: false,
        flags: 0,
        vars: BTreeMap::new(),
        profiles: vec![],
        owner_node: 2,
        end_cause: None,
        triggers: vec!["prepaid".into()],
    }
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

fn soon() -> Option<SystemTime> {
    Some(SystemTime::now() + Duration::from_secs(5))
}

#[tokio::test]
async fn full_and_closed_queues_are_skipped() {
    let hub = TriggerHub::new(2);
    let (_a, mut a_queue) = hub.register(names(&["prepaid"]));
    let (_b, b_queue) = hub.register(names(&["prepaid"]));
    drop(b_queue);
    assert!(hub.serves("prepaid"));

    for seq in 0..CONTROLLER_BUFFER as u64 {
        let offered = hub.offer(TriggerKind::OnAnswer, "prepaid", dialog(seq), None);
        assert_eq!(offered.await, Offer::Delivered(None));
    }
    let offered = hub.offer(TriggerKind::OnAnswer, "prepaid", dialog(9999), None);
    assert_eq!(offered.await, Offer::NoAnswer, "a full, b closed");

    let first = a_queue.recv().await.unwrap();
    assert_eq!(first.dialog.call_id, "call-0");
    let offered = hub.offer(TriggerKind::OnAnswer, "prepaid", dialog(10_000), None);
    assert_eq!(offered.await, Offer::Delivered(None));
}

#[tokio::test]
async fn only_the_chosen_controller_decides_and_only_once() {
    let hub = TriggerHub::new(2);
    let (a, mut a_queue) = hub.register(names(&["prepaid"]));
    let (b, _b_queue) = hub.register(names(&["prepaid"]));
    let offer = {
        let hub = Arc::clone(&hub);
        tokio::spawn(async move {
            hub.offer(TriggerKind::OnTimeout, "prepaid", dialog(1), soon())
                .await
        })
    };
    let t = a_queue.recv().await.unwrap();
    assert_eq!(t.kind, TriggerKind::OnTimeout);
    assert!(t.deadline.is_some());
    assert!(!hub.deliver_decision(b.id(), t.trigger_id, TimeoutDecision::Expire));
    assert!(!a.deliver_decision(t.trigger_id + 100, TimeoutDecision::Expire));
    let extend = TimeoutDecision::Extend(Duration::from_secs(30));
    assert!(a.deliver_decision(t.trigger_id, extend));
    assert!(
        !a.deliver_decision(t.trigger_id, TimeoutDecision::Expire),
        "answered once"
    );
    assert_eq!(offer.await.unwrap(), Offer::Delivered(Some(extend)));
}

#[tokio::test]
async fn dropping_a_registration_removes_the_controller_and_wakes_its_timeouts() {
    let hub = TriggerHub::new(2);
    let (a, mut a_queue) = hub.register(names(&["prepaid", "billing"]));
    assert_eq!(
        hub.served_names(),
        ["billing", "prepaid"].map(String::from).into()
    );
    let offer = {
        let hub = Arc::clone(&hub);
        let far = Some(SystemTime::now() + Duration::from_secs(60));
        tokio::spawn(async move {
            hub.offer(TriggerKind::OnTimeout, "prepaid", dialog(1), far)
                .await
        })
    };
    a_queue.recv().await.unwrap();
    drop(a);
    let answer = tokio::time::timeout(Duration::from_secs(5), offer).await;
    assert_eq!(answer.expect("at once").unwrap(), Offer::NoAnswer);
    assert_eq!(hub.controller_count(), 0);
    assert!(!hub.serves("prepaid"));
    let none = hub.offer(TriggerKind::OnHangup, "prepaid", dialog(2), None);
    assert_eq!(none.await, Offer::NoController);
}
