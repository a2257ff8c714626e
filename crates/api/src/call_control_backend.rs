//! [`CallControlBackend`]: what the `CallControl` service (issue 6) asks of the node once its
//! arguments are validated. It extends [`DialogsBackend`] — a dialog named by Call-ID and From
//! tag is found with [`DialogsBackend::find`], and `End` is [`DialogsBackend::end`] — with the
//! requests the proxy sends inside a call. Must not know about gRPC.

use dialogd_dialog::{BoxFuture, DialogId, KeepaliveConfig, Leg};

use crate::backend::{BackendError, DialogsBackend};

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
}
