//! [`NodeForwardService`]: the node-to-node `NodeForward` service — another member offers a
//! trigger of a dialog it owns to the controllers connected here, or asks this node's actor of
//! a dialog to judge an in-dialog request it received for it ([`crate::owner_link`]). The cluster secret is
//! checked by the API's auth layer before a call reaches this service, and with the cluster's
//! mutual TLS the caller's node certificate by its node-identity layer
//! (`dialogd_api::server::node_identity`); the caller reaches it through `Owners::client`.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use dialogd_api::call_control::convert::leg_of_side;
use dialogd_api::pb::node_forward_server::{NodeForward, NodeForwardServer};
use dialogd_api::pb::{self, OfferOutcome};
use dialogd_api::triggers::hub::{Offer, TriggerHub};
use dialogd_dialog::DialogId;
use dialogd_dialog::DialogSnapshot;
use dialogd_proxy::proxy::Proxy;
use dialogd_sip::SipMessage;
use tonic::{Request, Response, Status};

use crate::owner_link::answer_to_proto;

use dialogd_api::triggers::convert::{kind_from_proto, timeout_decision_to_proto};

/// Serves offers on this node's hub, and judgements by this node's dialog actors.
pub struct NodeForwardService {
    pub hub: Arc<TriggerHub>,
    pub proxy: Proxy,
}

impl NodeForwardService {
    pub fn into_server(self) -> NodeForwardServer<NodeForwardService> {
        NodeForwardServer::new(self)
    }
}

#[tonic::async_trait]
impl NodeForward for NodeForwardService {
    async fn offer_trigger(
        &self,
        request: Request<pb::OfferTriggerRequest>,
    ) -> Result<Response<pb::OfferTriggerResponse>, Status> {
        let req = request.into_inner();
        let t = req
            .trigger
            .ok_or_else(|| Status::invalid_argument("trigger is missing"))?;
        let kind = kind_from_proto(t.kind).ok_or_else(|| {
            Status::invalid_argument(format!("trigger kind {} is unknown", t.kind))
        })?;
        let dialog = t
            .dialog
            .ok_or_else(|| Status::invalid_argument("trigger.dialog is missing"))
            .and_then(|d| {
                DialogSnapshot::try_from(d)
                    .map_err(|e| Status::invalid_argument(format!("trigger.dialog: {e}")))
            })?;
        let deadline = (t.deadline_unix_ms > 0)
            .then(|| UNIX_EPOCH + Duration::from_millis(t.deadline_unix_ms))
            // A deadline already past still gets the controller a brief chance.
            .map(|d| d.max(SystemTime::now()));
        tracing::debug!(from = req.from_node, did = %dialog.did, name = %t.name, "trigger offered");
        let (outcome, decision) = match self.hub.offer(kind, &t.name, dialog, deadline).await {
            Offer::NoController => (OfferOutcome::NoController, None),
            Offer::NoAnswer => (OfferOutcome::NoAnswer, None),
            Offer::Delivered(d) => (
                OfferOutcome::Delivered,
                d.map(|d| timeout_decision_to_proto(0, d)),
            ),
        };
        Ok(Response::new(pb::OfferTriggerResponse {
            outcome: outcome as i32,
            decision,
        }))
    }

    async fn judge_request(
        &self,
        request: Request<pb::JudgeRequestRequest>,
    ) -> Result<Response<pb::JudgeRequestResponse>, Status> {
        let req = request.into_inner();
        let did = DialogId(req.did);
        // Parsed with the limits of the SIP port: the member that sent it parsed it already,
        // but nothing here trusts that.
        let limits = &self.proxy.context().settings.parse;
        let msg = SipMessage::parse_with(Bytes::from(req.request), limits)
            .map_err(|e| Status::invalid_argument(format!("request: not a SIP message: {e}")))?;
        if !msg.is_request() || msg.to_tag().is_none() {
            return Err(Status::invalid_argument(
                "request: not an in-dialog request (a request with a To tag)",
            ));
        }
        let answer = self.proxy.judge_for_member(did, msg).await;
        tracing::debug!(from = req.from_node, %did, ?answer, "request judged for a member");
        Ok(Response::new(answer_to_proto(&answer)))
    }

    async fn note_media(
        &self,
        request: Request<pb::NoteMediaRequest>,
    ) -> Result<Response<pb::NoteMediaResponse>, Status> {
        let req = request.into_inner();
        let leg = leg_of_side(req.leg).ok_or_else(|| {
            Status::invalid_argument(format!("leg: {} is not CALLER or CALLEE", req.leg))
        })?;
        self.proxy
            .note_media_from_member(DialogId(req.did), leg, &req.sdp);
        Ok(Response::new(pb::NoteMediaResponse {}))
    }
}
