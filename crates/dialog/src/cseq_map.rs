//! [`CseqMap`]: keeps both legs' CSeq spaces rising when the proxy itself sends in-dialog
//! requests (BYE, re-INVITE, REFER, OPTIONS) in the middle of a call (RFC 3261 §12.2.1.1: a
//! UA rejects a CSeq lower than the last one it saw from its peer).
//!
//! A request the proxy sends towards leg X takes the next number of the space X sees from its
//! peer, so the peer's later requests are shifted up by one per such request before they are
//! forwarded, and the responses to them are shifted back down on their way to the peer:
//!
//! ```text
//!  caller ── INVITE 1 ─────────────▶ callee        mark: caller space, after 1
//!  proxy  ── re-INVITE 2 (generated) ▶ callee
//!  caller ── INFO 2 ── map 2→3 ─────▶ callee      response 200 (3) ── unmap 3→2 ──▶ caller
//!  caller ── ACK 1  ── stays 1 ─────▶ callee      (it names INVITE 1, sent before the mark)
//! ```
//!
//! Each generated request leaves a mark: the peer's last CSeq when it was numbered. A request
//! with CSeq `n` is shifted by the number of marks below `n`, so ACKs and CANCELs of requests
//! sent before a mark keep their number. Owns numbers only; building the request is the
//! proxy's job.
//!
//! A node that adopts a dialog after its owner died knows neither the old owner's marks nor
//! the requests it forwarded after the last replicated write ([`crate::DialogRecord`]), so
//! [`crate::Dialog::restore`] starts its map with a jump: each side's numbers above the
//! replicated CSeq count [`crate::CSEQ_TAKEOVER_JUMP`] marks more, as if the proxy had sent
//! that many requests there, and what it forwards and generates stays above anything the old
//! owner sent.

use crate::state::Leg;

/// Marks per sending side, each the side's last raw CSeq when the proxy numbered a request
/// in its space (ascending).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CseqMap {
    /// Requests the proxy sent towards the callee, numbered in the caller's space.
    caller: Vec<u32>,
    /// Requests the proxy sent towards the caller, numbered in the callee's space.
    callee: Vec<u32>,
    /// The takeover jump in the caller's space, on a node that adopted the dialog.
    caller_jump: Option<Jump>,
    /// The takeover jump in the callee's space.
    callee_jump: Option<Jump>,
}

/// `by` marks at raw CSeq `after`, set by a takeover ([`CseqMap::taken_over`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Jump {
    after: u32,
    by: u32,
}

impl CseqMap {
    /// The map of a dialog adopted from another node: the old owner saw raw CSeqs up to
    /// `caller_last` and `callee_last` (`0`: none), and each space jumps by `jump` above them.
    pub(crate) fn taken_over(caller_last: u32, callee_last: u32, jump: u32) -> CseqMap {
        let at = |after| Some(Jump { after, by: jump });
        CseqMap {
            caller_jump: at(caller_last),
            callee_jump: at(callee_last),
            ..CseqMap::default()
        }
    }

    fn marks(&self, side: Leg) -> &Vec<u32> {
        match side {
            Leg::Caller => &self.caller,
            Leg::Callee => &self.callee,
        }
    }

    fn jump(&self, side: Leg) -> Option<Jump> {
        match side {
            Leg::Caller => self.caller_jump,
            Leg::Callee => self.callee_jump,
        }
    }

    /// The shift of raw CSeq `cseq` in `side`'s space: marks (and jump) below it, or also at
    /// it when `inclusive`.
    fn shift_of(&self, side: Leg, cseq: u32, inclusive: bool) -> u32 {
        let counts = |m: u32| m < cseq || (inclusive && m == cseq);
        let marks = shift(self.marks(side).partition_point(|&m| counts(m)));
        let jump = self.jump(side).filter(|j| counts(j.after));
        marks.saturating_add(jump.map_or(0, |j| j.by))
    }

    /// Numbers a request the proxy sends towards `to`, in the space of `to`'s peer whose last
    /// raw CSeq is `peer_last` (`None`: the peer never sent a request). Returns the CSeq to
    /// write on it and remembers the shift.
    pub fn allocate_towards(&mut self, to: Leg, peer_last: Option<u32>) -> u32 {
        let last = peer_last.unwrap_or(0);
        let side = to.other();
        let number = last
            .saturating_add(self.shift_of(side, last, true))
            .saturating_add(1);
        let marks = match side {
            Leg::Caller => &mut self.caller,
            Leg::Callee => &mut self.callee,
        };
        let at = marks.partition_point(|&m| m <= last);
        marks.insert(at, last);
        number
    }

    /// The CSeq to write on a request from `from` with raw CSeq `cseq` (`None`: unchanged).
    pub fn map_request(&self, from: Leg, cseq: u32) -> Option<u32> {
        let k = self.shift_of(from, cseq, false);
        (k != 0).then(|| cseq.saturating_add(k))
    }

    /// The CSeq to write on a response going back to `from` whose request was mapped
    /// (`None`: unchanged, or a number only the proxy's own requests used).
    pub fn unmap_response(&self, from: Leg, cseq: u32) -> Option<u32> {
        // `raw + shift_of(raw)` rises strictly with `raw`: at most one candidate fits.
        let by = self.jump(from).map_or(0, |j| j.by);
        (0..=self.marks(from).len())
            .flat_map(|k| [shift(k), shift(k).saturating_add(by)])
            .filter(|&s| s != 0)
            .find_map(|s| {
                let raw = cseq.checked_sub(s)?;
                (self.shift_of(from, raw, false) == s).then_some(raw)
            })
    }

    /// Number of requests the proxy numbered in `side`'s space.
    pub fn generated_in(&self, side: Leg) -> usize {
        self.marks(side).len()
    }

    /// True while the proxy has generated nothing: every CSeq is forwarded unchanged.
    pub fn is_identity(&self) -> bool {
        self.caller.is_empty()
            && self.callee.is_empty()
            && self.caller_jump.is_none()
            && self.callee_jump.is_none()
    }
}

fn shift(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
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
}
