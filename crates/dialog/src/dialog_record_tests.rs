//! Takeover: a dialog recorded by its owner and restored on another node (whose monotonic
//! clock has another origin) times out on the same wall-clock second, sends the same BYEs
//! with CSeqs past the jump, keeps matching the endpoints' requests and round-trips.

use std::collections::BTreeMap;

use DialogState::*;
use Leg::{Callee, Caller};

use super::tests::*;
use super::*;
use crate::keepalive::KeepaliveConfig;
use crate::profile::ProfileKey;
use crate::record::{CSEQ_TAKEOVER_JUMP as JUMP, DialogRecord, LegRecord};
use crate::snapshot::DialogSnapshot;
use crate::test_call::*;

const OWNER: u64 = 1;
const ADOPTER: u64 = 2;

/// Inputs at given seconds.
type Inputs = Vec<(u64, Input)>;

fn unix(secs: u64) -> u64 {
    1_700_000_000_000 + secs * 1000
}

/// A call (with [`settings`]) fed `inputs` from its INVITE on.
fn call(inputs: Inputs) -> TestCall {
    let mut c = TestCall::new(settings());
    for (at, input) in inputs {
        c.step(at, input);
    }
    c
}

/// `c`'s dialog as recorded by its owner at second `at`.
fn recorded(c: &TestCall, at: u64) -> DialogRecord {
    c.dialog.record(OWNER, c.at(at), unix(at))
}

/// `record` restored at second `at` on a node whose clock started an hour after `c`'s.
fn adopted(record: &DialogRecord, at: u64) -> TestCall {
    let t0 = Instant::now() + Duration::from_secs(3600);
    let now = t0 + Duration::from_secs(at);
    TestCall {
        dialog: Dialog::restore(record, now, unix(at)),
        t0,
    }
}

/// The requests among `outputs`, CSeqs apart.
fn requests(outputs: &[DialogOutput]) -> (Vec<GeneratedRequest>, Vec<u32>) {
    let split = |o: &DialogOutput| match o {
        DialogOutput::SendRequest(g) => {
            let mut g = g.clone();
            let cseq = std::mem::take(&mut g.cseq);
            Some((g, cseq))
        }
        _ => None,
    };
    outputs.iter().filter_map(split).unzip()
}

#[test]
fn an_adopted_dialog_times_out_with_the_byes_its_owner_would_send() {
    let refresh = RequestFacts {
        contact: Some("sip:bob@203.0.113.7".to_owned()),
        ..from_callee("INVITE", "b", 6)
    };
    // (inputs to the owner before it records at 20, deadline, recorded caller and callee CSeqs)
    let table: Vec<(Inputs, u64, u32, u32)> = vec![
        (vec![], 61, N, 0),
        (
            vec![
                (5, by_callee("INFO", "b", 5)),
                (10, by_caller("INFO", "b", N + 1)),
                (15, req(refresh)),
            ],
            75,
            N + 1,
            6,
        ),
    ];
    for (inputs, deadline, caller_cseq, callee_cseq) in table {
        let mut owner = TestCall::confirmed(settings());
        for (at, input) in inputs {
            owner.step(at, input);
        }
        // The owner also probed both legs: numbers the record does not know.
        let probes = [Caller, Callee].map(|leg| {
            let d = &mut owner.dialog;
            d.request_towards(leg, Method::Options, vec![])
        });
        assert!(probes.iter().all(Option::is_some));
        let record = recorded(&owner, 20);
        assert_eq!(
            (record.caller.cseq, record.callee.cseq),
            (caller_cseq, callee_cseq)
        );
        assert_eq!(record.timeout_at_unix_ms, Some(unix(deadline)));
        let mut adopter = adopted(&record, 20);
        assert_eq!(adopter.deadline_secs(), Some(deadline));
        assert_eq!(adopter.step(deadline - 1, Input::Timeout).outputs, vec![]);

        let (want, old) = requests(&owner.step(deadline, Input::Timeout).outputs);
        let p = adopter.step(deadline, Input::Timeout);
        let (got, new) = requests(&p.outputs);
        assert_eq!(got, want, "target, route set, From, To, Call-ID, headers");
        assert_eq!(
            got.iter().map(|g| g.leg).collect::<Vec<_>>(),
            [Caller, Callee]
        );
        let floor = [callee_cseq + JUMP, caller_cseq + JUMP];
        for ((new, old), floor) in new.iter().zip(old).zip(floor) {
            assert!(
                *new > old && *new >= floor,
                "{new} after {old}, floor {floor}"
            );
        }
        assert_eq!(p.outputs[2..], ended(Confirmed, EndCause::Timeout));
    }
}

