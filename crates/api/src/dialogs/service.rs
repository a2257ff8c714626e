//! The tonic implementation of `dialogd.v1.Dialogs` over an `Arc<dyn DialogsBackend>`: each RPC
//! validates its arguments (`validate.rs`), asks the backend, converts the answer
//! (`convert.rs`) and pages lists; the RPCs that change dialogs' data (vars, flags, profiles,
//! triggers, timeouts by profile, terminate by Call-ID) are in `service_control.rs`. Errors become `Status` only through `status.rs`. Must not
//! hold business logic: what a dialog is and how it ends is the backend's business.

use std::sync::Arc;

use dialogd_dialog::DialogId;
use tonic::{Request, Response, Status};

use crate::dialogs::backend::{BackendError, DialogsBackend};
use crate::dialogs::convert::stats_to_proto;
use crate::dialogs::validate::{self, DialogKey};
use crate::pb;
use crate::pb::dialogs_server::{Dialogs, DialogsServer};

/// The `Dialogs` service.
#[derive(Clone)]
pub struct DialogsService {
    backend: Arc<dyn DialogsBackend>,
}

impl DialogsService {
    /// A service answering from `backend`.
    pub fn new(backend: Arc<dyn DialogsBackend>) -> DialogsService {
        DialogsService { backend }
    }

    /// The service wrapped for `tonic::transport::Server::add_service`.
    pub fn into_server(self) -> DialogsServer<DialogsService> {
        DialogsServer::new(self)
    }
}

impl std::fmt::Debug for DialogsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DialogsService").finish_non_exhaustive()
    }
}

fn not_found(id: DialogId) -> BackendError {
    BackendError::NotFound(format!("dialog {id} not found"))
}

#[path = "service_control.rs"]
mod control;

