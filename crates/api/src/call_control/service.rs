//! The tonic implementation of `dialogd.v1.CallControl` over an
//! `Arc<dyn CallControlBackend>`: each RPC validates its arguments
//! (`validate.rs`), resolves the dialog references (an id, or Call-ID + From tag
//! through [`crate::DialogsBackend::find`]; an attended transfer's `replaces.dialog` and
//! LinkTransfer's two dialogs alike), asks the backend and builds the reply. The node
//! serves it beside its other public services, behind the API token. Must not hold business
//! logic; errors become `Status` only through `status.rs`.

use std::sync::Arc;

use dialogd_dialog::DialogId;
use tonic::{Request, Response, Status};

use crate::call_control::backend::CallControlBackend;
use crate::call_control::types::{LegResult, TransferTargetSpec};
use crate::call_control::validate::{self as validate, DialogRef, TransferTo};
use crate::dialogs::backend::BackendError;
use crate::dialogs::validate::extra_headers;
use crate::pb;
use crate::pb::call_control_server::{CallControl, CallControlServer};

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
        self.lookup(validate::dialog_ref(r)?).await
    }

    /// The id of a checked dialog reference; NOT_FOUND if no node knows its Call-ID form.
    async fn lookup(&self, r: DialogRef) -> Result<DialogId, BackendError> {
        match r {
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

    async fn transfer(
        &self,
        request: Request<pb::TransferRequest>,
    ) -> Result<Response<pb::TransferResponse>, Status> {
        let req = request.into_inner();
        let dialog = validate::dialog_ref(req.dialog.as_ref())?;
        let args = validate::transfer(&req)?;
        let id = self.lookup(dialog).await?;
        let target = match args.to {
            TransferTo::Blind(destination) => TransferTargetSpec::Blind { destination },
            TransferTo::Attended {
                other,
                leg,
                destination,
            } => {
                let other = self.lookup(other).await.map_err(|e| match e {
                    BackendError::NotFound(m) => {
                        BackendError::NotFound(format!("replaces.dialog: {m}"))
                    }
                    e => e,
                })?;
                if other == id {
                    return Err(BackendError::InvalidArgument(format!(
                        "replaces.dialog: {other} is the transferred dialog itself"
                    ))
                    .into());
                }
                TransferTargetSpec::Attended {
                    other,
                    leg,
                    destination,
                }
            }
        };
        tracing::info!(
            did = %id, leg = ?args.leg, target = ?target, mode = args.mode.as_str(),
            "call control api: transfer"
        );
        let started = self
            .backend
            .transfer(id, args.leg, target, args.mode, args.extra_headers)
            .await?;
        Ok(Response::new(pb::TransferResponse {
            id: id.to_string(),
            status: u32::from(started.status),
            refer_to: started.refer_to,
        }))
    }

    async fn link_transfer(
        &self,
        request: Request<pb::LinkTransferRequest>,
    ) -> Result<Response<pb::LinkTransferResponse>, Status> {
        let req = request.into_inner();
        let old = validate::dialog_ref_at("old_dialog", req.old_dialog.as_ref())?;
        let new = validate::dialog_ref_at("new_dialog", req.new_dialog.as_ref())?;
        let (old, new) = (self.lookup(old).await?, self.lookup(new).await?);
        if old == new {
            return Err(BackendError::InvalidArgument(format!(
                "new_dialog: {new} is the old dialog itself"
            ))
            .into());
        }
        tracing::info!(old = %old, new = %new, "call control api: link transfer");
        self.backend.link_transfer(old, new).await?;
        Ok(Response::new(pb::LinkTransferResponse {
            old_id: old.to_string(),
            new_id: new.to_string(),
        }))
    }

    async fn hold(
        &self,
        request: Request<pb::HoldRequest>,
    ) -> Result<Response<pb::HoldResponse>, Status> {
        let req = request.into_inner();
        let mode = validate::hold_mode(req.mode)?;
        let id = self.resolve(req.dialog.as_ref()).await?;
        tracing::info!(did = %id, mode = mode.as_str(), "call control api: hold");
        let legs = self.backend.hold(id, mode).await?;
        Ok(Response::new(hold_response(id, legs)))
    }

    async fn unhold(
        &self,
        request: Request<pb::UnholdRequest>,
    ) -> Result<Response<pb::HoldResponse>, Status> {
        let req = request.into_inner();
        let id = self.resolve(req.dialog.as_ref()).await?;
        tracing::info!(did = %id, "call control api: unhold");
        let legs = self.backend.unhold(id).await?;
        Ok(Response::new(hold_response(id, legs)))
    }

    async fn bridge(
        &self,
        request: Request<pb::BridgeRequest>,
    ) -> Result<Response<pb::BridgeResponse>, Status> {
        let spec = validate::bridge(&request.into_inner())?;
        tracing::info!(
            from = %spec.from, to = %spec.to, outbound_proxy = ?spec.outbound_proxy,
            "call control api: bridge"
        );
        let started = self.backend.bridge(spec).await?;
        Ok(Response::new(pb::BridgeResponse {
            id: started.did.to_string(),
            call_id: started.call_id,
        }))
    }
}

/// The reply of `Hold` and `Unhold`: one entry per leg the backend reported.
fn hold_response(id: DialogId, legs: Vec<LegResult>) -> pb::HoldResponse {
    pb::HoldResponse {
        id: id.to_string(),
        legs: legs.into_iter().map(pb::LegResult::from).collect(),
    }
}
