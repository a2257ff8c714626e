//! Conversions and checks of `dialogd.v1.Triggers` messages: trigger names, the `Subscribe`
//! that opens a stream, `TimeoutDecision`s both ways, trigger kinds, and [`HubTrigger`] to
//! `pb::Trigger` (and back, as the client's [`IncomingTrigger`]). Argument errors are
//! [`BackendError::InvalidArgument`], which `status.rs` turns into `INVALID_ARGUMENT`. Must not
//! hold anything but conversion and validation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dialogd_dialog::{DialogSnapshot, TimeoutDecision, TriggerKind};

use crate::dialogs::backend::BackendError;
use crate::error::Error;
use crate::pb;
use crate::pb::controller_message::Msg;
use crate::pb::timeout_decision::Action;
use crate::triggers::hub::HubTrigger;

/// Longest trigger name.
pub const MAX_NAME_LEN: usize = 64;

/// Largest `extend_secs` (the proto's bound, `i32::MAX`).
pub const MAX_EXTEND_SECS: u32 = 2_147_483_647;

/// One trigger as a controller receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingTrigger {
    /// Echo it in the decision.
    pub trigger_id: u64,
    pub kind: TriggerKind,
    /// The subscribed name that matched.
    pub name: String,
    /// The dialog as its owner saw it at the trigger.
    pub dialog: DialogSnapshot,
    /// `OnTimeout` only: decide before this time (Unix milliseconds).
    pub deadline_unix_ms: Option<u64>,
}

/// Checks one trigger name: 1..=64 characters of `[A-Za-z0-9_.-]`.
pub fn check_name(name: &str) -> Result<(), BackendError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(BackendError::InvalidArgument(format!(
            "trigger name {name:?} must be 1 to {MAX_NAME_LEN} characters long"
        )));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(BackendError::InvalidArgument(format!(
            "trigger name {name:?} holds {bad:?}; only A-Z a-z 0-9 _ . - are allowed"
        )));
    }
    Ok(())
}

/// The names of the first message of a `Control` stream, which must be a `Subscribe` with at
/// least one valid name; duplicates are dropped, order kept.
pub fn subscribe_names(first: Option<pb::ControllerMessage>) -> Result<Vec<String>, BackendError> {
    let names = match first.and_then(|m| m.msg) {
        Some(Msg::Subscribe(subscribe)) => subscribe.names,
        Some(Msg::Decision(_)) => {
            return Err(BackendError::InvalidArgument(
                "the first message must be subscribe, not decision".into(),
            ));
        }
        None => {
            return Err(BackendError::InvalidArgument(
                "the first message must be subscribe with at least one trigger name".into(),
            ));
        }
    };
    if names.is_empty() {
        return Err(BackendError::InvalidArgument(
            "subscribe names no trigger; give at least one".into(),
        ));
    }
    let mut unique: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        check_name(&name)?;
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    Ok(unique)
}

/// The trigger id and decision of a `TimeoutDecision` sent by a controller.
pub fn decision_from_proto(
    d: &pb::TimeoutDecision,
) -> Result<(u64, TimeoutDecision), BackendError> {
    let id = d.trigger_id;
    let decision = match d.action {
        Some(Action::ExtendSecs(0)) => {
            return Err(BackendError::InvalidArgument(format!(
                "decision for trigger {id}: extend_secs must be 1 to {MAX_EXTEND_SECS}, not 0"
            )));
        }
        Some(Action::ExtendSecs(secs)) if secs > MAX_EXTEND_SECS => {
            return Err(BackendError::InvalidArgument(format!(
                "decision for trigger {id}: extend_secs {secs} is above {MAX_EXTEND_SECS}"
            )));
        }
        Some(Action::ExtendSecs(secs)) => TimeoutDecision::Extend(Duration::from_secs(secs.into())),
        Some(Action::Expire(true)) => TimeoutDecision::Expire,
        Some(Action::Expire(false)) => {
            return Err(BackendError::InvalidArgument(format!(
                "decision for trigger {id}: expire must be true (or send extend_secs)"
            )));
        }
        None => {
            return Err(BackendError::InvalidArgument(format!(
                "decision for trigger {id} has no action; set extend_secs or expire"
            )));
        }
    };
    Ok((id, decision))
}

/// `decision` on `trigger_id` as the proto carries it (in a controller's message, and in a
/// node's `OfferTriggerResponse`). An extension is sent in whole seconds, at least 1 and at
/// most [`MAX_EXTEND_SECS`].
pub fn timeout_decision_to_proto(
    trigger_id: u64,
    decision: TimeoutDecision,
) -> pb::TimeoutDecision {
    let action = match decision {
        TimeoutDecision::Extend(d) => Action::ExtendSecs(
            u32::try_from(d.as_secs())
                .unwrap_or(MAX_EXTEND_SECS)
                .clamp(1, MAX_EXTEND_SECS),
        ),
        TimeoutDecision::Expire => Action::Expire(true),
    };
    pb::TimeoutDecision {
        trigger_id,
        action: Some(action),
    }
}