#[tonic::async_trait]
impl Dialogs for DialogsService {
    async fn stats(
        &self,
        _request: Request<pb::StatsRequest>,
    ) -> Result<Response<pb::StatsResponse>, Status> {
        let (node_id, stats) = self.backend.stats().await?;
        // The node's own figures are always answered; the cluster's only when it can.
        let cluster = match self.backend.cluster_stats().await {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(error = %e, "cluster stats unavailable");
                None
            }
        };
        Ok(Response::new(stats_to_proto(
            node_id,
            &stats,
            cluster.as_ref(),
        )))
    }

    async fn list_dialogs(
        &self,
        request: Request<pb::ListDialogsRequest>,
    ) -> Result<Response<pb::ListDialogsResponse>, Status> {
        let (filter, page_size) = validate::list_request(request.get_ref())?;
        let mut dialogs = self.backend.list(filter.clone()).await?;
        // Stable order whatever the backend does: ascending id, each id once, filter re-checked.
        dialogs.retain(|d| filter.matches(d));
        dialogs.sort_unstable_by_key(|d| d.did);
        dialogs.dedup_by_key(|d| d.did);
        let next_page_token = if dialogs.len() > page_size {
            dialogs.truncate(page_size);
            dialogs
                .last()
                .map(|d| d.did.to_string())
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListDialogsResponse {
            dialogs: dialogs.iter().map(pb::Dialog::from).collect(),
            next_page_token,
        }))
    }

    async fn get_dialog(
        &self,
        request: Request<pb::GetDialogRequest>,
    ) -> Result<Response<pb::GetDialogResponse>, Status> {
        let dialog = match validate::get_key(request.get_ref())? {
            DialogKey::Id(id) => self.backend.get(id).await?.ok_or_else(|| not_found(id))?,
            DialogKey::Call { call_id, from_tag } => self
                .backend
                .find(&call_id, &from_tag)
                .await?
                .ok_or_else(|| {
                    BackendError::NotFound(format!(
                        "no dialog with call_id {call_id:?} and from_tag {from_tag:?}"
                    ))
                })?,
        };
        Ok(Response::new(pb::GetDialogResponse {
            dialog: Some(pb::Dialog::from(&dialog)),
        }))
    }

    async fn end_dialog(
        &self,
        request: Request<pb::EndDialogRequest>,
    ) -> Result<Response<pb::EndDialogResponse>, Status> {
        let req = request.into_inner();
        let id = validate::dialog_id("id", &req.id)?;
        let side = validate::end_side(req.side)?;
        let headers = validate::extra_headers(&req.extra_headers)?;
        tracing::info!(did = %id, side = side.as_str(), "dialogs api: end dialog");
        self.backend.end(id, side, headers).await?;
        Ok(Response::new(pb::EndDialogResponse {}))
    }

    async fn set_timeout(
        &self,
        request: Request<pb::SetTimeoutRequest>,
    ) -> Result<Response<pb::SetTimeoutResponse>, Status> {
        let req = request.into_inner();
        let id = validate::dialog_id("id", &req.id)?;
        validate::seconds("seconds", req.seconds)?;
        tracing::info!(did = %id, seconds = req.seconds, "dialogs api: set timeout");
        self.backend.set_timeout(id, req.seconds).await?;
        Ok(Response::new(pb::SetTimeoutResponse {}))
    }

    async fn profile_get_size(
        &self,
        request: Request<pb::ProfileGetSizeRequest>,
    ) -> Result<Response<pb::ProfileGetSizeResponse>, Status> {
        let req = request.into_inner();
        let name = validate::profile_name("name", &req.name)?;
        let value = validate::profile_value("value", req.value.as_deref())?;
        let size = self
            .backend
            .profile_size(&name, value.as_deref(), req.stale_ok)
            .await?;
        Ok(Response::new(pb::ProfileGetSizeResponse {
            name,
            value,
            size,
        }))
    }

    async fn profile_list_dialogs(
        &self,
        request: Request<pb::ProfileListDialogsRequest>,
    ) -> Result<Response<pb::ProfileListDialogsResponse>, Status> {
        let req = request.into_inner();
        let name = validate::profile_name("name", &req.name)?;
        let value = validate::profile_value("value", req.value.as_deref())?;
        let mut ids = self
            .backend
            .profile_dialogs(&name, value.as_deref())
            .await?;
        ids.sort_unstable();
        ids.dedup();
        Ok(Response::new(pb::ProfileListDialogsResponse {
            ids: ids.iter().map(DialogId::to_string).collect(),
        }))
    }

    async fn profile_get_values(
        &self,
        request: Request<pb::ProfileGetValuesRequest>,
    ) -> Result<Response<pb::ProfileGetValuesResponse>, Status> {
        let name = validate::profile_name("name", &request.get_ref().name)?;
        let mut values = self.backend.profile_values(&name).await?;
        values.sort_unstable();
        Ok(Response::new(pb::ProfileGetValuesResponse {
            name,
            values: values
                .into_iter()
                .map(|(value, count)| pb::ProfileValue { value, count })
                .collect(),
        }))
    }

    // The RPCs that change one dialog's data (or a set of dialogs) are in `service_control.rs`.

    async fn terminate_by_call_id(
        &self,
        request: Request<pb::TerminateByCallIdRequest>,
    ) -> Result<Response<pb::TerminateByCallIdResponse>, Status> {
        self.terminate_by_call_id_rpc(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn set_timeout_by_profile(
        &self,
        request: Request<pb::SetTimeoutByProfileRequest>,
    ) -> Result<Response<pb::SetTimeoutByProfileResponse>, Status> {
        self.set_timeout_by_profile_rpc(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn set_var(
        &self,
        request: Request<pb::SetVarRequest>,
    ) -> Result<Response<pb::SetVarResponse>, Status> {
        self.set_var_rpc(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_vars(
        &self,
        request: Request<pb::GetVarsRequest>,
    ) -> Result<Response<pb::GetVarsResponse>, Status> {
        self.get_vars_rpc(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn unset_var(
        &self,
        request: Request<pb::UnsetVarRequest>,
    ) -> Result<Response<pb::UnsetVarResponse>, Status> {
        self.unset_var_rpc(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn set_flag(
        &self,
        request: Request<pb::SetFlagRequest>,
    ) -> Result<Response<pb::SetFlagResponse>, Status> {
        self.set_flag_rpc(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn reset_flag(
        &self,
        request: Request<pb::ResetFlagRequest>,
    ) -> Result<Response<pb::ResetFlagResponse>, Status> {
        self.reset_flag_rpc(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn set_profile(
        &self,
        request: Request<pb::SetProfileRequest>,
    ) -> Result<Response<pb::SetProfileResponse>, Status> {
        self.set_profile_rpc(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn unset_profile(
        &self,
        request: Request<pb::UnsetProfileRequest>,
    ) -> Result<Response<pb::UnsetProfileResponse>, Status> {
        self.unset_profile_rpc(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn set_triggers(
        &self,
        request: Request<pb::SetTriggersRequest>,
    ) -> Result<Response<pb::SetTriggersResponse>, Status> {
        self.set_triggers_rpc(request.into_inner())
            .await
            .map(Response::new)
    }
}
