//! The API view of a dialog from its replicated record ([`snapshot_of`]): what any node can
//! show about a dialog another node drives, without asking that node (listing, and a fallback
//! when the owner cannot be reached). The owner's own view is fresher (each CSeq, the exact
//! deadline); the record is as of its last replication (admitted, confirmed, commands).

use dialogd_dialog::{DialogRecord, DialogSnapshot, LegRecord, LegView};

fn leg(l: &LegRecord) -> LegView {
    LegView {
        uri: l.uri.clone(),
        tag: l.tag.clone(),
        contact: l.contact.clone(),
        cseq: l.cseq,
        route_set: l.route_set.clone(),
        source: l.source.clone(),
    }
}

/// The dialog as its record tells it, `now_unix_ms` being the time of the view.
pub fn snapshot_of(r: &DialogRecord, now_unix_ms: u64) -> DialogSnapshot {
    let mut callee = leg(&r.callee);
    if callee.uri.is_empty() {
        // Not answered yet: the INVITE's To URI, as the owner's own view shows it.
        callee.uri = dialogd_sip::values::NameAddr::parse(&r.invite_to)
            .map(|n| n.uri)
            .unwrap_or_default();
    }
    DialogSnapshot {
        did: r.did,
        call_id: r.call_id.clone(),
        state: r.state,
        caller: leg(&r.caller),
        callee,
        request_uri: r.request_uri.clone(),
        start_unix_ms: r.start_unix_ms,
        answer_unix_ms: r.answer_unix_ms,
        timeout_secs: r.timeout_secs,
        timeout_left_secs: r
            .timeout_at_unix_ms
            .map(|at| at.saturating_sub(now_unix_ms) / 1000),
        bye_on_timeout: r.bye_on_timeout,
        timeout_noreset: r.timeout_noreset,
        flags: r.flags,
        vars: r.vars.clone(),
        profiles: r.profiles.clone(),
        owner_node: r.owner,
        end_cause: None,
        triggers: r.triggers.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialogd_dialog::{DialogId, DialogState};

    #[test]
    fn record_view_keeps_what_the_record_knows() {
        let r = DialogRecord {
            did: DialogId(0x2a),
            call_id: "c1".into(),
            state: DialogState::Confirmed,
            owner: 3,
            caller: LegRecord {
                uri: "sip:alice@a".into(),
                tag: Some("ft".into()),
                cseq: 7,
                ..Default::default()
            },
            callee: LegRecord::default(),
            request_uri: "sip:bob@b".into(),
            invite_to: "<sip:bob@b>".into(),
            invite_cseq: 1,
            start_unix_ms: 1_000,
            answer_unix_ms: Some(2_000),
            timeout_secs: 30,
            timeout_at_unix_ms: Some(32_000),
            timeout_noreset: false,
            bye_on_timeout: true,
            bye_extra_headers: vec![],
            flags: 5,
            vars: [("account".to_owned(), "alice".to_owned())].into(),
            profiles: vec![],
            triggers: vec!["prepaid".into()],
            keepalive: None,
        };
        let s = snapshot_of(&r, 12_500);
        assert_eq!(s.owner_node, 3);
        assert_eq!(s.timeout_left_secs, Some(19));
        assert_eq!(s.callee.uri, "sip:bob@b");
        assert_eq!(s.caller.cseq, 7);
        assert_eq!(s.vars.get("account").map(String::as_str), Some("alice"));
        assert_eq!(s.triggers, vec!["prepaid".to_owned()]);
        assert_eq!(snapshot_of(&r, 40_000).timeout_left_secs, Some(0));
    }
}
