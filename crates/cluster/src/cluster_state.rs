//! [`ClusterState`]: the replicated state machine's data — every admitted dialog (owner,
//! profiles, record) and every profile membership with its count — and the deterministic
//! [`apply`](ClusterState::apply) of [`Command`]s. Pure: no I/O, no clock; the Raft store
//! wraps it ([`crate::store`]) and snapshots it whole (serde).
//!
//! Invariant kept by every command: a dialog is in `members[key]` exactly when `key` is in
//! its entry's `profiles`, so a profile's count is the size of its member set and can never
//! go negative or count a dialog twice.

use std::collections::{BTreeMap, BTreeSet};

use dialogd_dialog::{DialogId, DialogRecord, EndCause, ProfileKey, ProfileMembership};

use crate::command::{Command, CommandResult};
use crate::stored_record::StoredRecord;

/// One admitted dialog.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DialogEntry {
    pub owner: u64,
    pub profiles: Vec<ProfileKey>,
    /// The dialog's record, packed; [`DialogEntry::record`] reads it.
    pub record: Option<StoredRecord>,
    /// Counted as processed (confirmed) once.
    pub confirmed: bool,
}

impl DialogEntry {
    /// The dialog's record (none for an admission without one), with this entry's owner and
    /// profiles. A record that cannot be unpacked (a bug, never input) is logged and read as
    /// none.
    pub fn record(&self) -> Option<DialogRecord> {
        let stored = self.record.as_ref()?;
        match stored.unpack(self.owner, &self.profiles) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::error!(call_id = stored.call_id(), error = %e, "dialog record unreadable");
                None
            }
        }
    }

    /// The record's Call-ID, without unpacking it.
    pub fn call_id(&self) -> Option<&str> {
        self.record.as_ref().map(StoredRecord::call_id)
    }
}

/// Cluster-wide counters, kept by the state machine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClusterCounters {
    pub processed: u64,
    pub expired: u64,
    pub failed: u64,
    /// Dialogs admitted locally without quorum that turned out to exceed a limit.
    #[serde(default)]
    pub overshoot: u64,
}

/// A dialog that changed owner by a `Reassign`, or was released (`to` = [`NO_OWNER`]): its
/// old owner stops driving it (a BYE that another node saw ended it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnerChange {
    pub did: DialogId,
    pub from: u64,
    pub to: u64,
    /// Set when a release removed the dialog: why it ended.
    pub ended: Option<EndCause>,
}

/// `OwnerChange::to` of a released dialog (node ids start at 1).
pub const NO_OWNER: u64 = 0;

/// The state machine's data. It is serialized without the member sets (they are derived
/// from the entries), which also keeps JSON maps keyed by strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "StateImage", from = "StateImage")]
pub struct ClusterState {
    dialogs: BTreeMap<DialogId, DialogEntry>,
    members: BTreeMap<ProfileKey, BTreeSet<DialogId>>,
    counters: ClusterCounters,
}

/// The serialized form of [`ClusterState`].
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct StateImage {
    dialogs: BTreeMap<DialogId, DialogEntry>,
    counters: ClusterCounters,
}

impl From<ClusterState> for StateImage {
    fn from(s: ClusterState) -> StateImage {
        StateImage {
            dialogs: s.dialogs,
            counters: s.counters,
        }
    }
}

impl From<StateImage> for ClusterState {
    fn from(img: StateImage) -> ClusterState {
        let mut members: BTreeMap<ProfileKey, BTreeSet<DialogId>> = BTreeMap::new();
        for (did, e) in &img.dialogs {
            for k in &e.profiles {
                members.entry(k.clone()).or_default().insert(*did);
            }
        }
        ClusterState {
            dialogs: img.dialogs,
            members,
            counters: img.counters,
        }
    }
}

