//! The tonic implementation of `dialogd.v1.CallControl` (issue 6) over an
//! `Arc<dyn CallControlBackend>`: each RPC validates its arguments
//! (`call_control_validate.rs`), resolves the dialog reference (an id, or Call-ID + From tag
//! through [`crate::DialogsBackend::find`]), asks the backend and builds the reply. The node
//! serves it beside its other public services, behind the API token. Must not hold business
//! logic; errors become `Status` only through `status.rs`.

use std::sync::Arc;

use dialogd_dialog::DialogId;
use tonic::{Request, Response, Status};

use crate::backend::BackendError;
use crate::call_control_backend::CallControlBackend;
use crate::call_control_validate::{self as validate, DialogRef};
use crate::pb;
use crate::pb::call_control_server::{CallControl, CallControlServer};
use crate::validate::extra_headers;

/// The `CallControl` service.
#[derive(Clone)]
pub struct CallControlService {
    backend: Arc<dyn CallControlBackend>,
}

impl std::fmt::Debug for CallControlService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallControlService").finish_non_exhaustive()
    }
}

impl CallControlService {
    /// A service acting through `backend`.
    pub fn new(backend: Arc<dyn CallControlBackend>) -> CallControlService {
        CallControlService { backend }
    }

    /// The service wrapped for a tonic router.
    pub fn into_server(self) -> CallControlServer<CallControlService> {
        CallControlServer::new(self)
    }

    /// The id of the dialog `r` names; NOT_FOUND if no node knows it.
    async fn resolve(&self, r: Option<&pb::DialogRef>) -> Result<DialogId, BackendError> {
        match validate::dialog_ref(r)? {
            DialogRef::Id(id) => Ok(id),
            DialogRef::Call { call_id, from_tag } => self
                .backend
                .find(&call_id, &from_tag)
                .await?
                .map(|d| d.did)
                .ok_or_else(|| {
                    BackendError::NotFound(format!(
                        "no dialog with Call-ID {call_id:?} and From tag {from_tag:?}"
                    ))
                }),
        }
    }
}

#[tonic::async_trait]
impl CallControl for CallControlService {
    async fn end(
        &self,
        request: Request<pb::EndCallRequest>,
    ) -> Result<Response<pb::EndCallResponse>, Status> {
        let req = request.into_inner();
        let side = validate::end_side(req.side)?;
        let headers = extra_headers(&req.extra_headers)?;
        let id = self.resolve(req.dialog.as_ref()).await?;
        tracing::info!(did = %id, side = side.as_str(), "call control api: end");
        self.backend.end(id, side, headers).await?;
        Ok(Response::new(pb::EndCallResponse { id: id.to_string() }))
    }

    async fn refer(
        &self,
        request: Request<pb::ReferRequest>,
    ) -> Result<Response<pb::ReferResponse>, Status> {
        let req = request.into_inner();
        let leg = validate::one_leg(req.side)?;
        let refer_to = validate::refer_to(&req.refer_to)?;
        let headers = extra_headers(&req.extra_headers)?;
        let id = self.resolve(req.dialog.as_ref()).await?;
        tracing::info!(did = %id, leg = ?leg, %refer_to, "call control api: refer");
        let status = self.backend.refer(id, leg, refer_to, headers).await?;
        Ok(Response::new(pb::ReferResponse {
            id: id.to_string(),
            status: u32::from(status),
        }))
    }

    async fn set_keepalive(
        &self,
        request: Request<pb::SetKeepaliveRequest>,
    ) -> Result<Response<pb::SetKeepaliveResponse>, Status> {
        let req = request.into_inner();
        let config = validate::keepalive(&req)?;
        let id = self.resolve(req.dialog.as_ref()).await?;
        tracing::info!(did = %id, keepalive = ?config, "call control api: set keep-alive");
        self.backend.set_keepalive(id, config).await?;
        Ok(Response::new(pb::SetKeepaliveResponse {
            id: id.to_string(),
        }))
    }
}