#[test]
fn the_deadline_carries_over_in_wall_clock_time() {
    // (second of the restore, deadline on the adopter); recorded at 20, due at 61.
    for (at, deadline) in [(20, 61), (40, 61), (61, 61), (100, 100)] {
        let owner = TestCall::confirmed(settings());
        let mut adopter = adopted(&recorded(&owner, 20), at);
        assert_eq!(adopter.deadline_secs(), Some(deadline), "restored at {at}");
        let outputs = adopter.step(at.max(deadline), Input::Timeout).outputs;
        assert_eq!(
            byes(&outputs).len(),
            2,
            "restored at {at}: due at once if overdue"
        );
    }
}

#[test]
fn an_adopted_dialog_keeps_matching_the_endpoints_requests() {
    let mut owner = TestCall::confirmed(settings());
    owner.step(5, by_caller("INFO", "b", N + 1));
    let mut c = adopted(&recorded(&owner, 10), 10);
    let shifted = |from, cseq| forward(from, Some(cseq + JUMP));
    run(
        &mut c,
        vec![
            (11, by_caller("INFO", "b", N), out_of_order(), vec![]),
            (11, by_caller("BYE", "other", N + 2), no_dialog(), vec![]),
            (11, by_callee("INFO", "b", 1), shifted(Callee, 1), vec![]),
            // A retransmission of the last request the old owner forwarded.
            (12, by_caller("INFO", "b", N + 1), fwd(Caller), vec![]),
            (
                12,
                by_caller("BYE", "b", N + 2),
                shifted(Caller, N + 2),
                ended(Confirmed, EndCause::ByeCaller),
            ),
        ],
    );
    assert_eq!(c.dialog.response_cseq(Caller, N + 2 + JUMP), Some(N + 2));
    assert_eq!(c.dialog.end_cause(), Some(EndCause::ByeCaller));
}

#[test]
fn every_state_round_trips() {
    let early = vec![(0, rsp(180, "b"))];
    let answered = vec![(0, rsp(180, "b")), (1, rsp(200, "b"))];
    let mut talking = answered.clone();
    talking.extend([
        (1, by_caller("ACK", "b", N)),
        (3, by_callee("INFO", "b", 4)),
    ]);
    let mut over = talking.clone();
    over.push((4, by_caller("BYE", "b", N + 1)));
    // (inputs before the record at 5, state)
    let table = [
        (vec![], Unconfirmed),
        (early, Early),
        (answered, ConfirmedNoAck),
        (talking, Confirmed),
        (over, Deleted),
    ];
    for (inputs, state) in table {
        let owner = call(inputs);
        let record = recorded(&owner, 5);
        assert_eq!(record.state, state);
        assert_eq!(
            record.callee == LegRecord::default(),
            !state.is_confirmed() && state != Deleted,
            "{state}"
        );
        let adopter = adopted(&record, 5);
        assert_eq!(
            adopter.dialog.record(OWNER, adopter.at(5), unix(5)),
            record,
            "{state}"
        );
        let snapshot = |c: &TestCall| DialogSnapshot {
            end_cause: None,
            triggers: Vec::new(),
            ..c.dialog.snapshot(c.at(5), OWNER)
        };
        assert_eq!(snapshot(&adopter), snapshot(&owner), "{state}");
    }
}

#[test]
fn an_adopted_dialog_finishes_its_set_up() {
    let ack = || by_caller("ACK", "b", N);
    let acked = (3, ack(), fwd(Caller), moved(ConfirmedNoAck, Confirmed));
    // (inputs to the owner before it records at 2, rows on the adopter, deadline after)
    let table: Vec<(Inputs, Vec<Row>, u64)> = vec![
        (
            vec![(0, rsp(180, "b"))],
            vec![
                (2, rsp(183, "b"), None, vec![]),
                (3, rsp(200, "b"), None, moved(Early, ConfirmedNoAck)),
                acked.clone(),
            ],
            63,
        ),
        // Answered, not yet acknowledged: the ACK names the INVITE, which is not shifted.
        (vec![(1, rsp(200, "b"))], vec![acked], 61),
    ];
    for (inputs, rows, deadline) in table {
        let mut c = adopted(&recorded(&call(inputs), 2), 2);
        run(&mut c, rows);
        assert_eq!(c.deadline_secs(), Some(deadline));
    }
}

