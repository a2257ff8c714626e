//! Conversions between the domain types of `dialogd-dialog` and the `dialogd.v1` messages, both
//! ways. Domain → proto never fails; proto → domain returns `None` (enums) or
//! [`Error::BadReply`] (whole messages) for values the domain cannot hold. Argument checks with
//! user-facing messages live in `validate.rs`, not here.

use dialogd_dialog::{DialogId, DialogSnapshot, DialogState, EndCause, LegView, ProfileKey, Stats};

use crate::dialogs::backend::{DialogFilter, EndSide};
use crate::error::Error;
use crate::pb;

/// The proto enum value of a dialog state (the OpenSIPS number).
pub fn state_to_proto(state: DialogState) -> pb::DialogState {
    match state {
        DialogState::Unconfirmed => pb::DialogState::Unconfirmed,
        DialogState::Early => pb::DialogState::Early,
        DialogState::ConfirmedNoAck => pb::DialogState::ConfirmedNa,
        DialogState::Confirmed => pb::DialogState::Confirmed,
        DialogState::Deleted => pb::DialogState::Deleted,
    }
}

/// The dialog state of a proto enum number; `None` for 0 (unspecified) and unknown numbers.
pub fn state_from_proto(value: i32) -> Option<DialogState> {
    match pb::DialogState::try_from(value).ok()? {
        pb::DialogState::Unspecified => None,
        pb::DialogState::Unconfirmed => Some(DialogState::Unconfirmed),
        pb::DialogState::Early => Some(DialogState::Early),
        pb::DialogState::ConfirmedNa => Some(DialogState::ConfirmedNoAck),
        pb::DialogState::Confirmed => Some(DialogState::Confirmed),
        pb::DialogState::Deleted => Some(DialogState::Deleted),
    }
}

/// The proto enum value and SIP code of an end cause (`Unspecified`, 0 while the dialog lives).
pub fn end_cause_to_proto(cause: Option<EndCause>) -> (pb::EndCause, u32) {
    match cause {
        None => (pb::EndCause::Unspecified, 0),
        Some(EndCause::ByeCaller) => (pb::EndCause::ByeCaller, 0),
        Some(EndCause::ByeCallee) => (pb::EndCause::ByeCallee, 0),
        Some(EndCause::Timeout) => (pb::EndCause::Timeout, 0),
        Some(EndCause::Api) => (pb::EndCause::Api, 0),
        Some(EndCause::Keepalive) => (pb::EndCause::Keepalive, 0),
        Some(EndCause::TakeoverLost) => (pb::EndCause::TakeoverLost, 0),
        Some(EndCause::Transfer) => (pb::EndCause::Transfer, 0),
        Some(EndCause::Cancelled) => (pb::EndCause::Cancelled, 0),
        Some(EndCause::Failed(code)) => (pb::EndCause::Failed, u32::from(code)),
    }
}

/// The end cause of a proto enum number and SIP code: `Ok(None)` while the dialog lives,
/// [`Error::BadReply`] for an unknown number or a code above 65535.
pub fn end_cause_from_proto(value: i32, code: u32) -> Result<Option<EndCause>, Error> {
    let bad = || Error::BadReply {
        field: "end cause",
        value: format!("{value}/{code}"),
    };
    let cause = match pb::EndCause::try_from(value).map_err(|_| bad())? {
        pb::EndCause::Unspecified => return Ok(None),
        pb::EndCause::ByeCaller => EndCause::ByeCaller,
        pb::EndCause::ByeCallee => EndCause::ByeCallee,
        pb::EndCause::Timeout => EndCause::Timeout,
        pb::EndCause::Api => EndCause::Api,
        pb::EndCause::Keepalive => EndCause::Keepalive,
        pb::EndCause::TakeoverLost => EndCause::TakeoverLost,
        pb::EndCause::Transfer => EndCause::Transfer,
        pb::EndCause::Cancelled => EndCause::Cancelled,
        pb::EndCause::Failed => EndCause::Failed(u16::try_from(code).map_err(|_| bad())?),
    };
    Ok(Some(cause))
}

/// The proto enum value of an end side.
pub fn end_side_to_proto(side: EndSide) -> pb::EndSide {
    match side {
        EndSide::Both => pb::EndSide::Both,
        EndSide::Caller => pb::EndSide::Caller,
        EndSide::Callee => pb::EndSide::Callee,
    }
}

/// The end side of a proto enum number (0 means both); `None` for unknown numbers.
pub fn end_side_from_proto(value: i32) -> Option<EndSide> {
    match pb::EndSide::try_from(value).ok()? {
        pb::EndSide::Unspecified | pb::EndSide::Both => Some(EndSide::Both),
        pb::EndSide::Caller => Some(EndSide::Caller),
        pb::EndSide::Callee => Some(EndSide::Callee),
    }
}

impl From<&LegView> for pb::Leg {
    fn from(leg: &LegView) -> pb::Leg {
        pb::Leg {
            uri: leg.uri.clone(),
            tag: leg.tag.clone(),
            contact: leg.contact.clone(),
            cseq: leg.cseq,
            route_set: leg.route_set.clone(),
            source: leg.source.clone(),
        }
    }
}

impl From<pb::Leg> for LegView {
    fn from(leg: pb::Leg) -> LegView {
        LegView {
            uri: leg.uri,
            tag: leg.tag,
            contact: leg.contact,
            cseq: leg.cseq,
            route_set: leg.route_set,
            source: leg.source,
        }
    }
}