impl ClusterState {
    /// Applies one command; owner changes it made are pushed to `moved`.
    pub fn apply(&mut self, cmd: Command, moved: &mut Vec<OwnerChange>) -> CommandResult {
        match cmd {
            Command::Admit {
                did,
                owner,
                profiles,
                record,
            } => self.admit(did, owner, profiles, record.map(|r| *r)),
            Command::AdmitForced {
                did,
                owner,
                profiles,
                record,
            } => {
                if self.dialogs.contains_key(&did) {
                    return CommandResult::Duplicate;
                }
                let over: Vec<ProfileKey> = profiles
                    .iter()
                    .filter(|m| self.check(m).is_err())
                    .map(|m| m.key.clone())
                    .collect();
                let unlimited = profiles
                    .into_iter()
                    .map(|m| ProfileMembership {
                        key: m.key,
                        limit: None,
                    })
                    .collect();
                self.admit(did, owner, unlimited, record.map(|r| *r));
                if over.is_empty() {
                    CommandResult::Ok
                } else {
                    self.counters.overshoot += 1;
                    CommandResult::Overshoot(over)
                }
            }
            Command::Update { record } => self.update(*record),
            Command::AddProfile { did, membership } => self.add_profile(did, membership),
            Command::RemoveProfile { did, key } => self.remove_profile(did, &key),
            Command::Release { did, cause } => {
                let owner = self.dialogs.get(&did).map(|e| e.owner);
                let result = self.release(did, cause);
                if let Some(from) = owner {
                    moved.push(OwnerChange {
                        did,
                        from,
                        to: NO_OWNER,
                        ended: Some(cause),
                    });
                }
                result
            }
            Command::Reassign { moves } => {
                let mut n = 0;
                for (did, from, to) in moves {
                    if let Some(e) = self.dialogs.get_mut(&did)
                        && e.owner == from
                        && from != to
                    {
                        e.owner = to;
                        moved.push(OwnerChange {
                            did,
                            from,
                            to,
                            ended: None,
                        });
                        n += 1;
                    }
                }
                CommandResult::Moved(n)
            }
            Command::Batch(cmds) => {
                CommandResult::Batch(cmds.into_iter().map(|c| self.apply(c, moved)).collect())
            }
        }
    }

    fn check(&self, m: &ProfileMembership) -> Result<(), CommandResult> {
        match m.limit {
            Some(limit) if self.size(&m.key) >= u64::from(limit) => {
                Err(CommandResult::LimitReached {
                    key: m.key.clone(),
                    limit,
                })
            }
            _ => Ok(()),
        }
    }

    fn admit(
        &mut self,
        did: DialogId,
        owner: u64,
        profiles: Vec<ProfileMembership>,
        record: Option<DialogRecord>,
    ) -> CommandResult {
        if self.dialogs.contains_key(&did) {
            return CommandResult::Duplicate;
        }
        for m in &profiles {
            if let Err(full) = self.check(m) {
                return full;
            }
        }
        let mut keys: Vec<ProfileKey> = Vec::with_capacity(profiles.len());
        for m in profiles {
            if !keys.contains(&m.key) {
                self.members.entry(m.key.clone()).or_default().insert(did);
                keys.push(m.key);
            }
        }
        let record = record.map(StoredRecord::pack);
        self.dialogs.insert(
            did,
            DialogEntry {
                owner,
                profiles: keys,
                record,
                confirmed: false,
            },
        );
        CommandResult::Ok
    }

    fn update(&mut self, record: DialogRecord) -> CommandResult {
        let Some(e) = self.dialogs.get_mut(&record.did) else {
            return CommandResult::Unknown;
        };
        // Owner and memberships are the entry's (the stored record leaves them out): a stale
        // writer cannot change them.
        if record.state.is_confirmed() && !e.confirmed {
            e.confirmed = true;
            self.counters.processed += 1;
        }
        e.record = Some(StoredRecord::pack(record));
        CommandResult::Ok
    }

    fn add_profile(&mut self, did: DialogId, m: ProfileMembership) -> CommandResult {
        let Some(e) = self.dialogs.get(&did) else {
            return CommandResult::Unknown;
        };
        if e.profiles.contains(&m.key) {
            return CommandResult::Ok;
        }
        if let Err(full) = self.check(&m) {
            return full;
        }
        self.members.entry(m.key.clone()).or_default().insert(did);
        if let Some(e) = self.dialogs.get_mut(&did) {
            e.profiles.push(m.key);
        }
        CommandResult::Ok
    }

