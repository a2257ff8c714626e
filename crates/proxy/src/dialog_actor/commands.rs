//! [`DialogCommand`]: the API's control of a live dialog (Kamailio/OpenSIPS `$dlg_var`,
//! `set_dlg_flag`/`reset_dlg_flag`, `set_dlg_profile`/`unset_dlg_profile`, the dialog's
//! trigger names, and the call control — keep-alive and REFER, whose handlers are
//! in [`crate::call_control`]), carried out inside its actor so it never races the call. Each command
//! answers with a [`ControlError`] on refusal and, when it changed something, replicates the
//! dialog's record whatever its state (an early dialog too; a deleted one is gone).
//!
//! ```text
//!  Proxy::set_var / add_profile / ... ──call──▶ DialogMsg::Control(DialogCommand)
//!                                                  │ add/remove profile: Admission first
//!                                                  │ (the limit holds cluster-wide)
//!                                                  ▼
//!                                              Dialog (bookkeeping) ─▶ Admission::update(record)
//! ```

use std::collections::BTreeMap;

use dialogd_dialog::{
    AdmitError, DialogState, EventKind, KeepaliveConfig, Leg, ProfileKey, ProfileMembership,
};
use ractor::RpcReplyPort;
use tokio::sync::oneshot;

use crate::call_control;
use crate::transaction::generated::Outcome;

use crate::dialog_actor::{DialogActorState, replicate};
use crate::policy::is_trigger_name;
use crate::proxy::ControlError;

/// The answer to a command.
pub type Reply<T> = RpcReplyPort<Result<T, ControlError>>;

/// A command on one live dialog (see the module doc).
pub enum DialogCommand {
    /// Set variable `name` to `value` (`vars_changed` event).
    SetVar {
        name: String,
        value: String,
        reply: Reply<()>,
    },
    /// Remove variable `name` (`VarNotSet` if it is not set; `vars_changed` event).
    UnsetVar { name: String, reply: Reply<()> },
    /// Every variable.
    Vars(Reply<BTreeMap<String, String>>),
    /// Set flag `index` (0..=31); the answer is all 32 flags.
    SetFlag { index: u32, reply: Reply<u32> },
    /// Clear flag `index` (0..=31); the answer is all 32 flags.
    ResetFlag { index: u32, reply: Reply<u32> },
    /// Count the dialog in one more profile, within `limit` cluster-wide; already in it: Ok.
    AddProfile {
        key: ProfileKey,
        limit: Option<u32>,
        reply: Reply<()>,
    },
    /// Stop counting the dialog in a profile (`NotInProfile` if it is not in it).
    RemoveProfile { key: ProfileKey, reply: Reply<()> },
    /// Replace the trigger names (each checked, kept once).
    SetTriggers {
        triggers: Vec<String>,
        reply: Reply<()>,
    },
    /// Set (`None`: clear) the keep-alive probing of the legs ([`crate::dialog_actor::keepalive`]).
    SetKeepalive {
        config: Option<KeepaliveConfig>,
        reply: Reply<()>,
    },
    /// Send a REFER to `leg` with this Refer-To value (`<uri>`) and extra header lines; the
    /// answer is the receiver of its outcome (the actor does not wait for it).
    Refer {
        leg: Leg,
        refer_to: String,
        extra_headers: Vec<String>,
        reply: Reply<oneshot::Receiver<Outcome>>,
    },
    /// Re-INVITE both legs to hold or resume ([`crate::call_control::hold`]); the answer is the receiver
    /// of each leg's outcome.
    Hold {
        action: crate::call_control::hold::HoldAction,
        reply: Reply<crate::call_control::hold::HoldStarted>,
    },
    /// Transfer a leg ([`crate::call_control::transfer`]); the answer is the Refer-To sent and the
    /// receiver of the REFER's outcome.
    Transfer {
        spec: crate::call_control::transfer::TransferSpec,
        reply: Reply<(String, oneshot::Receiver<Outcome>)>,
    },
    /// Link the new call with this Call-ID to this dialog's transfer.
    LinkTransfer { call_id: String, reply: Reply<()> },
}

/// Carries out `cmd` on the actor's dialog and answers it.
pub async fn handle(state: &mut DialogActorState, cmd: DialogCommand) {
    match cmd {
        DialogCommand::Hold { action, reply } => {
            let _ = reply.send(crate::call_control::hold::start(state, action));
        }
        DialogCommand::Transfer { spec, reply } => {
            let _ = reply.send(crate::call_control::transfer::start(state, spec));
        }
        DialogCommand::LinkTransfer { call_id, reply } => {
            let r = live(state).map(|()| crate::call_control::transfer::linked(state, call_id));
            let _ = reply.send(r);
        }
        DialogCommand::SetVar { name, value, reply } => {
            let r = set_var(state, name, value).await;
            let _ = reply.send(r);
        }
        DialogCommand::UnsetVar { name, reply } => {
            let r = unset_var(state, name).await;
            let _ = reply.send(r);
        }
        DialogCommand::Vars(reply) => {
            let r = live(state).map(|()| state.dialog.vars().clone());
            let _ = reply.send(r);
        }
        DialogCommand::SetFlag { index, reply } => {
            let r = flag(state, index, true).await;
            let _ = reply.send(r);
        }
        DialogCommand::ResetFlag { index, reply } => {
            let r = flag(state, index, false).await;
            let _ = reply.send(r);
        }
        DialogCommand::AddProfile { key, limit, reply } => {
            let r = add_profile(state, key, limit).await;
            let _ = reply.send(r);
        }
        DialogCommand::RemoveProfile { key, reply } => {
            let r = remove_profile(state, key).await;
            let _ = reply.send(r);
        }
        DialogCommand::SetTriggers { triggers, reply } => {
            let r = set_triggers(state, triggers).await;
            let _ = reply.send(r);
        }
        DialogCommand::SetKeepalive { config, reply } => {
            let r = call_control::set_keepalive(state, config).await;
            let _ = reply.send(r);
        }
        DialogCommand::Refer {
            leg,
            refer_to,
            extra_headers,
            reply,
        } => {
            let r = call_control::refer(state, leg, &refer_to, extra_headers);
            let _ = reply.send(r);
        }
    }
}

