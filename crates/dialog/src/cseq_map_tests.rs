//! The [`CseqMap`]: generated requests in one space and in both, the runs that keep a quiet
//! peer's marks compact (checked against a plain list of marks), and the takeover jump.

use super::*;

#[test]
fn nothing_generated_changes_nothing() {
    let m = CseqMap::default();
    assert!(m.is_identity());
    for leg in [Leg::Caller, Leg::Callee] {
        assert_eq!(m.map_request(leg, 7), None);
        assert_eq!(m.unmap_response(leg, 7), None);
    }
}

#[test]
fn generated_requests_shift_later_requests_of_the_peer() {
    let mut m = CseqMap::default();
    // Caller sent INVITE 1; the proxy sends a re-INVITE to the callee: 2.
    assert_eq!(m.allocate_towards(Leg::Callee, Some(1)), 2);
    // ... and another one before the caller speaks again: 3.
    assert_eq!(m.allocate_towards(Leg::Callee, Some(1)), 3);
    // Callee never sent a request; the proxy sends one to the caller: 1.
    assert_eq!(m.allocate_towards(Leg::Caller, None), 1);
    assert_eq!(m.generated_in(Leg::Caller), 2);
    assert_eq!(m.generated_in(Leg::Callee), 1);

    // (from, raw request CSeq, forwarded CSeq)
    let table = [
        (Leg::Caller, 1, None),    // ACK of INVITE 1: sent before the marks
        (Leg::Caller, 2, Some(4)), // callee saw 1, 2, 3
        (Leg::Caller, 9, Some(11)),
        (Leg::Callee, 1, Some(2)), // caller saw the proxy's 1
        (Leg::Callee, 50, Some(51)),
    ];
    for (from, raw, want) in table {
        assert_eq!(m.map_request(from, raw), want, "{from:?} {raw}");
        // Round trip: the response to the forwarded request carries its number back.
        let sent = want.unwrap_or(raw);
        assert_eq!(
            m.unmap_response(from, sent),
            want.map(|_| raw),
            "{from:?} {raw} back"
        );
    }
    // Numbers only the proxy used have no original: responses to them are not unmapped.
    assert_eq!(m.unmap_response(Leg::Caller, 2), None);
    assert_eq!(m.unmap_response(Leg::Caller, 3), None);
}

#[test]
fn marks_later_in_the_call_leave_earlier_numbers_alone() {
    let mut m = CseqMap::default();
    assert_eq!(m.allocate_towards(Leg::Callee, Some(5)), 6);
    assert_eq!(m.map_request(Leg::Caller, 7), Some(8));
    assert_eq!(m.allocate_towards(Leg::Callee, Some(7)), 9);
    // (raw, forwarded): below the first mark, between the marks, above both.
    for (raw, want) in [(5, None), (6, Some(7)), (7, Some(8)), (8, Some(10))] {
        assert_eq!(m.map_request(Leg::Caller, raw), want, "{raw}");
        assert_eq!(
            m.unmap_response(Leg::Caller, want.unwrap_or(raw)),
            want.map(|_| raw)
        );
    }
}

