//! The `Dialogs` RPCs that change dialogs' data: terminate by Call-ID, timeouts by profile,
//! variables, flags, profiles and trigger names. Each validates its request (`validate.rs`),
//! asks the backend and builds the reply; `service.rs` routes the tonic calls here. Must not
//! hold business logic: the backend decides whether a change is allowed.

use std::collections::BTreeMap;

use tonic::Status;

use super::DialogsService;
use crate::dialogs::backend::BackendError;
use crate::dialogs::validate;
use crate::pb;

type RpcResult<T> = Result<T, Status>;

impl DialogsService {
    pub(super) async fn terminate_by_call_id_rpc(
        &self,
        req: pb::TerminateByCallIdRequest,
    ) -> RpcResult<pb::TerminateByCallIdResponse> {
        let call_id = validate::required_text("call_id", &req.call_id)?;
        let headers = validate::extra_headers(&req.extra_headers)?;
        tracing::info!(call_id = %call_id, "dialogs api: terminate by call-id");
        let mut ids = self.backend.terminate_by_call_id(call_id, headers).await?;
        ids.sort_unstable();
        ids.dedup();
        Ok(pb::TerminateByCallIdResponse {
            ids: ids.iter().map(ToString::to_string).collect(),
        })
    }

    pub(super) async fn set_timeout_by_profile_rpc(
        &self,
        req: pb::SetTimeoutByProfileRequest,
    ) -> RpcResult<pb::SetTimeoutByProfileResponse> {
        let name = validate::profile_name("profile", &req.profile)?;
        let value = validate::profile_value("value", req.value.as_deref())?;
        let seconds = validate::seconds("seconds", req.seconds)?;
        tracing::info!(profile = %name, value = ?value, seconds, "dialogs api: set timeout by profile");
        let changed = self
            .backend
            .set_timeout_by_profile(name, value, seconds)
            .await?;
        Ok(pb::SetTimeoutByProfileResponse { changed })
    }

    pub(super) async fn set_var_rpc(
        &self,
        req: pb::SetVarRequest,
    ) -> RpcResult<pb::SetVarResponse> {
        let id = validate::dialog_id("id", &req.id)?;
        let name = validate::name("name", &req.name)?;
        let value = validate::var_value("value", &req.value)?;
        tracing::info!(did = %id, var = %name, "dialogs api: set var");
        self.backend.set_var(id, name, value).await?;
        Ok(pb::SetVarResponse {})
    }

    pub(super) async fn get_vars_rpc(
        &self,
        req: pb::GetVarsRequest,
    ) -> RpcResult<pb::GetVarsResponse> {
        let id = validate::dialog_id("id", &req.id)?;
        let only = req
            .name
            .as_deref()
            .map(|n| validate::name("name", n))
            .transpose()?;
        let vars = self.backend.get_vars(id).await?;
        let vars: BTreeMap<String, String> = match only {
            None => vars,
            Some(name) => {
                let value = vars.get(&name).cloned().ok_or_else(|| {
                    BackendError::NotFound(format!("dialog {id}: var {name:?} is not set"))
                })?;
                BTreeMap::from([(name, value)])
            }
        };
        Ok(pb::GetVarsResponse {
            vars: vars.into_iter().collect(),
        })
    }

    pub(super) async fn unset_var_rpc(
        &self,
        req: pb::UnsetVarRequest,
    ) -> RpcResult<pb::UnsetVarResponse> {
        let id = validate::dialog_id("id", &req.id)?;
        let name = validate::name("name", &req.name)?;
        tracing::info!(did = %id, var = %name, "dialogs api: unset var");
        self.backend.unset_var(id, name).await?;
        Ok(pb::UnsetVarResponse {})
    }

    pub(super) async fn set_flag_rpc(
        &self,
        req: pb::SetFlagRequest,
    ) -> RpcResult<pb::SetFlagResponse> {
        let id = validate::dialog_id("id", &req.id)?;
        let flag = validate::flag("flag", req.flag)?;
        tracing::info!(did = %id, flag, "dialogs api: set flag");
        let flags = self.backend.set_flag(id, flag).await?;
        Ok(pb::SetFlagResponse { flags })
    }

    pub(super) async fn reset_flag_rpc(
        &self,
        req: pb::ResetFlagRequest,
    ) -> RpcResult<pb::ResetFlagResponse> {
        let id = validate::dialog_id("id", &req.id)?;
        let flag = validate::flag("flag", req.flag)?;
        tracing::info!(did = %id, flag, "dialogs api: reset flag");
        let flags = self.backend.reset_flag(id, flag).await?;
        Ok(pb::ResetFlagResponse { flags })
    }

    pub(super) async fn set_profile_rpc(
        &self,
        req: pb::SetProfileRequest,
    ) -> RpcResult<pb::SetProfileResponse> {
        let id = validate::dialog_id("id", &req.id)?;
        let key = validate::profile_key(&req.name, req.value.as_deref())?;
        tracing::info!(did = %id, profile = %key.name, value = ?key.value, limit = ?req.limit, "dialogs api: set profile");
        self.backend.set_profile(id, key, req.limit).await?;
        Ok(pb::SetProfileResponse {})
    }

    pub(super) async fn unset_profile_rpc(
        &self,
        req: pb::UnsetProfileRequest,
    ) -> RpcResult<pb::UnsetProfileResponse> {
        let id = validate::dialog_id("id", &req.id)?;
        let key = validate::profile_key(&req.name, req.value.as_deref())?;
        tracing::info!(did = %id, profile = %key.name, value = ?key.value, "dialogs api: unset profile");
        self.backend.unset_profile(id, key).await?;
        Ok(pb::UnsetProfileResponse {})
    }

    pub(super) async fn set_triggers_rpc(
        &self,
        req: pb::SetTriggersRequest,
    ) -> RpcResult<pb::SetTriggersResponse> {
        let id = validate::dialog_id("id", &req.id)?;
        let names = validate::trigger_names(&req.names)?;
        tracing::info!(did = %id, triggers = ?names, "dialogs api: set triggers");
        self.backend.set_triggers(id, names).await?;
        Ok(pb::SetTriggersResponse {})
    }
}
