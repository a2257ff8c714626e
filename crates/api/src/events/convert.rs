//! Conversions and argument checks of the `Events` service: [`EventKind`] ↔ `pb::EventKind`,
//! [`WatchedEvent`] ↔ `pb::DialogEvent` with its [`ControlEvent`] (transfer and hold events;
//! domain → proto never fails; proto → domain returns [`Error::BadReply`], also for a
//! control action or state this client does not know), and [`watch_request`], which turns a
//! `WatchEventsRequest` into an [`EventFilter`] or an `InvalidArgument` naming the field.

use std::time::Duration;

use dialogd_dialog::{ControlEvent, DialogEvent, EndCause, EventKind, Leg, ProfileKey};

use crate::dialogs::backend::BackendError;
use crate::dialogs::convert::{parse_reply_id, state_from_proto, state_to_proto};
use crate::dialogs::validate;
use crate::error::Error;
use crate::events::backend::{EventFilter, WatchedEvent};
use crate::pb;

/// The proto enum value of an event kind.
pub fn kind_to_proto(kind: EventKind) -> pb::EventKind {
    match kind {
        EventKind::Created => pb::EventKind::Created,
        EventKind::Early => pb::EventKind::Early,
        EventKind::Confirmed => pb::EventKind::Confirmed,
        EventKind::Failed => pb::EventKind::Failed,
        EventKind::Deleted => pb::EventKind::Deleted,
        EventKind::TimeoutChanged => pb::EventKind::TimeoutChanged,
        EventKind::VarsChanged => pb::EventKind::VarsChanged,
        EventKind::Transfer => pb::EventKind::Transfer,
        EventKind::Hold => pb::EventKind::Hold,
    }
}

/// The event kind of a proto enum number; `None` for unspecified, lagged and unknown numbers.
pub fn kind_from_proto(value: i32) -> Option<EventKind> {
    match pb::EventKind::try_from(value).ok()? {
        pb::EventKind::Unspecified | pb::EventKind::Lagged => None,
        pb::EventKind::Created => Some(EventKind::Created),
        pb::EventKind::Early => Some(EventKind::Early),
        pb::EventKind::Confirmed => Some(EventKind::Confirmed),
        pb::EventKind::Failed => Some(EventKind::Failed),
        pb::EventKind::Deleted => Some(EventKind::Deleted),
        pb::EventKind::TimeoutChanged => Some(EventKind::TimeoutChanged),
        pb::EventKind::VarsChanged => Some(EventKind::VarsChanged),
        pb::EventKind::Transfer => Some(EventKind::Transfer),
        pb::EventKind::Hold => Some(EventKind::Hold),
    }
}

