//! [`CallControlBackend`]: what the `CallControl` service asks of the node once its
//! arguments are validated. It extends [`DialogsBackend`] — a dialog named by Call-ID and From
//! tag is found with [`DialogsBackend::find`], and `End` is [`DialogsBackend::end`] — with the
//! requests the proxy sends inside a call: REFER, keep-alive, transfer, hold, and the
//! click-to-dial bridge (the only one not about an existing dialog). Every method has a body
//! that refuses with `FailedPrecondition`, so a backend implements only what it can. Must not
//! know about gRPC.

use dialogd_dialog::{BoxFuture, DialogId, KeepaliveConfig, Leg};

use crate::call_control::types::{
    BridgeRequest, BridgeStarted, HoldMode, LegResult, LinkMode, TransferStarted,
    TransferTargetSpec,
};
use crate::dialogs::backend::{BackendError, DialogsBackend};

fn cannot<T>(what: String) -> BoxFuture<'static, Result<T, BackendError>>
where
    T: Send + 'static,
{
    Box::pin(async move { Err(BackendError::FailedPrecondition(what)) })
}

/// What the `CallControl` service needs from the node (object safe).
pub trait CallControlBackend: DialogsBackend {
    /// Sends a REFER to `leg` of an answered dialog with `Refer-To: <refer_to>` (checked URI)
    /// and `extra_headers` (checked lines); answers the leg's 2xx status. `FailedPrecondition`
    /// if the dialog is not answered or the leg refused, `Unavailable` without an answer.
    fn refer(
        &self,
        id: DialogId,
        leg: Leg,
        refer_to: String,
        extra_headers: Vec<String>,
    ) -> BoxFuture<'_, Result<u16, BackendError>> {
        let _ = (leg, refer_to, extra_headers);
        Box::pin(async move {
            Err(BackendError::FailedPrecondition(format!(
                "dialog {id}: this backend cannot send REFER"
            )))
        })
    }

    /// Sets (`None`: clears) the keep-alive of a live dialog (config checked).
    fn set_keepalive(
        &self,
        id: DialogId,
        config: Option<KeepaliveConfig>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        let _ = config;
        Box::pin(async move {
            Err(BackendError::FailedPrecondition(format!(
                "dialog {id}: this backend cannot set keep-alive"
            )))
        })
    }

    /// Transfers `leg` of an answered dialog to `target` (REFER; waits for its final response
    /// like [`CallControlBackend::refer`]); the new call is linked as `mode` says. For an
    /// attended target, `NotFound` if the other dialog is unknown, `FailedPrecondition` if it
    /// is not answered.
    fn transfer(
        &self,
        id: DialogId,
        leg: Leg,
        target: TransferTargetSpec,
        mode: LinkMode,
        extra_headers: Vec<String>,
    ) -> BoxFuture<'_, Result<TransferStarted, BackendError>> {
        let _ = (leg, target, mode, extra_headers);
        cannot(format!("dialog {id}: this backend cannot transfer"))
    }

    /// Links the new dialog `new` to the dialog `old` it transfers.
    fn link_transfer(
        &self,
        old: DialogId,
        new: DialogId,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        let _ = new;
        cannot(format!("dialog {old}: this backend cannot link transfers"))
    }

    /// Puts both legs of an answered dialog on hold; each leg's answer.
    fn hold(
        &self,
        id: DialogId,
        mode: HoldMode,
    ) -> BoxFuture<'_, Result<Vec<LegResult>, BackendError>> {
        let _ = mode;
        cannot(format!("dialog {id}: this backend cannot hold calls"))
    }

    /// Resumes a dialog put on hold by [`CallControlBackend::hold`]; each leg's answer.
    fn unhold(&self, id: DialogId) -> BoxFuture<'_, Result<Vec<LegResult>, BackendError>> {
        cannot(format!("dialog {id}: this backend cannot resume calls"))
    }

    /// Starts a click-to-dial call (checked spec); the new dialog, once its INVITE is sent.
    fn bridge(&self, spec: BridgeRequest) -> BoxFuture<'_, Result<BridgeStarted, BackendError>> {
        cannot(format!("{}: this backend cannot bridge calls", spec.from))
    }
}
