//! The [`Client`] side of `dialogd.v1.CallControl`: end a call towards one side or
//! both, REFER a leg, set the keep-alive, transfer a leg (blind or attended) and link the new
//! call, hold and resume a call, start a click-to-dial bridge. Dialogs are named by id; sends
//! domain values and returns domain values, no logic beyond conversion. The node forwards
//! calls to a dialog's owner with these methods, and `dialogctl call` uses them.

use dialogd_dialog::{DialogId, KeepaliveConfig, Leg};

use crate::call_control::convert::{hold_mode_to_proto, link_mode_to_proto, side_of_leg};
use crate::call_control::types::{
    BridgeRequest, BridgeStarted, HoldMode, LegResult, LinkMode, TransferStarted,
    TransferTargetSpec,
};
use crate::client::Client;
use crate::dialogs::backend::EndSide;
use crate::dialogs::convert::parse_reply_id;
use crate::error::{Error, Result};
use crate::pb;

fn by_id(id: DialogId) -> Option<pb::DialogRef> {
    Some(pb::DialogRef {
        key: Some(pb::dialog_ref::Key::Id(id.to_string())),
    })
}

fn side_of_end(side: EndSide) -> pb::CallSide {
    match side {
        EndSide::Both => pb::CallSide::Both,
        EndSide::Caller => pb::CallSide::Caller,
        EndSide::Callee => pb::CallSide::Callee,
    }
}

impl Client {
    /// Ends an answered call: BYE to `side` with `extra_headers` (`CallControl.End`).
    pub async fn call_end(
        &self,
        id: DialogId,
        side: EndSide,
        extra_headers: Vec<String>,
    ) -> Result<()> {
        let req = pb::EndCallRequest {
            dialog: by_id(id),
            side: side_of_end(side).into(),
            extra_headers,
        };
        self.raw_call_control().end(req).await?;
        Ok(())
    }

    /// Sends a REFER to `leg` with this Refer-To URI; the leg's 2xx status.
    pub async fn call_refer(
        &self,
        id: DialogId,
        leg: Leg,
        refer_to: &str,
        extra_headers: Vec<String>,
    ) -> Result<u16> {
        let req = pb::ReferRequest {
            dialog: by_id(id),
            side: side_of_leg(leg).into(),
            refer_to: refer_to.to_owned(),
            extra_headers,
        };
        let status = self
            .raw_call_control()
            .refer(req)
            .await?
            .into_inner()
            .status;
        Ok(u16::try_from(status).unwrap_or(u16::MAX))
    }

    /// Sets (`None`: turns off) a call's keep-alive.
    pub async fn call_set_keepalive(
        &self,
        id: DialogId,
        config: Option<KeepaliveConfig>,
    ) -> Result<()> {
        let c = config.unwrap_or_default();
        let req = pb::SetKeepaliveRequest {
            dialog: by_id(id),
            caller: config.is_some() && c.caller,
            callee: config.is_some() && c.callee,
            interval_secs: u32::try_from(c.interval.as_secs()).unwrap_or(u32::MAX),
        };
        self.raw_call_control().set_keepalive(req).await?;
        Ok(())
    }

    /// Transfers `leg` of an answered call to `target` (`CallControl.Transfer`); the
    /// REFER's 2xx status and the Refer-To sent.
    pub async fn call_transfer(
        &self,
        id: DialogId,
        leg: Leg,
        target: &TransferTargetSpec,
        mode: LinkMode,
        extra_headers: Vec<String>,
    ) -> Result<TransferStarted> {
        let (destination, replaces) = match target {
            TransferTargetSpec::Blind { destination } => (destination.clone(), None),
            TransferTargetSpec::Attended {
                other,
                leg,
                destination,
            } => (
                destination.clone().unwrap_or_default(),
                Some(pb::ReplacesRef {
                    dialog: by_id(*other),
                    side: side_of_leg(*leg).into(),
                }),
            ),
        };
        let req = pb::TransferRequest {
            dialog: by_id(id),
            side: side_of_leg(leg).into(),
            destination,
            replaces,
            link_mode: link_mode_to_proto(mode).into(),
            extra_headers,
        };
        let reply = self.raw_call_control().transfer(req).await?.into_inner();
        Ok(TransferStarted {
            status: u16::try_from(reply.status).unwrap_or(u16::MAX),
            refer_to: reply.refer_to,
        })
    }

    /// Links the new call `new` to the call `old` it transfers (`CallControl.LinkTransfer`).
    pub async fn call_link_transfer(&self, old: DialogId, new: DialogId) -> Result<()> {
        let req = pb::LinkTransferRequest {
            old_dialog: by_id(old),
            new_dialog: by_id(new),
        };
        self.raw_call_control().link_transfer(req).await?;
        Ok(())
    }

    /// Puts both legs of an answered call on hold (`CallControl.Hold`); each leg's answer.
    pub async fn call_hold(&self, id: DialogId, mode: HoldMode) -> Result<Vec<LegResult>> {
        let req = pb::HoldRequest {
            dialog: by_id(id),
            mode: hold_mode_to_proto(mode).into(),
        };
        legs(self.raw_call_control().hold(req).await?.into_inner())
    }

    /// Resumes a call put on hold (`CallControl.Unhold`); each leg's answer.
    pub async fn call_unhold(&self, id: DialogId) -> Result<Vec<LegResult>> {
        let req = pb::UnholdRequest { dialog: by_id(id) };
        legs(self.raw_call_control().unhold(req).await?.into_inner())
    }

    /// Starts a click-to-dial call (`CallControl.Bridge`); the new dialog's id and Call-ID.
    pub async fn call_bridge(&self, spec: &BridgeRequest) -> Result<BridgeStarted> {
        let req = pb::BridgeRequest {
            from: spec.from.clone(),
            to: spec.to.clone(),
            outbound_proxy: spec.outbound_proxy.clone().unwrap_or_default(),
            extra_headers: spec.extra_headers.clone(),
        };
        let reply = self.raw_call_control().bridge(req).await?.into_inner();
        Ok(BridgeStarted {
            did: parse_reply_id("dialog id", &reply.id)?,
            call_id: reply.call_id,
        })
    }
}

fn legs(reply: pb::HoldResponse) -> Result<Vec<LegResult>> {
    reply
        .legs
        .into_iter()
        .map(LegResult::try_from)
        .collect::<Result<Vec<_>, Error>>()
}
