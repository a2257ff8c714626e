//! [`CseqTracker`]: the CSeq order of the requests one side of a dialog sends — the CSeq half
//! of `validate_dialog` (OpenSIPS; RFC 3261 §12.2.2).
//!
//! | request | accepted when |
//! |---|---|
//! | ACK | its CSeq is the side's last INVITE's (the ACK of a 2xx, RFC 3261 §13.2.2.4) |
//! | CANCEL | its CSeq is the side's last INVITE's or last request's (RFC 3261 §9.1) |
//! | any other | nothing seen yet, or CSeq ≥ the last one (equal: a retransmission) |
//!
//! OpenSIPS' `validate_dialog` fails a request whose CSeq is not above the last one and
//! leaves the reply to the script; RFC 3261 §12.2.2 says a lower CSeq "MUST be rejected with a
//! 500", which is what [`crate::Dialog`] answers. Equal CSeqs pass here because
//! retransmissions that slip past the transaction layer must not break the call. Numbers are
//! raw, as the side wrote them; [`crate::CseqMap`] shifts what is forwarded.

use dialogd_sip::Method;

/// Why a request's CSeq does not fit its side's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CseqFault {
    /// Lower than the last request of the side.
    OutOfOrder { last: u32, got: u32 },
    /// An ACK or CANCEL naming no INVITE (or request) the side sent last.
    NoSuchRequest { got: u32 },
}

/// The CSeq order of one side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CseqTracker {
    /// Last CSeq of a request other than ACK and CANCEL.
    last: Option<u32>,
    /// CSeq of the last INVITE.
    last_invite: Option<u32>,
}

impl CseqTracker {
    /// The caller's order right after its initial INVITE.
    pub fn after_invite(cseq: u32) -> CseqTracker {
        CseqTracker {
            last: Some(cseq),
            last_invite: Some(cseq),
        }
    }

    /// Checks a request against the order; changes nothing.
    pub fn check(&self, method: &Method, cseq: u32) -> Result<(), CseqFault> {
        let ok = match method {
            Method::Ack => self.last_invite == Some(cseq),
            Method::Cancel => self.last_invite == Some(cseq) || self.last == Some(cseq),
            _ => {
                return match self.last {
                    Some(last) if cseq < last => Err(CseqFault::OutOfOrder { last, got: cseq }),
                    _ => Ok(()),
                };
            }
        };
        if ok {
            Ok(())
        } else {
            Err(CseqFault::NoSuchRequest { got: cseq })
        }
    }

    /// Records an accepted request.
    pub fn record(&mut self, method: &Method, cseq: u32) {
        match method {
            Method::Ack | Method::Cancel => {}
            _ => {
                self.last = Some(self.last.map_or(cseq, |l| l.max(cseq)));
                if *method == Method::Invite {
                    self.last_invite = Some(cseq);
                }
            }
        }
    }

    /// Checks, then records.
    pub fn accept(&mut self, method: &Method, cseq: u32) -> Result<(), CseqFault> {
        self.check(method, cseq)?;
        self.record(method, cseq);
        Ok(())
    }

    /// Last CSeq of a request other than ACK/CANCEL, if the side sent one.
    pub fn last(&self) -> Option<u32> {
        self.last
    }

    /// CSeq of the side's last INVITE.
    pub fn last_invite(&self) -> Option<u32> {
        self.last_invite
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Method {
        Method::parse(s).unwrap()
    }

    #[test]
    fn caller_order_after_the_initial_invite() {
        // (method, cseq, expected) applied in order to a caller that sent INVITE 10.
        let table: &[(&str, u32, Result<(), CseqFault>)] = &[
            ("ACK", 10, Ok(())),
            ("ACK", 11, Err(CseqFault::NoSuchRequest { got: 11 })),
            ("INFO", 11, Ok(())),
            ("INFO", 11, Ok(())), // retransmission
            ("INFO", 9, Err(CseqFault::OutOfOrder { last: 11, got: 9 })),
            ("INVITE", 12, Ok(())),
            ("ACK", 10, Err(CseqFault::NoSuchRequest { got: 10 })),
            ("ACK", 12, Ok(())),
            ("CANCEL", 12, Ok(())),
            ("OPTIONS", 20, Ok(())),
            ("CANCEL", 20, Ok(())), // CANCEL of the last request
            ("CANCEL", 15, Err(CseqFault::NoSuchRequest { got: 15 })),
            ("BYE", 21, Ok(())),
        ];
        let mut t = CseqTracker::after_invite(10);
        for (i, (method, cseq, want)) in table.iter().enumerate() {
            assert_eq!(
                t.accept(&m(method), *cseq),
                *want,
                "step {i}: {method} {cseq}"
            );
        }
        assert_eq!(t.last(), Some(21));
        assert_eq!(t.last_invite(), Some(12));
    }

    #[test]
    fn a_side_that_sent_nothing_accepts_any_first_number() {
        let table: &[(&str, u32, Result<(), CseqFault>)] = &[
            ("ACK", 1, Err(CseqFault::NoSuchRequest { got: 1 })),
            ("BYE", 4711, Ok(())),
            (
                "BYE",
                4710,
                Err(CseqFault::OutOfOrder {
                    last: 4711,
                    got: 4710,
                }),
            ),
        ];
        let mut t = CseqTracker::default();
        for (method, cseq, want) in table {
            assert_eq!(t.accept(&m(method), *cseq), *want, "{method} {cseq}");
        }
    }

    #[test]
    fn rejected_requests_change_nothing() {
        let mut t = CseqTracker::after_invite(5);
        assert!(t.accept(&m("INVITE"), 4).is_err());
        assert_eq!(t, CseqTracker::after_invite(5));
    }
}
