//! The in-memory answers to the `Dialogs` RPCs that change dialogs' data (vars, flags,
//! profiles, triggers, timeouts by profile, terminate by Call-ID): plain changes to the seeded
//! snapshots. Deleted dialogs refuse changes with FAILED_PRECONDITION; a profile with a limit
//! it already holds answers RESOURCE_EXHAUSTED.

use std::collections::BTreeMap;

use dialogd_api::{BackendError, EndSide};
use dialogd_dialog::{DialogId, DialogSnapshot, DialogState, EndCause, ProfileKey};

use super::{EndCall, MemoryBackend, check_up, lock};

type Result<T> = std::result::Result<T, BackendError>;

impl MemoryBackend {
    /// Runs `change` on the live dialog `id`.
    pub(super) fn change<T>(
        &self,
        id: DialogId,
        change: impl FnOnce(&mut DialogSnapshot) -> Result<T>,
    ) -> Result<T> {
        let mut dialogs = lock(&self.dialogs);
        let Some(d) = dialogs.iter_mut().find(|d| d.did == id) else {
            return Err(BackendError::NotFound(format!("dialog {id} not found")));
        };
        if d.state == DialogState::Deleted {
            return Err(BackendError::FailedPrecondition(format!(
                "dialog {id} is already deleted"
            )));
        }
        change(d)
    }

    pub(super) fn do_terminate(
        &self,
        call_id: &str,
        headers: Vec<String>,
    ) -> Result<Vec<DialogId>> {
        self.offers("terminate_by_call_id")?;
        let mut dialogs = lock(&self.dialogs);
        let mut ended = Vec::new();
        for d in dialogs
            .iter_mut()
            .filter(|d| d.call_id == call_id && d.state.is_confirmed())
        {
            d.state = DialogState::Deleted;
            d.end_cause = Some(EndCause::Api);
            ended.push(d.did);
            lock(&self.ended).push(EndCall {
                id: d.did,
                side: EndSide::Both,
                headers: headers.clone(),
            });
        }
        if ended.is_empty() {
            return Err(BackendError::NotFound(format!(
                "no confirmed dialog with call_id {call_id:?}"
            )));
        }
        // Reverse order: the service sorts.
        ended.reverse();
        Ok(ended)
    }

    pub(super) fn do_timeout_by_profile(&self, key: &ProfileKey, seconds: u32) -> Result<u64> {
        self.offers("set_timeout_by_profile")?;
        check_up(&key.name)?;
        let ids: Vec<DialogId> = self
            .live_in_profile(&key.name, key.value.as_deref())
            .iter()
            .map(|d| d.did)
            .collect();
        for id in &ids {
            self.change(*id, |d| {
                d.timeout_secs = seconds;
                d.timeout_left_secs = Some(u64::from(seconds));
                Ok(())
            })?;
        }
        Ok(ids.len() as u64)
    }

    pub(super) fn do_set_var(&self, id: DialogId, name: String, value: String) -> Result<()> {
        self.offers("set_var")?;
        self.change(id, |d| {
            d.vars.insert(name, value);
            Ok(())
        })
    }

    pub(super) fn do_get_vars(&self, id: DialogId) -> Result<BTreeMap<String, String>> {
        self.offers("get_vars")?;
        lock(&self.dialogs)
            .iter()
            .find(|d| d.did == id)
            .map(|d| d.vars.clone())
            .ok_or_else(|| BackendError::NotFound(format!("dialog {id} not found")))
    }

    pub(super) fn do_unset_var(&self, id: DialogId, name: &str) -> Result<()> {
        self.offers("unset_var")?;
        self.change(id, |d| match d.vars.remove(name) {
            Some(_) => Ok(()),
            None => Err(BackendError::NotFound(format!(
                "dialog {id}: var {name:?} is not set"
            ))),
        })
    }

    pub(super) fn do_flag(&self, id: DialogId, flag: u32, set: bool) -> Result<u32> {
        self.offers(if set { "set_flag" } else { "reset_flag" })?;
        self.change(id, |d| {
            if set {
                d.flags |= 1 << flag;
            } else {
                d.flags &= !(1 << flag);
            }
            Ok(d.flags)
        })
    }

    pub(super) fn do_set_profile(
        &self,
        id: DialogId,
        key: ProfileKey,
        limit: Option<u32>,
    ) -> Result<()> {
        self.offers("set_profile")?;
        check_up(&key.name)?;
        let size = self.live_in_profile(&key.name, key.value.as_deref()).len();
        self.change(id, |d| {
            if d.profiles.contains(&key) {
                return Ok(());
            }
            if let Some(limit) = limit.filter(|l| size >= *l as usize) {
                return Err(BackendError::ResourceExhausted(format!(
                    "profile {:?} is full: {size} dialogs, limit {limit}",
                    key.name
                )));
            }
            d.profiles.push(key);
            Ok(())
        })
    }

    pub(super) fn do_unset_profile(&self, id: DialogId, key: &ProfileKey) -> Result<()> {
        self.offers("unset_profile")?;
        check_up(&key.name)?;
        self.change(id, |d| {
            let before = d.profiles.len();
            d.profiles.retain(|k| k != key);
            if d.profiles.len() == before {
                return Err(BackendError::NotFound(format!(
                    "dialog {id} is not in profile {:?}",
                    key.name
                )));
            }
            Ok(())
        })
    }

    pub(super) fn do_set_triggers(&self, id: DialogId, names: Vec<String>) -> Result<()> {
        self.offers("set_triggers")?;
        self.change(id, |d| {
            d.triggers = names;
            Ok(())
        })
    }
}