/// The filter a `WatchEventsRequest` asks for.
pub fn watch_request(req: &pb::WatchEventsRequest) -> Result<EventFilter, BackendError> {
    let mut kinds = Vec::new();
    for &value in &req.kinds {
        if value == pb::EventKind::Lagged as i32 {
            continue; // Lagged events are always sent.
        }
        let kind = kind_from_proto(value).ok_or_else(|| {
            validate::invalid("kinds", format_args!("{value} is not an event kind"))
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if req.profile_value.is_some() && req.profile.is_none() {
        return Err(validate::invalid("profile_value", "needs a profile"));
    }
    let profile = match &req.profile {
        Some(name) => Some(ProfileKey {
            name: validate::profile_name("profile", name)?,
            value: validate::profile_value("profile_value", req.profile_value.as_deref())?,
        }),
        None => None,
    };
    Ok(EventFilter {
        kinds,
        call_id: validate::optional_text("call_id", req.call_id.as_deref())?,
        profile,
        did: req
            .dialog_id
            .as_deref()
            .map(|id| validate::dialog_id("dialog_id", id))
            .transpose()?,
    })
}

impl From<&WatchedEvent> for pb::DialogEvent {
    fn from(event: &WatchedEvent) -> pb::DialogEvent {
        match event {
            WatchedEvent::Dialog(e) => pb::DialogEvent {
                event_id: e.id,
                unix_ms: e.unix_ms,
                node_id: e.node_id,
                dialog_id: e.did.to_string(),
                call_id: e.call_id.clone(),
                kind: kind_to_proto(e.kind) as i32,
                failed_code: e
                    .failed_code
                    .or_else(|| e.end_cause.and_then(DialogEvent::failed_code_of))
                    .map_or(0, u32::from),
                end_cause: e
                    .end_cause
                    .map(|c| c.as_str().to_owned())
                    .unwrap_or_default(),
                state: state_to_proto(e.state) as i32,
                profiles: e.profiles.iter().map(pb::ProfileKey::from).collect(),
                timeout_secs: u32::try_from(e.timeout.as_secs()).unwrap_or(u32::MAX),
                dropped: 0,
                control: e.control.as_ref().map(pb::ControlEvent::from),
            },
            WatchedEvent::Lagged {
                dropped,
                unix_ms,
                node_id,
            } => pb::DialogEvent {
                unix_ms: *unix_ms,
                node_id: *node_id,
                kind: pb::EventKind::Lagged as i32,
                dropped: *dropped,
                ..pb::DialogEvent::default()
            },
        }
    }
}

/// The end cause named `name` (`EndCause::as_str`); a failure takes its code from the event.
fn end_cause_from_name(name: &str, failed_code: u32) -> Option<EndCause> {
    let code = u16::try_from(failed_code).ok()?;
    [
        EndCause::ByeCaller,
        EndCause::ByeCallee,
        EndCause::Timeout,
        EndCause::Api,
        EndCause::Keepalive,
        EndCause::TakeoverLost,
        EndCause::Transfer,
        EndCause::Cancelled,
        EndCause::Failed(code),
    ]
    .into_iter()
    .find(|c| c.as_str() == name)
}

impl TryFrom<pb::DialogEvent> for WatchedEvent {
    type Error = Error;

    fn try_from(e: pb::DialogEvent) -> Result<WatchedEvent, Error> {
        let bad = |field: &'static str, value: String| Error::BadReply { field, value };
        if e.kind == pb::EventKind::Lagged as i32 {
            return Ok(WatchedEvent::Lagged {
                dropped: e.dropped,
                unix_ms: e.unix_ms,
                node_id: e.node_id,
            });
        }
        let kind = kind_from_proto(e.kind).ok_or_else(|| bad("event kind", e.kind.to_string()))?;
        let state = state_from_proto(e.state).ok_or_else(|| bad("state", e.state.to_string()))?;
        let end_cause = match e.end_cause.as_str() {
            "" => None,
            name => Some(
                end_cause_from_name(name, e.failed_code)
                    .ok_or_else(|| bad("end cause", name.to_owned()))?,
            ),
        };
        let failed_code = match kind {
            EventKind::Failed => Some(
                u16::try_from(e.failed_code)
                    .map_err(|_| bad("failed code", e.failed_code.to_string()))?,
            ),
            _ => None,
        };
        Ok(WatchedEvent::Dialog(DialogEvent {
            id: e.event_id,
            unix_ms: e.unix_ms,
            node_id: e.node_id,
            did: parse_reply_id("dialog id", &e.dialog_id)?,
            call_id: e.call_id,
            kind,
            failed_code,
            end_cause,
            state,
            profiles: e.profiles.into_iter().map(ProfileKey::from).collect(),
            timeout: Duration::from_secs(u64::from(e.timeout_secs)),
            control: e.control.map(ControlEvent::try_from).transpose()?,
        }))
    }
}

/// Control actions and states a client knows (`ControlEvent` holds `&'static str`).
const CONTROL_ACTIONS: [&str; 3] = ["transfer", "hold", "unhold"];
const CONTROL_STATES: [&str; 4] = ["start", "notify", "ok", "fail"];

/// `value` as the one of `names` it equals, or [`Error::BadReply`] naming `field`.
fn known(field: &'static str, names: &[&'static str], value: &str) -> Result<&'static str, Error> {
    names
        .iter()
        .copied()
        .find(|n| *n == value)
        .ok_or_else(|| Error::BadReply {
            field,
            value: value.to_owned(),
        })
}

impl From<&ControlEvent> for pb::ControlEvent {
    fn from(c: &ControlEvent) -> pb::ControlEvent {
        pb::ControlEvent {
            leg: c.leg.as_str().to_owned(),
            action: c.action.to_owned(),
            state: c.state.to_owned(),
            status: c.status.clone(),
            destination: c.destination.clone(),
            other_call_id: c.other_call_id.clone(),
        }
    }
}

impl TryFrom<pb::ControlEvent> for ControlEvent {
    type Error = Error;

    fn try_from(c: pb::ControlEvent) -> Result<ControlEvent, Error> {
        let leg = match c.leg.as_str() {
            "caller" => Leg::Caller,
            "callee" => Leg::Callee,
            other => {
                return Err(Error::BadReply {
                    field: "control leg",
                    value: other.to_owned(),
                });
            }
        };
        Ok(ControlEvent {
            leg,
            action: known("control action", &CONTROL_ACTIONS, &c.action)?,
            state: known("control state", &CONTROL_STATES, &c.state)?,
            status: c.status,
            destination: c.destination,
            other_call_id: c.other_call_id,
        })
    }
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