/// `NotFound` once the dialog is over (its actor is about to stop).
pub(crate) fn live(state: &DialogActorState) -> Result<(), ControlError> {
    if state.dialog.state() == DialogState::Deleted {
        return Err(ControlError::NotFound(state.dialog.did()));
    }
    Ok(())
}

async fn set_var(
    state: &mut DialogActorState,
    name: String,
    value: String,
) -> Result<(), ControlError> {
    live(state)?;
    state
        .dialog
        .set_var(name, value)
        .map_err(|e| ControlError::InvalidArgument(e.to_string()))?;
    vars_changed(state).await;
    Ok(())
}

async fn unset_var(state: &mut DialogActorState, name: String) -> Result<(), ControlError> {
    live(state)?;
    if state.dialog.unset_var(&name).is_none() {
        return Err(ControlError::VarNotSet(state.dialog.did(), name));
    }
    vars_changed(state).await;
    Ok(())
}

async fn vars_changed(state: &mut DialogActorState) {
    tracing::debug!("dialog variables changed");
    let events = &state.ctx.events;
    events.emit(&state.dialog, EventKind::VarsChanged, None);
    replicate(state).await;
}

async fn flag(state: &mut DialogActorState, index: u32, set: bool) -> Result<u32, ControlError> {
    live(state)?;
    let r = if set {
        state.dialog.set_flag(index)
    } else {
        state.dialog.reset_flag(index)
    };
    r.map_err(|e| ControlError::InvalidArgument(e.to_string()))?;
    replicate(state).await;
    Ok(state.dialog.flags())
}

async fn add_profile(
    state: &mut DialogActorState,
    key: ProfileKey,
    limit: Option<u32>,
) -> Result<(), ControlError> {
    live(state)?;
    let did = state.dialog.did();
    if state.dialog.profiles().contains(&key) {
        return Ok(());
    }
    let m = ProfileMembership {
        key: key.clone(),
        limit,
    };
    state
        .ctx
        .admission
        .add_profile(did, m)
        .await
        .map_err(|e| store_error(did, e))?;
    tracing::info!(profile = %key, "dialog added to profile");
    metrics::gauge!("dialogd_profile_size", "profile" => key.name.clone()).increment(1.0);
    state.dialog.add_profile(key);
    replicate(state).await;
    Ok(())
}

async fn remove_profile(state: &mut DialogActorState, key: ProfileKey) -> Result<(), ControlError> {
    live(state)?;
    let did = state.dialog.did();
    if !state.dialog.profiles().contains(&key) {
        return Err(ControlError::NotInProfile(did, key));
    }
    state
        .ctx
        .admission
        .remove_profile(did, key.clone())
        .await
        .map_err(|e| store_error(did, e))?;
    tracing::info!(profile = %key, "dialog removed from profile");
    metrics::gauge!("dialogd_profile_size", "profile" => key.name.clone()).decrement(1.0);
    state.dialog.remove_profile(&key);
    replicate(state).await;
    Ok(())
}

async fn set_triggers(
    state: &mut DialogActorState,
    triggers: Vec<String>,
) -> Result<(), ControlError> {
    live(state)?;
    let mut names: Vec<String> = Vec::with_capacity(triggers.len());
    for name in triggers {
        if !is_trigger_name(&name) {
            return Err(ControlError::InvalidArgument(format!(
                "trigger name {name:?} must be 1 to 64 characters of letters, digits, '_', '-', '.'"
            )));
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    tracing::info!(triggers = ?names, "dialog triggers set");
    state.dialog.set_triggers(names);
    replicate(state).await;
    Ok(())
}

/// A profile store refusal as the API reports it.
fn store_error(did: dialogd_dialog::DialogId, e: AdmitError) -> ControlError {
    match e {
        AdmitError::LimitReached { key, limit } => ControlError::ProfileFull { key, limit },
        AdmitError::Unknown(_) => ControlError::NotFound(did),
        AdmitError::Unavailable(why) => ControlError::Unavailable(why),
        e @ (AdmitError::Duplicate(_) | AdmitError::Overloaded(_)) => {
            ControlError::Unavailable(e.to_string())
        }
    }
}