#[test]
fn forwarded_numbers_always_rise_past_generated_ones() {
    // Interleave caller requests and generated requests; what the callee sees must rise.
    let mut m = CseqMap::default();
    let mut seen = Vec::new();
    let mut last = 1;
    for step in 0..40u32 {
        if step % 3 == 0 {
            seen.push(m.allocate_towards(Leg::Callee, Some(last)));
        } else {
            last += 1 + step % 2;
            seen.push(m.map_request(Leg::Caller, last).unwrap_or(last));
        }
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
}

#[test]
fn two_requests_towards_the_callee_shift_the_callers_by_two_and_leave_the_callees() {
    let mut m = CseqMap::default();
    // The caller's INVITE was 10; the proxy sends OPTIONS and a re-INVITE to the callee.
    assert_eq!(m.allocate_towards(Leg::Callee, Some(10)), 11);
    assert_eq!(m.allocate_towards(Leg::Callee, Some(10)), 12);
    // (from, raw request CSeq, forwarded): the caller's re-INVITE 11, its ACK, its BYE 12;
    // the callee's requests are untouched.
    let table = [
        (Leg::Caller, 11, Some(13)),
        (Leg::Caller, 12, Some(14)),
        (Leg::Callee, 1, None),
        (Leg::Callee, 500, None),
    ];
    for (from, raw, want) in table {
        assert_eq!(m.map_request(from, raw), want, "{from:?} {raw}");
        assert_eq!(
            m.unmap_response(from, want.unwrap_or(raw)),
            want.map(|_| raw)
        );
    }
    assert_eq!(m.unmap_response(Leg::Caller, 11), None, "the proxy's own");
    assert_eq!(m.unmap_response(Leg::Caller, 12), None, "the proxy's own");
    assert_eq!(
        (m.generated_in(Leg::Caller), m.generated_in(Leg::Callee)),
        (2, 0)
    );
}

#[test]
fn requests_numbered_while_the_peer_is_quiet_share_one_run() {
    let mut m = CseqMap::default();
    for i in 0..1440u32 {
        assert_eq!(m.allocate_towards(Leg::Callee, Some(7)), 8 + i);
    }
    assert_eq!(
        m.caller.0,
        vec![Run {
            after: 7,
            total: 1440
        }]
    );
    assert_eq!(m.generated_in(Leg::Caller), 1440);
    assert_eq!(m.map_request(Leg::Caller, 8), Some(8 + 1440));
    assert_eq!(m.unmap_response(Leg::Caller, 8 + 1440), Some(8));
}

/// The marks as a plain sorted list, the model the runs must agree with.
#[derive(Default)]
struct Model(Vec<u32>);

impl Model {
    fn shift(&self, cseq: u32, inclusive: bool) -> u32 {
        let n = self
            .0
            .iter()
            .filter(|&&m| m < cseq || (inclusive && m == cseq))
            .count();
        u32::try_from(n).unwrap()
    }
}

#[test]
fn runs_agree_with_a_plain_list_of_marks() {
    // A fixed pseudo-random walk: the caller's CSeq rises by 0 to 2, the proxy numbers
    // requests towards the callee, every raw CSeq so far is mapped and mapped back.
    let mut m = CseqMap::default();
    let mut model = Model::default();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut last = 1u32;
    for _ in 0..600 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        if seed.is_multiple_of(3) {
            let want = last + model.shift(last, true) + 1;
            assert_eq!(m.allocate_towards(Leg::Callee, Some(last)), want);
            let at = model.0.partition_point(|&x| x <= last);
            model.0.insert(at, last);
        } else {
            last += u32::try_from(seed % 3).unwrap();
        }
    }
    for raw in 1..=last + 1 {
        let k = model.shift(raw, false);
        let want = (k != 0).then_some(raw + k);
        assert_eq!(m.map_request(Leg::Caller, raw), want, "{raw}");
        assert_eq!(m.unmap_response(Leg::Caller, raw + k), want.map(|_| raw));
    }
    assert_eq!(m.generated_in(Leg::Caller), model.0.len());
    assert!(m.caller.0.len() <= model.0.len());
}

#[test]
fn a_takeover_jumps_both_spaces_above_the_replicated_cseqs() {
    // The old owner saw the caller up to 10, nothing from the callee; jump 100.
    let mut m = CseqMap::taken_over(10, 0, 100);
    assert!(!m.is_identity());
    // (from, raw request CSeq, forwarded CSeq) before anything is generated here.
    let table = [
        (Leg::Caller, 10, None), // the ACK of INVITE 10, a retransmission
        (Leg::Caller, 11, Some(111)),
        (Leg::Callee, 1, Some(101)),
    ];
    for (from, raw, want) in table {
        assert_eq!(m.map_request(from, raw), want, "{from:?} {raw}");
        let sent = want.unwrap_or(raw);
        assert_eq!(m.unmap_response(from, sent), want.map(|_| raw), "back");
    }
    // Generated numbers start past the jump, and later requests rise past them.
    assert_eq!(m.allocate_towards(Leg::Callee, Some(10)), 111);
    assert_eq!(m.allocate_towards(Leg::Caller, None), 101);
    assert_eq!(m.map_request(Leg::Caller, 11), Some(112));
    assert_eq!(m.unmap_response(Leg::Caller, 112), Some(11));
    assert_eq!(m.unmap_response(Leg::Caller, 111), None, "the proxy's own");
    assert_eq!(m.allocate_towards(Leg::Callee, Some(11)), 113);
    assert_eq!(m.map_request(Leg::Caller, 12), Some(114));
}