/// The message a controller sends for `decision` on `trigger_id`.
pub fn decision_to_proto(trigger_id: u64, decision: TimeoutDecision) -> pb::ControllerMessage {
    pb::ControllerMessage {
        msg: Some(Msg::Decision(timeout_decision_to_proto(
            trigger_id, decision,
        ))),
    }
}

/// The opening `Subscribe` message.
pub fn subscribe_to_proto(names: &[&str]) -> pb::ControllerMessage {
    pb::ControllerMessage {
        msg: Some(Msg::Subscribe(pb::Subscribe {
            names: names.iter().map(|n| (*n).to_owned()).collect(),
        })),
    }
}

/// The protobuf trigger kind.
pub fn kind_to_proto(kind: TriggerKind) -> pb::TriggerKind {
    match kind {
        TriggerKind::OnAnswer => pb::TriggerKind::OnAnswer,
        TriggerKind::OnTimeout => pb::TriggerKind::OnTimeout,
        TriggerKind::OnHangup => pb::TriggerKind::OnHangup,
    }
}

/// The domain trigger kind of a protobuf value; `None` for unspecified or unknown values.
pub fn kind_from_proto(value: i32) -> Option<TriggerKind> {
    match pb::TriggerKind::try_from(value).ok()? {
        pb::TriggerKind::OnAnswer => Some(TriggerKind::OnAnswer),
        pb::TriggerKind::OnTimeout => Some(TriggerKind::OnTimeout),
        pb::TriggerKind::OnHangup => Some(TriggerKind::OnHangup),
        pb::TriggerKind::Unspecified => None,
    }
}

/// Unix milliseconds of `t` (0 before the epoch).
pub fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl From<&HubTrigger> for pb::Trigger {
    fn from(t: &HubTrigger) -> pb::Trigger {
        pb::Trigger {
            trigger_id: t.trigger_id,
            kind: kind_to_proto(t.kind) as i32,
            name: t.name.clone(),
            dialog: Some(pb::Dialog::from(&t.dialog)),
            deadline_unix_ms: t.deadline.map_or(0, unix_ms),
        }
    }
}

impl TryFrom<pb::Trigger> for IncomingTrigger {
    type Error = Error;

    fn try_from(t: pb::Trigger) -> Result<IncomingTrigger, Error> {
        let kind = kind_from_proto(t.kind).ok_or_else(|| Error::BadReply {
            field: "trigger kind",
            value: t.kind.to_string(),
        })?;
        let dialog = t.dialog.ok_or_else(|| Error::BadReply {
            field: "trigger dialog",
            value: "none".into(),
        })?;
        Ok(IncomingTrigger {
            trigger_id: t.trigger_id,
            kind,
            name: t.name,
            dialog: DialogSnapshot::try_from(dialog)?,
            deadline_unix_ms: (t.deadline_unix_ms != 0).then_some(t.deadline_unix_ms),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(action: Option<Action>) -> pb::TimeoutDecision {
        pb::TimeoutDecision {
            trigger_id: 7,
            action,
        }
    }

    #[test]
    fn names_are_1_to_64_safe_characters() {
        assert!(check_name("prepaid").is_ok());
        assert!(check_name("a.b-c_D9").is_ok());
        assert!(check_name(&"x".repeat(64)).is_ok());
        assert!(check_name("").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
        assert!(check_name("pre paid").is_err());
        assert!(check_name("é").is_err());
    }

    #[test]
    fn subscribe_must_come_first_with_names() {
        let sub = |names: &[&str]| Some(subscribe_to_proto(names));
        assert_eq!(
            subscribe_names(sub(&["a", "b", "a"])).ok(),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert!(subscribe_names(sub(&[])).is_err());
        assert!(subscribe_names(sub(&["ok", "no way"])).is_err());
        assert!(subscribe_names(None).is_err());
        assert!(subscribe_names(Some(decision_to_proto(1, TimeoutDecision::Expire))).is_err());
    }

    #[test]
    fn decisions_are_checked() {
        let ok = |a| decision_from_proto(&decision(Some(a))).ok();
        assert_eq!(
            ok(Action::ExtendSecs(5)),
            Some((7, TimeoutDecision::Extend(Duration::from_secs(5))))
        );
        assert_eq!(ok(Action::Expire(true)), Some((7, TimeoutDecision::Expire)));
        assert_eq!(ok(Action::ExtendSecs(0)), None);
        assert_eq!(ok(Action::ExtendSecs(MAX_EXTEND_SECS + 1)), None);
        assert_eq!(ok(Action::Expire(false)), None);
        assert!(decision_from_proto(&decision(None)).is_err());
    }

    #[test]
    fn decisions_round_trip() {
        for d in [
            TimeoutDecision::Expire,
            TimeoutDecision::Extend(Duration::from_secs(30)),
        ] {
            let Some(Msg::Decision(pb)) = decision_to_proto(3, d).msg else {
                panic!("not a decision");
            };
            assert_eq!(decision_from_proto(&pb).ok(), Some((3, d)));
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in [
            TriggerKind::OnAnswer,
            TriggerKind::OnTimeout,
            TriggerKind::OnHangup,
        ] {
            assert_eq!(kind_from_proto(kind_to_proto(k) as i32), Some(k));
        }
        assert_eq!(kind_from_proto(0), None);
        assert_eq!(kind_from_proto(99), None);
    }
}