    fn remove_profile(&mut self, did: DialogId, key: &ProfileKey) -> CommandResult {
        let Some(e) = self.dialogs.get_mut(&did) else {
            return CommandResult::Unknown;
        };
        e.profiles.retain(|k| k != key);
        self.unlink(did, key);
        CommandResult::Ok
    }

    fn unlink(&mut self, did: DialogId, key: &ProfileKey) {
        if let Some(set) = self.members.get_mut(key) {
            set.remove(&did);
            if set.is_empty() {
                self.members.remove(key);
            }
        }
    }

    fn release(&mut self, did: DialogId, cause: EndCause) -> CommandResult {
        let Some(e) = self.dialogs.remove(&did) else {
            return CommandResult::Unknown;
        };
        for k in &e.profiles {
            self.unlink(did, k);
        }
        match cause {
            EndCause::Timeout => self.counters.expired += 1,
            EndCause::Cancelled | EndCause::Failed(_) if !e.confirmed => {
                self.counters.failed += 1;
            }
            _ => {}
        }
        CommandResult::Ok
    }

    /// Dialogs in one profile key.
    pub fn size(&self, key: &ProfileKey) -> u64 {
        self.members.get(key).map_or(0, |s| s.len() as u64)
    }

    fn range<'a>(
        &'a self,
        name: &'a str,
        value: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a ProfileKey, &'a BTreeSet<DialogId>)> + 'a {
        self.members.iter().filter(move |(k, _)| {
            k.name == name && (value.is_none() || k.value.as_deref() == value)
        })
    }

    /// Dialogs in a profile (with a value: that value only; without: every value).
    pub fn profile_size(&self, name: &str, value: Option<&str>) -> u64 {
        self.range(name, value).map(|(_, s)| s.len() as u64).sum()
    }

    /// The dialogs of a profile, ascending.
    pub fn profile_dialogs(&self, name: &str, value: Option<&str>) -> Vec<DialogId> {
        let ids: BTreeSet<DialogId> = self
            .range(name, value)
            .flat_map(|(_, s)| s.iter().copied())
            .collect();
        ids.into_iter().collect()
    }

    /// Every value of a profile with its count.
    pub fn profile_values(&self, name: &str) -> Vec<(Option<String>, u64)> {
        self.range(name, None)
            .map(|(k, s)| (k.value.clone(), s.len() as u64))
            .collect()
    }

    pub fn dialog(&self, did: DialogId) -> Option<&DialogEntry> {
        self.dialogs.get(&did)
    }

    /// Every admitted dialog.
    pub fn dialogs(&self) -> impl Iterator<Item = (&DialogId, &DialogEntry)> {
        self.dialogs.iter()
    }

    /// The dialogs owned by `node`.
    pub fn owned_by(&self, node: u64) -> impl Iterator<Item = (&DialogId, &DialogEntry)> {
        self.dialogs.iter().filter(move |(_, e)| e.owner == node)
    }

    pub fn dialog_count(&self) -> usize {
        self.dialogs.len()
    }

    pub fn counters(&self) -> ClusterCounters {
        self.counters
    }

    /// Dialogs admitted and not yet confirmed / confirmed, cluster-wide.
    pub fn early_and_active(&self) -> (u64, u64) {
        let active = self.dialogs.values().filter(|e| e.confirmed).count() as u64;
        (self.dialogs.len() as u64 - active, active)
    }

    /// Checks the membership invariant (tests and the simulation call it).
    pub fn check_invariants(&self) -> Result<(), String> {
        for (key, set) in &self.members {
            if set.is_empty() {
                return Err(format!("profile {key} kept with no member"));
            }
            for did in set {
                match self.dialogs.get(did) {
                    Some(e) if e.profiles.contains(key) => {}
                    _ => return Err(format!("{did} counted in {key} but not a member")),
                }
            }
        }
        for (did, e) in &self.dialogs {
            for k in &e.profiles {
                if !self.members.get(k).is_some_and(|s| s.contains(did)) {
                    return Err(format!("{did} member of {k} but not counted"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "cluster_state_tests.rs"]
mod tests;
