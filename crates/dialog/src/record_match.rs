//! Whether an in-dialog request belongs to a replicated dialog, judged on the record alone:
//! what a node that does not drive the dialog (it lives on another node, or ended here) can
//! check before acting on a request that names it by `did`.
//!
//! A valid `did` only proves that the proxy once put it in a Record-Route; every party of
//! every call routed through the cluster learns its own. So the request must also carry the
//! dialog's identifiers (RFC 3261 §12.2.2): its Call-ID, and the two tags in the direction
//! of the leg that sends it, with a CSeq no older than the one the record holds for that leg
//! (§12.2.2: a lower CSeq is out of order). A record not yet confirmed has no callee tag:
//! no request in that dialog can be matched, so none is accepted.
//!
//! The record's CSeqs lag the owner's (they are written at transitions, not on each
//! request): an endpoint's next request is always at or above them, a replay of an older
//! one is below.

use crate::record::DialogRecord;
use crate::state::Leg;

/// What in a request does not match the dialog's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecordMismatch {
    #[error("Call-ID differs from the dialog's")]
    CallId,
    #[error("the dialog has no callee tag yet (not confirmed)")]
    Unconfirmed,
    #[error("From and To tags are not the dialog's")]
    Tags,
    #[error("CSeq is below the one recorded for that side")]
    OldCseq,
}

/// The identifiers of an in-dialog request, as received.
#[derive(Debug, Clone, Copy)]
pub struct RequestIds<'a> {
    pub call_id: &'a str,
    pub from_tag: &'a str,
    pub to_tag: &'a str,
    pub cseq: u32,
}

impl DialogRecord {
    /// The leg that sent `req`, if `req` is a request of this dialog.
    pub fn match_request(&self, req: RequestIds<'_>) -> Result<Leg, RecordMismatch> {
        if req.call_id != self.call_id {
            return Err(RecordMismatch::CallId);
        }
        let (Some(caller), Some(callee)) = (&self.caller.tag, &self.callee.tag) else {
            return Err(RecordMismatch::Unconfirmed);
        };
        let (leg, recorded) = if req.from_tag == caller && req.to_tag == callee {
            (Leg::Caller, self.caller.cseq)
        } else if req.from_tag == callee && req.to_tag == caller {
            (Leg::Callee, self.callee.cseq)
        } else {
            return Err(RecordMismatch::Tags);
        };
        if req.cseq < recorded {
            return Err(RecordMismatch::OldCseq);
        }
        Ok(leg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::DialogId;
    use crate::record::LegRecord;
    use crate::state::DialogState;

    fn record(callee_tag: Option<&str>) -> DialogRecord {
        DialogRecord {
            did: DialogId(7),
            call_id: "c1@host".into(),
            state: DialogState::Confirmed,
            owner: 1,
            caller: LegRecord {
                tag: Some("a".into()),
                cseq: 5,
                ..LegRecord::default()
            },
            callee: LegRecord {
                tag: callee_tag.map(str::to_owned),
                cseq: 0,
                ..LegRecord::default()
            },
            request_uri: "sip:b@h".into(),
            invite_to: "<sip:b@h>".into(),
            invite_cseq: 1,
            start_unix_ms: 0,
            answer_unix_ms: None,
            timeout_secs: 60,
            timeout_at_unix_ms: None,
            timeout_noreset: false,
            bye_on_timeout: true,
            bye_extra_headers: Vec::new(),
            flags: 0,
            vars: Default::default(),
            profiles: Vec::new(),
            triggers: Vec::new(),
            keepalive: None,
        }
    }

    fn ids<'a>(call_id: &'a str, from_tag: &'a str, to_tag: &'a str, cseq: u32) -> RequestIds<'a> {
        RequestIds {
            call_id,
            from_tag,
            to_tag,
            cseq,
        }
    }

    #[test]
    fn each_side_matches_in_its_direction() {
        let r = record(Some("b"));
        assert_eq!(
            r.match_request(ids("c1@host", "a", "b", 6)),
            Ok(Leg::Caller)
        );
        assert_eq!(
            r.match_request(ids("c1@host", "b", "a", 1)),
            Ok(Leg::Callee)
        );
        // The recorded CSeq itself passes (a retransmission, or the ACK of the last INVITE).
        assert_eq!(
            r.match_request(ids("c1@host", "a", "b", 5)),
            Ok(Leg::Caller)
        );
    }

    #[test]
    fn a_known_did_with_made_up_identifiers_is_refused() {
        let r = record(Some("b"));
        assert_eq!(
            r.match_request(ids("forged", "a", "b", 9)),
            Err(RecordMismatch::CallId)
        );
        assert_eq!(
            r.match_request(ids("c1@host", "x", "y", 9)),
            Err(RecordMismatch::Tags)
        );
        // Both tags of the dialog, but one of them twice.
        assert_eq!(
            r.match_request(ids("c1@host", "a", "a", 9)),
            Err(RecordMismatch::Tags)
        );
        // Call-IDs compare exactly (RFC 3261 §20.8: case-sensitive).
        assert_eq!(
            r.match_request(ids("C1@host", "a", "b", 9)),
            Err(RecordMismatch::CallId)
        );
    }

    #[test]
    fn an_older_cseq_is_refused() {
        let r = record(Some("b"));
        assert_eq!(
            r.match_request(ids("c1@host", "a", "b", 4)),
            Err(RecordMismatch::OldCseq)
        );
    }

    #[test]
    fn nothing_matches_before_the_callee_tag_is_recorded() {
        let r = record(None);
        assert_eq!(
            r.match_request(ids("c1@host", "a", "b", 6)),
            Err(RecordMismatch::Unconfirmed)
        );
    }
}
