//! Adoption: this node starts driving a dialog the cluster says it owns — another member died
//! and the leader reassigned the dialog here after the takeover grace, this node restarted
//! and owns it still, or this node claimed it because a request of the dialog reached it and
//! its owner could not judge it ([`crate::message_path::in_dialog`]).
//!
//! A confirmed dialog gets an actor restored from its record ([`Dialog::restore`]: same
//! state, CSeqs jumped). One never confirmed cannot be continued (its INVITE transaction is
//! gone with the old owner) and is released with cause `takeover_lost`. A dialog running
//! here, or created by this process, is left alone. Adoptions are serialized by
//! [`ProxyContext::adoptions`], so the takeover watcher and a claim never start two actors.

use std::sync::Arc;

use dialogd_dialog::{Dialog, DialogId, DialogRecord};

use crate::context::ProxyContext;

/// Adopts `did` from `record` (see the module doc). Returns once its actor runs (or it was
/// released, or left alone).
pub async fn adopt(ctx: &Arc<ProxyContext>, did: DialogId, record: Option<&DialogRecord>) {
    let _serial = ctx.adoptions.lock().await;
    if ctx.registry.created_here(did) || ctx.registry.get(did).is_some() {
        return;
    }
    let Some(record) = record.filter(|r| r.state.is_confirmed()) else {
        tracing::info!(%did, "dialog not confirmed when its owner was lost: released");
        metrics::counter!("dialogd_dialogs_ended_total", "cause" => "takeover_lost").increment(1);
        if let Err(e) = ctx
            .admission
            .release(did, dialogd_dialog::EndCause::TakeoverLost)
            .await
        {
            tracing::warn!(%did, error = %e, "release failed");
        }
        return;
    };
    let dialog = Dialog::restore(
        record,
        crate::clock::now(),
        crate::message_path::initial::unix_ms(),
    );
    tracing::info!(did = %record.did, call_id = %record.call_id, "dialog adopted");
    metrics::counter!("dialogd_dialogs_adopted_total").increment(1);
    if let Err(e) = crate::dialog_actor::spawn(ctx, dialog).await {
        tracing::error!(did = %record.did, error = %e, "adopted dialog's actor failed to start");
    }
}
