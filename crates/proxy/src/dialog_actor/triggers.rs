//! The dialog actor's side of dialog triggers (OpenSIPS 3.1 `on_answer`, `on_timeout`,
//! `on_hangup`): hands a dialog with trigger names to the node's
//! [`TriggerSink`](dialogd_dialog::TriggerSink) and brings the `on_timeout` decision back to
//! the actor as [`DialogMsg::TimeoutDecision`]. Dialogs without trigger names never reach the
//! sink; without a sink, notifications are dropped and `on_timeout` expires the dialog.
//!
//! ```text
//!  confirmed (first 2xx) ──▶ sink.notify(OnAnswer, snapshot)
//!  Ended(cause)          ──▶ sink.notify(OnHangup, snapshot with end_cause)
//!  TimeoutTrigger        ──▶ task: sink.on_timeout(snapshot).await ──cast──▶ TimeoutDecision
//!                            (no sink: Dialog::decide_timeout(now, Expire) at once)
//! ```

use dialogd_dialog::{Dialog, TimeoutDecision, TriggerKind};
use tracing::Instrument;

use crate::context::ProxyContext;
use crate::dialog_actor::DialogMsg;
use crate::registry::DialogHandle;

/// Sends `on_answer` / `on_hangup` for `dialog` as it is now, if it has trigger names and a
/// sink is set.
pub fn notify(ctx: &ProxyContext, dialog: &Dialog, kind: TriggerKind) {
    if dialog.triggers().is_empty() {
        return;
    }
    if let Some(sink) = ctx.trigger_sink.get() {
        tracing::debug!(trigger = kind.as_str(), "trigger notified");
        sink.notify(kind, snapshot(ctx, dialog));
    }
}

/// The dialog's timeout fired and it has trigger names: asks the sink in the background (the
/// answer comes back as [`DialogMsg::TimeoutDecision`]) or, without one, expires the dialog
/// now (its outputs are left for the caller to drive).
pub fn ask_on_timeout(ctx: &ProxyContext, dialog: &mut Dialog, me: &DialogHandle) {
    let Some(sink) = ctx.trigger_sink.get() else {
        tracing::info!("dialog timeout fired; no trigger sink: expired");
        dialog.decide_timeout(crate::clock::now(), TimeoutDecision::Expire);
        return;
    };
    tracing::info!(triggers = ?dialog.triggers(), "dialog timeout fired; asking on_timeout");
    let pending = sink.on_timeout(snapshot(ctx, dialog));
    let me = me.clone();
    tokio::spawn(
        async move {
            let decision = pending.await;
            tracing::info!(?decision, "on_timeout decided");
            // The dialog may have ended meanwhile (BYE, detach): nothing left to decide.
            me.cast(DialogMsg::TimeoutDecision(decision));
        }
        .instrument(tracing::Span::current()),
    );
}

fn snapshot(ctx: &ProxyContext, dialog: &Dialog) -> dialogd_dialog::DialogSnapshot {
    dialog.snapshot(crate::clock::now(), u64::from(ctx.settings.node_id))
}
