//! [`NodeBackend`] as the `CallControl` backend: REFER, keep-alive, transfer, link,
//! hold and unhold run at the dialog's owner like every call about one dialog
//! ([`NodeBackend::at_owner`]): here through the proxy, or forwarded to the owner with the
//! cluster secret (the owner answers it itself). `End` is the `Dialogs` backend's `end`,
//! forwarded the same way. A bridge creates a dialog, so it runs on the node that got the call.
//!
//! An attended transfer names a leg of another call, which may be driven by a third node: its
//! view is fetched cluster-wide ([`NodeBackend::replaced_dialog`]) and turned into the
//! proxy's [`TransferTarget`] where the transfer runs. The other values are the same types on
//! both sides ([`dialogd_dialog::call_control`]); the proxy does the SIP.

use dialogd_api::{
    BackendError, BridgeRequest, BridgeStarted, CallControlBackend, HoldMode, LegResult, LinkMode,
    TransferStarted, TransferTargetSpec,
};
use dialogd_dialog::{BoxFuture, DialogId, DialogSnapshot, DialogState, KeepaliveConfig, Leg};
use dialogd_proxy::call_control::types::TransferTarget;

use crate::backend::{NodeBackend, control_error};
use crate::owners::remote_error;

/// The proxy's attended target: leg `leg` of the dialog `other` (its view), sent to
/// `destination` if given. FAILED_PRECONDITION if `other` has ended or is not answered.
fn attended_target(
    other: &DialogSnapshot,
    leg: Leg,
    destination: Option<String>,
) -> Result<TransferTarget, BackendError> {
    if other.state == DialogState::Deleted {
        return Err(BackendError::FailedPrecondition(format!(
            "replaces: dialog {} has ended",
            other.did
        )));
    }
    TransferTarget::attended(other, leg, destination)
        .map_err(|why| BackendError::FailedPrecondition(format!("replaces: {why}")))
}

impl NodeBackend {
    /// The view of `other`, the call an attended transfer replaces a leg of, wherever it is
    /// driven. A call forwarded here (to the transferred dialog's owner) cannot use
    /// `get_anywhere`, which then looks here only: it asks `other`'s owner itself (a `Get`
    /// that node answers locally, so nothing is forwarded twice).
    async fn replaced_dialog(&self, other: DialogId) -> Result<DialogSnapshot, BackendError> {
        let not_found = || BackendError::NotFound(format!("replaces: dialog {other} not found"));
        if !dialogd_api::is_forwarded() {
            return self.get_anywhere(other).await?.ok_or_else(not_found);
        }
        if let Some(view) = self.proxy.snapshot(other).await {
            return Ok(view);
        }
        match self.owners.owner_of(other) {
            Some(node) if node != self.node_id => {
                let client = self.owners.client(node)?;
                client
                    .get(other)
                    .await
                    .map_err(|e| match remote_error(node, e) {
                        BackendError::NotFound(_) => not_found(),
                        e => e,
                    })
            }
            _ => Err(not_found()),
        }
    }
}

impl CallControlBackend for NodeBackend {
    fn refer(
        &self,
        id: DialogId,
        leg: Leg,
        refer_to: String,
        extra_headers: Vec<String>,
    ) -> BoxFuture<'_, Result<u16, BackendError>> {
        Box::pin(async move {
            self.proxy
                .check_destination(&refer_to)
                .await
                .map_err(crate::backend::control_error)?;
            let (to, headers) = (refer_to.clone(), extra_headers.clone());
            let local = self.proxy.refer(id, leg, &refer_to, extra_headers);
            self.at_owner(id, local, move |c| async move {
                c.call_refer(id, leg, &to, headers).await
            })
            .await
        })
    }

    fn set_keepalive(
        &self,
        id: DialogId,
        config: Option<KeepaliveConfig>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let local = self.proxy.set_keepalive(id, config);
            self.at_owner(id, local, move |c| async move {
                c.call_set_keepalive(id, config).await
            })
            .await
        })
    }

    fn transfer(
        &self,
        id: DialogId,
        leg: Leg,
        target: TransferTargetSpec,
        mode: LinkMode,
        extra_headers: Vec<String>,
    ) -> BoxFuture<'_, Result<TransferStarted, BackendError>> {
        Box::pin(async move {
            // An attended target is a leg of one of our own dialogs; a blind one is anywhere.
            if let TransferTargetSpec::Blind { destination } = &target {
                self.proxy
                    .check_destination(destination)
                    .await
                    .map_err(crate::backend::control_error)?;
            }
            let proxy_target = match &target {
                TransferTargetSpec::Blind { destination } => TransferTarget::Blind {
                    destination: destination.clone(),
                },
                TransferTargetSpec::Attended {
                    other,
                    leg: other_leg,
                    destination,
                } => {
                    let view = self.replaced_dialog(*other).await?;
                    attended_target(&view, *other_leg, destination.clone())?
                }
            };
            let headers = extra_headers.clone();
            let local = async move {
                self.proxy
                    .transfer(id, leg, proxy_target, mode, extra_headers)
                    .await
            };
            self.at_owner(id, local, move |c| async move {
                c.call_transfer(id, leg, &target, mode, headers).await
            })
            .await
        })
    }

    fn link_transfer(
        &self,
        old: DialogId,
        new: DialogId,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let local = self.proxy.link_transfer(old, new);
            self.at_owner(old, local, move |c| async move {
                c.call_link_transfer(old, new).await
            })
            .await
        })
    }

    fn hold(
        &self,
        id: DialogId,
        mode: HoldMode,
    ) -> BoxFuture<'_, Result<Vec<LegResult>, BackendError>> {
        Box::pin(async move {
            let local = async move { self.proxy.hold(id, mode).await };
            self.at_owner(
                id,
                local,
                move |c| async move { c.call_hold(id, mode).await },
            )
            .await
        })
    }

    fn unhold(&self, id: DialogId) -> BoxFuture<'_, Result<Vec<LegResult>, BackendError>> {
        Box::pin(async move {
            let local = async move { self.proxy.unhold(id).await };
            self.at_owner(id, local, move |c| async move { c.call_unhold(id).await })
                .await
        })
    }

    fn bridge(&self, spec: BridgeRequest) -> BoxFuture<'_, Result<BridgeStarted, BackendError>> {
        Box::pin(async move { self.proxy.bridge(spec).await.map_err(control_error) })
    }
}
