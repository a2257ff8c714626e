//! The [`Client`] side of the `Dialogs` RPCs that change dialogs' data: terminate by Call-ID,
//! timeouts by profile, variables, flags, profiles and trigger names. Sends domain values and
//! returns domain values; must not hold logic beyond conversion.

use std::collections::BTreeMap;

use dialogd_dialog::{DialogId, ProfileKey};

use crate::client::Client;
use crate::dialogs::convert::parse_reply_id;
use crate::error::Result;
use crate::pb;

impl Client {
    /// Ends every confirmed dialog with this Call-ID (BYE to both legs with `extra_headers`);
    /// returns their ids, ascending. NOT_FOUND if there is none.
    pub async fn terminate_by_call_id(
        &self,
        call_id: &str,
        extra_headers: Vec<String>,
    ) -> Result<Vec<DialogId>> {
        let req = pb::TerminateByCallIdRequest {
            call_id: call_id.to_owned(),
            extra_headers,
        };
        let reply = self.raw().terminate_by_call_id(req).await?.into_inner();
        reply
            .ids
            .iter()
            .map(|id| parse_reply_id("terminated dialog id", id))
            .collect()
    }

    /// Sets the timeout of every dialog in a profile (with a value: that value only) to
    /// `seconds` from now; returns how many dialogs changed.
    pub async fn set_timeout_by_profile(
        &self,
        profile: &str,
        value: Option<&str>,
        seconds: u32,
    ) -> Result<u64> {
        let req = pb::SetTimeoutByProfileRequest {
            profile: profile.to_owned(),
            value: value.map(str::to_owned),
            seconds,
        };
        Ok(self
            .raw()
            .set_timeout_by_profile(req)
            .await?
            .into_inner()
            .changed)
    }

    /// Sets a dialog variable.
    pub async fn set_var(&self, id: DialogId, name: &str, value: &str) -> Result<()> {
        let req = pb::SetVarRequest {
            id: id.to_string(),
            name: name.to_owned(),
            value: value.to_owned(),
        };
        self.raw().set_var(req).await?;
        Ok(())
    }

    /// A dialog's variables (with `name`: that one only, NOT_FOUND if it is not set).
    pub async fn get_vars(
        &self,
        id: DialogId,
        name: Option<&str>,
    ) -> Result<BTreeMap<String, String>> {
        let req = pb::GetVarsRequest {
            id: id.to_string(),
            name: name.map(str::to_owned),
        };
        let reply = self.raw().get_vars(req).await?.into_inner();
        Ok(reply.vars.into_iter().collect())
    }

    /// Removes a dialog variable (NOT_FOUND if it was not set).
    pub async fn unset_var(&self, id: DialogId, name: &str) -> Result<()> {
        let req = pb::UnsetVarRequest {
            id: id.to_string(),
            name: name.to_owned(),
        };
        self.raw().unset_var(req).await?;
        Ok(())
    }

    /// Sets flag `flag` (0..=31); returns all 32 flags after the change.
    pub async fn set_flag(&self, id: DialogId, flag: u32) -> Result<u32> {
        let req = pb::SetFlagRequest {
            id: id.to_string(),
            flag,
        };
        Ok(self.raw().set_flag(req).await?.into_inner().flags)
    }

    /// Clears flag `flag` (0..=31); returns all 32 flags after the change.
    pub async fn reset_flag(&self, id: DialogId, flag: u32) -> Result<u32> {
        let req = pb::ResetFlagRequest {
            id: id.to_string(),
            flag,
        };
        Ok(self.raw().reset_flag(req).await?.into_inner().flags)
    }

    /// Adds a live dialog to a profile; with `limit`, RESOURCE_EXHAUSTED if it is full.
    pub async fn set_profile(
        &self,
        id: DialogId,
        profile: &ProfileKey,
        limit: Option<u32>,
    ) -> Result<()> {
        let req = pb::SetProfileRequest {
            id: id.to_string(),
            name: profile.name.clone(),
            value: profile.value.clone(),
            limit,
        };
        self.raw().set_profile(req).await?;
        Ok(())
    }

    /// Removes a live dialog from a profile (NOT_FOUND if it was not in it).
    pub async fn unset_profile(&self, id: DialogId, profile: &ProfileKey) -> Result<()> {
        let req = pb::UnsetProfileRequest {
            id: id.to_string(),
            name: profile.name.clone(),
            value: profile.value.clone(),
        };
        self.raw().unset_profile(req).await?;
        Ok(())
    }

    /// Replaces the trigger names attached to a dialog (empty: none).
    pub async fn set_triggers(&self, id: DialogId, names: Vec<String>) -> Result<()> {
        let req = pb::SetTriggersRequest {
            id: id.to_string(),
            names,
        };
        self.raw().set_triggers(req).await?;
        Ok(())
    }
}