impl From<&ProfileKey> for pb::ProfileKey {
    fn from(key: &ProfileKey) -> pb::ProfileKey {
        pb::ProfileKey {
            name: key.name.clone(),
            value: key.value.clone(),
        }
    }
}

impl From<pb::ProfileKey> for ProfileKey {
    fn from(key: pb::ProfileKey) -> ProfileKey {
        ProfileKey {
            name: key.name,
            value: key.value,
        }
    }
}

impl From<&DialogSnapshot> for pb::Dialog {
    fn from(d: &DialogSnapshot) -> pb::Dialog {
        let (end_cause, end_code) = end_cause_to_proto(d.end_cause);
        pb::Dialog {
            id: d.did.to_string(),
            call_id: d.call_id.clone(),
            state: state_to_proto(d.state) as i32,
            state_name: d.state.as_str().to_owned(),
            caller: Some(pb::Leg::from(&d.caller)),
            callee: Some(pb::Leg::from(&d.callee)),
            request_uri: d.request_uri.clone(),
            start_unix_ms: d.start_unix_ms,
            answer_unix_ms: d.answer_unix_ms,
            timeout_secs: d.timeout_secs,
            timeout_left_secs: d.timeout_left_secs,
            bye_on_timeout: d.bye_on_timeout,
            timeout_noreset: d.timeout_noreset,
            flags: d.flags,
            vars: d.vars.clone(),
            profiles: d.profiles.iter().map(pb::ProfileKey::from).collect(),
            owner_node: d.owner_node,
            end_cause: end_cause as i32,
            end_code,
            end_cause_name: d.end_cause.map(|c| c.to_string()).unwrap_or_default(),
            triggers: d.triggers.clone(),
        }
    }
}

impl TryFrom<pb::Dialog> for DialogSnapshot {
    type Error = Error;

    fn try_from(d: pb::Dialog) -> Result<DialogSnapshot, Error> {
        let did = parse_reply_id("dialog id", &d.id)?;
        let state = state_from_proto(d.state).ok_or_else(|| Error::BadReply {
            field: "dialog state",
            value: d.state.to_string(),
        })?;
        let end_cause = end_cause_from_proto(d.end_cause, d.end_code)?;
        Ok(DialogSnapshot {
            did,
            call_id: d.call_id,
            state,
            caller: d.caller.map(LegView::from).unwrap_or_default(),
            callee: d.callee.map(LegView::from).unwrap_or_default(),
            request_uri: d.request_uri,
            start_unix_ms: d.start_unix_ms,
            answer_unix_ms: d.answer_unix_ms,
            timeout_secs: d.timeout_secs,
            timeout_left_secs: d.timeout_left_secs,
            bye_on_timeout: d.bye_on_timeout,
            timeout_noreset: d.timeout_noreset,
            flags: d.flags,
            vars: d.vars,
            profiles: d.profiles.into_iter().map(ProfileKey::from).collect(),
            owner_node: d.owner_node,
            end_cause,
            triggers: d.triggers,
        })
    }
}

/// Parses a dialog id found in a server reply.
pub fn parse_reply_id(field: &'static str, hex: &str) -> Result<DialogId, Error> {
    hex.parse().map_err(|_| Error::BadReply {
        field,
        value: hex.to_owned(),
    })
}

/// The `Stats` reply of a node.
pub fn stats_to_proto(node_id: u64, s: &Stats, cluster: Option<&Stats>) -> pb::StatsResponse {
    pb::StatsResponse {
        node_id,
        active: s.active,
        early: s.early,
        processed: s.processed,
        expired: s.expired,
        failed: s.failed,
        cluster: cluster.map(|c| pb::ClusterStats {
            active: c.active,
            early: c.early,
            processed: c.processed,
            expired: c.expired,
            failed: c.failed,
        }),
    }
}

/// The cluster-wide counters of a `Stats` reply, if it has them.
pub fn cluster_stats_from_proto(r: &pb::StatsResponse) -> Option<Stats> {
    r.cluster.as_ref().map(|c| Stats {
        active: c.active,
        early: c.early,
        processed: c.processed,
        expired: c.expired,
        failed: c.failed,
    })
}

/// The node id and counters of a `Stats` reply.
pub fn stats_from_proto(r: &pb::StatsResponse) -> (u64, Stats) {
    let stats = Stats {
        active: r.active,
        early: r.early,
        processed: r.processed,
        expired: r.expired,
        failed: r.failed,
    };
    (r.node_id, stats)
}

/// The `ListDialogs` request for a filter: `filter.after` becomes the page token and
/// `filter.limit` the page size (0, the server's default, when absent or too large for u32).
pub fn list_request(filter: &DialogFilter) -> pb::ListDialogsRequest {
    let (profile, profile_value) = match &filter.profile {
        Some(key) => (Some(key.name.clone()), key.value.clone()),
        None => (None, None),
    };
    pb::ListDialogsRequest {
        call_id: filter.call_id.clone(),
        from_tag: filter.from_tag.clone(),
        state: filter
            .state
            .map_or(pb::DialogState::Unspecified, state_to_proto) as i32,
        profile,
        profile_value,
        owner_node: filter.owner_node,
        page_size: filter
            .limit
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        page_token: filter.after.map(|id| id.to_string()).unwrap_or_default(),
    }
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
