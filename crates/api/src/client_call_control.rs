//! The [`Client`] side of `dialogd.v1.CallControl` (issue 6): end a call towards one side or
//! both, REFER a leg, set the keep-alive. Dialogs are named by id; sends domain values and
//! returns domain values, no logic beyond conversion.

use dialogd_dialog::{DialogId, KeepaliveConfig, Leg};

use crate::backend::EndSide;
use crate::client::Client;
use crate::error::Result;
use crate::pb;

fn by_id(id: DialogId) -> Option<pb::DialogRef> {
    Some(pb::DialogRef {
        key: Some(pb::dialog_ref::Key::Id(id.to_string())),
    })
}

fn side_of_leg(leg: Leg) -> pb::CallSide {
    match leg {
        Leg::Caller => pb::CallSide::Caller,
        Leg::Callee => pb::CallSide::Callee,
    }
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
}
