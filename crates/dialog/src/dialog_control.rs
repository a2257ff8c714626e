//! Commands on a [`Dialog`] from the policy and the API (OpenSIPS/Kamailio `dlg_set_timeout`,
//! `set_dlg_flag`, `$dlg_var`, `set_dlg_profile`): the timeout, the 32 flags, the variables,
//! the profile keys and the legs' sources. Bookkeeping only — admitting a dialog into a
//! profile is the store's job ([`crate::Admission`]); this records the result.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::dialog::Dialog;
use crate::error::Error;
use crate::keepalive::KeepaliveConfig;
use crate::output::DialogOutput;
use crate::profile::ProfileKey;
use crate::state::{DialogState, Leg};

impl Dialog {
    /// Changes the dialog timeout; a running deadline restarts from `now`.
    pub fn set_timeout(&mut self, now: Instant, timeout: Duration) {
        if self.state != DialogState::Deleted {
            self.clock.set_timeout(now, timeout);
            self.out.push_back(DialogOutput::TimeoutChanged { timeout });
        }
    }

    /// Sets flag `index` (0..=31).
    pub fn set_flag(&mut self, index: u32) -> Result<(), Error> {
        self.flags.set(index)
    }

    /// Clears flag `index` (0..=31).
    pub fn reset_flag(&mut self, index: u32) -> Result<(), Error> {
        self.flags.reset(index)
    }

    /// Whether flag `index` (0..=31) is set.
    pub fn is_flag_set(&self, index: u32) -> Result<bool, Error> {
        self.flags.is_set(index)
    }

    /// All 32 flags (bit `i` = flag `i`).
    pub fn flags(&self) -> u32 {
        self.flags.bits()
    }

    /// Sets a dialog variable.
    pub fn set_var(
        &mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<(), Error> {
        let name = name.into();
        if name.is_empty() {
            return Err(Error::EmptyVarName);
        }
        self.vars.insert(name, value.into());
        Ok(())
    }

    /// Removes a dialog variable, returning its value.
    pub fn unset_var(&mut self, name: &str) -> Option<String> {
        self.vars.remove(name)
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    /// Notes one more profile the dialog is counted in (the store admitted it). False if
    /// it already was.
    pub fn add_profile(&mut self, key: ProfileKey) -> bool {
        if self.profiles.contains(&key) {
            return false;
        }
        self.profiles.push(key);
        true
    }

    /// Forgets a profile (the store released it). False if the dialog was not in it.
    pub fn remove_profile(&mut self, key: &ProfileKey) -> bool {
        let before = self.profiles.len();
        self.profiles.retain(|k| k != key);
        self.profiles.len() != before
    }

    pub fn profiles(&self) -> &[ProfileKey] {
        &self.profiles
    }

    /// Sets (or with `None`, or no leg enabled, clears) the keep-alive probing of the legs;
    /// the actor applies it to its [`crate::Keepalive`]. Ignored once the dialog is over.
    pub fn set_keepalive(&mut self, config: Option<KeepaliveConfig>) {
        if self.state != DialogState::Deleted {
            self.keepalive = config.filter(KeepaliveConfig::is_enabled);
        }
    }

    /// The keep-alive probing asked for (rule or API), if any leg is probed.
    pub fn keepalive(&self) -> Option<KeepaliveConfig> {
        self.keepalive
    }

    /// Where a leg's messages come from (`udp:1.2.3.4:5060`), for the API view; the caller's
    /// is the INVITE's source, the callee's is unknown until the proxy sets it (once answered).
    pub fn set_source(&mut self, leg: Leg, source: Option<String>) {
        match (leg, self.callee.as_mut()) {
            (Leg::Caller, _) => self.invite.source = source,
            (Leg::Callee, Some(callee)) => callee.source = source,
            (Leg::Callee, None) => {}
        }
    }
}
