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
//! sent before a mark keep their number, and those of later requests get the same number as
//! the request. Marks at the same CSeq are kept as one run, so a long idle call probed by
//! keep-alive costs a few bytes. Owns numbers only; building the request is the proxy's job.
//!
//! A node that adopts a dialog after its owner died knows neither the old owner's marks nor
//! the requests it forwarded after the last replicated write ([`crate::DialogRecord`]), so
//! [`crate::Dialog::restore`] starts its map with a jump: each side's numbers above the
//! replicated CSeq count [`crate::CSEQ_TAKEOVER_JUMP`] marks more, as if the proxy had sent
//! that many requests there, and what it forwards and generates stays above anything the old
//! owner sent.

use crate::state::Leg;

/// Marks per sending side, kept as runs (the proxy's requests in its space, counted by the
/// side's last raw CSeq when each was numbered), plus the takeover jumps.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CseqMap {
    /// Requests the proxy sent towards the callee, numbered in the caller's space.
    caller: Marks,
    /// Requests the proxy sent towards the caller, numbered in the callee's space.
    callee: Marks,
    /// The takeover jump in the caller's space, on a node that adopted the dialog.
    caller_jump: Option<Jump>,
    /// The takeover jump in the callee's space.
    callee_jump: Option<Jump>,
}

/// `by` marks at raw CSeq `after`, set by a takeover ([`CseqMap::taken_over`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Jump {
    after: u32,
    by: u32,
}

/// The marks of one space as runs, ascending by `after`: `total` counts every mark at or
/// below `after`. Marks land at the peer's last CSeq, which only rises, so a run grows for
/// every request the proxy sends while the peer is quiet: keep-alive probes every 30 s over
/// a 12-hour idle call stay one run (8 bytes), not 1,440 marks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Marks(Vec<Run>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Run {
    after: u32,
    total: u32,
}

impl Marks {
    /// Marks below `cseq`, or also at it when `inclusive`.
    fn below(&self, cseq: u32, inclusive: bool) -> u32 {
        let n = self
            .0
            .partition_point(|r| r.after < cseq || (inclusive && r.after == cseq));
        n.checked_sub(1).map_or(0, |i| self.0[i].total)
    }

    /// Adds one mark at `at`.
    fn insert(&mut self, at: u32) {
        let i = self.0.partition_point(|r| r.after < at);
        if self.0.get(i).is_none_or(|r| r.after != at) {
            let total = self.below(at, false);
            self.0.insert(i, Run { after: at, total });
        }
        for r in &mut self.0[i..] {
            r.total = r.total.saturating_add(1);
        }
    }

    /// Every shift a raw CSeq can have from these marks: 0, then each run's total.
    fn shifts(&self) -> impl Iterator<Item = u32> + '_ {
        std::iter::once(0).chain(self.0.iter().map(|r| r.total))
    }

    fn count(&self) -> u32 {
        self.0.last().map_or(0, |r| r.total)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
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

    fn marks(&self, side: Leg) -> &Marks {
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
        let marks = self.marks(side).below(cseq, inclusive);
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
        match side {
            Leg::Caller => self.caller.insert(last),
            Leg::Callee => self.callee.insert(last),
        }
        number
    }

    /// The CSeq to write on a request from `from` with raw CSeq `cseq` (`None`: unchanged).
    /// ACK and CANCEL map like the request they name, since they carry its number.
    pub fn map_request(&self, from: Leg, cseq: u32) -> Option<u32> {
        let k = self.shift_of(from, cseq, false);
        (k != 0).then(|| cseq.saturating_add(k))
    }

    /// The CSeq to write on a response going back to `from` whose request was mapped
    /// (`None`: unchanged, or a number only the proxy's own requests used).
    pub fn unmap_response(&self, from: Leg, cseq: u32) -> Option<u32> {
        // `raw + shift_of(raw)` rises strictly with `raw`: at most one candidate fits.
        let by = self.jump(from).map_or(0, |j| j.by);
        self.marks(from)
            .shifts()
            .flat_map(|s| [s, s.saturating_add(by)])
            .filter(|&s| s != 0)
            .find_map(|s| {
                let raw = cseq.checked_sub(s)?;
                (self.shift_of(from, raw, false) == s).then_some(raw)
            })
    }

    /// Number of requests the proxy numbered in `side`'s space.
    pub fn generated_in(&self, side: Leg) -> usize {
        usize::try_from(self.marks(side).count()).unwrap_or(usize::MAX)
    }

    /// True while the proxy has generated nothing: every CSeq is forwarded unchanged.
    pub fn is_identity(&self) -> bool {
        self.caller.is_empty()
            && self.callee.is_empty()
            && self.caller_jump.is_none()
            && self.callee_jump.is_none()
    }
}

#[cfg(test)]
#[path = "cseq_map_tests.rs"]
mod tests;
