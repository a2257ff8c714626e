//! [`CseqMap`]: keeps both legs' CSeq spaces consistent when the proxy itself sends in-dialog
//! requests. A request the proxy sends towards leg X uses the next number of the space X sees
//! from its peer; every later request from that peer towards X is shifted up by one per
//! generated request, and the responses going back are shifted down again.

use crate::state::Leg;

/// Offsets per sending side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CseqMap {
    /// Added to requests sent by the caller (towards the callee).
    caller: u32,
    /// Added to requests sent by the callee (towards the caller).
    callee: u32,
}

impl CseqMap {
    /// The proxy sent one request towards `to`, in the space of `to`'s peer.
    pub fn generated_towards(&mut self, to: Leg) {
        match to.other() {
            Leg::Caller => self.caller += 1,
            Leg::Callee => self.callee += 1,
        }
    }

    /// The CSeq to write on a request from `from`, or `None` when unchanged.
    pub fn map_request(&self, from: Leg, cseq: u32) -> Option<u32> {
        let off = self.offset(from);
        (off != 0).then(|| cseq.saturating_add(off))
    }

    /// The CSeq to write on a response going back to `from` (its request was mapped).
    pub fn unmap_response(&self, from: Leg, cseq: u32) -> Option<u32> {
        let off = self.offset(from);
        (off != 0).then(|| cseq.saturating_sub(off))
    }

    fn offset(&self, from: Leg) -> u32 {
        match from {
            Leg::Caller => self.caller,
            Leg::Callee => self.callee,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_requests_shift_the_peer_space_both_ways() {
        let mut m = CseqMap::default();
        assert_eq!(m.map_request(Leg::Caller, 5), None);
        m.generated_towards(Leg::Callee); // e.g. a re-INVITE to the callee with caller CSeq+1
        assert_eq!(m.map_request(Leg::Caller, 6), Some(7));
        assert_eq!(m.unmap_response(Leg::Caller, 7), Some(6));
        assert_eq!(m.map_request(Leg::Callee, 3), None);
        m.generated_towards(Leg::Caller);
        m.generated_towards(Leg::Caller);
        assert_eq!(m.map_request(Leg::Callee, 3), Some(5));
    }
}
