//! Unit tests of `convert.rs`.

use dialogd_dialog::{DialogId, DialogState};

use super::*;

fn control_event(kind: EventKind, control: Option<ControlEvent>) -> DialogEvent {
    DialogEvent {
        id: 7,
        unix_ms: 1_700_000_000_000,
        node_id: 2,
        did: DialogId::new(2, 0x51),
        call_id: "c1@host".into(),
        kind,
        failed_code: None,
        end_cause: None,
        state: DialogState::Confirmed,
        profiles: vec![],
        timeout: Duration::from_secs(60),
        control,
    }
}

fn transfer_ok() -> ControlEvent {
    ControlEvent {
        leg: Leg::Callee,
        action: "transfer",
        state: "ok",
        status: "200".into(),
        destination: "sip:carol@example.com".into(),
        other_call_id: "new@host".into(),
    }
}

#[test]
fn every_kind_round_trips_and_lagged_is_not_a_kind() {
    for kind in EventKind::ALL {
        assert_eq!(kind_from_proto(kind_to_proto(kind) as i32), Some(kind));
    }
    assert_eq!(kind_to_proto(EventKind::Transfer) as i32, 9);
    assert_eq!(kind_to_proto(EventKind::Hold) as i32, 10);
    assert_eq!(kind_from_proto(pb::EventKind::Lagged as i32), None);
    assert_eq!(kind_from_proto(0), None);
    assert_eq!(kind_from_proto(99), None);
}

#[test]
fn transfer_and_hold_events_carry_their_control_both_ways() {
    let hold = ControlEvent {
        leg: Leg::Caller,
        action: "unhold",
        state: "fail",
        status: "488".into(),
        destination: String::new(),
        other_call_id: String::new(),
    };
    for (kind, control) in [
        (EventKind::Transfer, Some(transfer_ok())),
        (EventKind::Hold, Some(hold)),
        (EventKind::Confirmed, None),
    ] {
        let event = WatchedEvent::Dialog(control_event(kind, control));
        let p = pb::DialogEvent::from(&event);
        assert_eq!(p.control.is_some(), kind != EventKind::Confirmed);
        assert_eq!(WatchedEvent::try_from(p).unwrap(), event);
    }
    let p = pb::DialogEvent::from(&WatchedEvent::Dialog(control_event(
        EventKind::Transfer,
        Some(transfer_ok()),
    )));
    let c = p.control.unwrap();
    assert_eq!(
        (c.leg.as_str(), c.action.as_str(), c.state.as_str()),
        ("callee", "transfer", "ok")
    );
    assert_eq!(c.other_call_id, "new@host");
}

#[test]
fn unknown_control_values_are_bad_replies() {
    let good = pb::DialogEvent::from(&WatchedEvent::Dialog(control_event(
        EventKind::Transfer,
        Some(transfer_ok()),
    )));
    let with = |f: fn(&mut pb::ControlEvent)| {
        let mut e = good.clone();
        if let Some(c) = e.control.as_mut() {
            f(c);
        }
        e
    };
    for (bad, field) in [
        (with(|c| c.leg = "both".into()), "control leg"),
        (with(|c| c.action = "park".into()), "control action"),
        (with(|c| c.state = "".into()), "control state"),
    ] {
        match WatchedEvent::try_from(bad) {
            Err(Error::BadReply { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let transferred = pb::DialogEvent {
        kind: pb::EventKind::Deleted as i32,
        end_cause: "transfer".into(),
        control: None,
        ..good
    };
    let Ok(WatchedEvent::Dialog(e)) = WatchedEvent::try_from(transferred) else {
        panic!("a deleted event")
    };
    assert_eq!(e.end_cause, Some(EndCause::Transfer));
}