#[test]
fn record_fills_every_field_and_settings_survive() {
    let vars = BTreeMap::from([("billing".to_owned(), "gold".to_owned())]);
    let profiles = vec![
        ProfileKey::with_value("caller", "alice"),
        ProfileKey::plain("all"),
    ];
    let mut owner = TestCall::confirmed(DialogSettings {
        timeout_noreset: true,
        flags: 0b1001,
        vars: vars.clone(),
        profiles: profiles.clone(),
        keepalive: Some(KA),
        ..settings()
    });
    owner
        .dialog
        .set_source(Callee, Some("udp:192.0.2.4:5060".to_owned()));
    let want = DialogRecord {
        did: DID,
        call_id: CALL_ID.to_owned(),
        state: Confirmed,
        owner: OWNER,
        caller: LegRecord {
            header: FROM.to_owned(),
            uri: "sip:alice@atlanta.example.com".to_owned(),
            tag: Some(CALLER_TAG.to_owned()),
            contact: Some(CALLER_CONTACT.to_owned()),
            route_set: vec![P1.to_owned()],
            cseq: N,
            source: Some("udp:192.0.2.10:5060".to_owned()),
        },
        callee: LegRecord {
            header: callee_to("b"),
            uri: "sip:bob@biloxi.example.com".to_owned(),
            tag: Some("b".to_owned()),
            contact: Some(CALLEE_CONTACT.to_owned()),
            route_set: vec![P2.to_owned(), P3.to_owned()],
            cseq: 0,
            source: Some("udp:192.0.2.4:5060".to_owned()),
        },
        request_uri: "sip:bob@biloxi.example.com".to_owned(),
        invite_to: "Bob <sip:bob@biloxi.example.com>".to_owned(),
        invite_cseq: N,
        start_unix_ms: unix(0),
        answer_unix_ms: Some(unix(1)),
        timeout_secs: 60,
        timeout_at_unix_ms: Some(unix(61)),
        timeout_noreset: true,
        bye_on_timeout: true,
        bye_extra_headers: settings().bye_extra_headers,
        flags: 0b1001,
        vars: vars.clone(),
        profiles: profiles.clone(),
        triggers: vec![],
        keepalive: Some(KA),
    };
    let record = recorded(&owner, 30);
    assert_eq!(record, want);

    let mut c = adopted(&record, 30);
    let d = &c.dialog;
    assert_eq!(
        (d.flags(), d.vars(), d.profiles()),
        (0b1001, &vars, profiles.as_slice())
    );
    assert_eq!(
        (d.is_flag_set(3), d.timeout(), d.bye_on_timeout()),
        (Ok(true), TIMEOUT, true)
    );
    assert_eq!(d.keepalive(), Some(KA), "keep-alive survives");
    c.step(40, by_caller("INFO", "b", N + 1));
    assert_eq!(c.deadline_secs(), Some(61), "noreset survives");
}

/// A keep-alive of the callee every 2 s.
const KA: KeepaliveConfig = KeepaliveConfig {
    caller: false,
    callee: true,
    interval: Duration::from_secs(2),
    failed_limit: 1,
};

#[test]
fn a_record_of_an_earlier_build_without_keepalive_reads_as_none() {
    let owner = TestCall::confirmed(settings());
    let record = recorded(&owner, 10);
    let mut json: serde_json::Value = serde_json::to_value(&record).unwrap();
    assert!(json.as_object_mut().unwrap().remove("keepalive").is_some());
    let back: DialogRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back.keepalive, None);
    let mut off = TestCall::confirmed(DialogSettings {
        keepalive: Some(KeepaliveConfig::default()),
        ..settings()
    });
    assert_eq!(off.dialog.keepalive(), None, "no leg probed is off");
    off.dialog.set_keepalive(Some(KA));
    assert_eq!(recorded(&off, 10).keepalive, Some(KA));
}

#[test]
fn the_record_survives_json() {
    let mut owner = TestCall::confirmed(DialogSettings {
        vars: BTreeMap::from([("k".to_owned(), "v \"quoted\"".to_owned())]),
        profiles: vec![ProfileKey::with_value("caller", "alice")],
        keepalive: Some(KA),
        ..settings()
    });
    owner.step(5, by_callee("INFO", "b", 9));
    let record = recorded(&owner, 10);
    let json = serde_json::to_string(&record).unwrap();
    let back: DialogRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, record);
    let adopter = adopted(&back, 10);
    assert_eq!(
        adopter.dialog.record(ADOPTER, adopter.at(10), unix(10)),
        DialogRecord {
            owner: ADOPTER,
            ..record
        }
    );
}
