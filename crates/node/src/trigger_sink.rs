//! [`ClusterTriggers`]: the proxy's [`TriggerSink`] for a node of a cluster. A dialog's
//! trigger goes to a controller connected to this node if one serves the name, else to the
//! other members in turn (`NodeForward.OfferTrigger`), so a controller connected to any node
//! gets the triggers of the dialogs every node owns. `on_timeout` waits at most the
//! configured decision time over all of it; nobody serving, no answer, or an error expires
//! the dialog, as OpenSIPS does when its on_timeout route does not raise the timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use dialogd_api::pb::{self, OfferOutcome};
use dialogd_api::triggers::convert::{decision_from_proto, kind_to_proto, unix_ms};
use dialogd_api::triggers::hub::{Offer, TriggerHub};
use dialogd_dialog::{BoxFuture, DialogSnapshot, TimeoutDecision, TriggerKind, TriggerSink};

use crate::owners::Owners;

/// The node's trigger sink.
pub struct ClusterTriggers {
    pub hub: Arc<TriggerHub>,
    pub owners: Arc<Owners>,
    /// How long `on_timeout` waits for a decision.
    pub decision_timeout: Duration,
    /// Rotates the first peer asked.
    next_peer: AtomicUsize,
}

impl ClusterTriggers {
    pub fn new(hub: Arc<TriggerHub>, owners: Arc<Owners>, decision_timeout: Duration) -> Self {
        ClusterTriggers {
            hub,
            owners,
            decision_timeout,
            next_peer: AtomicUsize::new(0),
        }
    }

    /// Offers one trigger under each of the dialog's names in turn until a controller takes
    /// it; the decision for `on_timeout`.
    async fn deliver(
        &self,
        kind: TriggerKind,
        dialog: DialogSnapshot,
        deadline: Option<SystemTime>,
    ) -> Option<TimeoutDecision> {
        for name in &dialog.triggers {
            match self.hub.offer(kind, name, dialog.clone(), deadline).await {
                Offer::Delivered(d) => return d,
                Offer::NoAnswer => return None,
                Offer::NoController => {}
            }
            let start = self.next_peer.fetch_add(1, Ordering::Relaxed);
            for peer in self.owners.peers(start) {
                match self.offer_to(peer, kind, name, &dialog, deadline).await {
                    Ok(PeerOffer::Taken(d)) => return d,
                    Ok(PeerOffer::NotServed) => {}
                    Err(e) => {
                        tracing::debug!(peer, error = %e, "trigger not offered to peer");
                    }
                }
            }
        }
        tracing::debug!(did = %dialog.did, kind = kind.as_str(), "no controller took the trigger");
        None
    }

    async fn offer_to(
        &self,
        peer: u64,
        kind: TriggerKind,
        name: &str,
        dialog: &DialogSnapshot,
        deadline: Option<SystemTime>,
    ) -> Result<PeerOffer, String> {
        let mut client = self
            .owners
            .client(peer)
            .map_err(|e| e.to_string())?
            .raw_node_forward();
        let deadline_unix_ms = deadline.map_or(0, unix_ms);
        let mut req = tonic::Request::new(pb::OfferTriggerRequest {
            from_node: self.owners.node_id(),
            trigger: Some(pb::Trigger {
                trigger_id: 0,
                kind: kind_to_proto(kind) as i32,
                name: name.to_owned(),
                dialog: Some(pb::Dialog::from(dialog)),
                deadline_unix_ms,
            }),
        });
        if let Some(d) = deadline {
            // The peer waits for its controller until the deadline; give the call that long.
            let left = d.duration_since(SystemTime::now()).unwrap_or_default();
            req.set_timeout(left + Duration::from_millis(500));
        }
        let resp = client
            .offer_trigger(req)
            .await
            .map_err(|s| format!("{:?}: {}", s.code(), s.message()))?
            .into_inner();
        match OfferOutcome::try_from(resp.outcome) {
            Ok(OfferOutcome::Delivered) => Ok(PeerOffer::Taken(
                resp.decision
                    .and_then(|d| decision_from_proto(&d).ok())
                    .map(|(_, d)| d),
            )),
            Ok(OfferOutcome::NoAnswer) => Ok(PeerOffer::Taken(None)),
            _ => Ok(PeerOffer::NotServed),
        }
    }
}

enum PeerOffer {
    /// A controller there took it (with its decision for `on_timeout`, if any came).
    Taken(Option<TimeoutDecision>),
    NotServed,
}

/// The proxy's handle on the node's [`ClusterTriggers`].
pub struct TriggerSinkHandle(pub Arc<ClusterTriggers>);

impl TriggerSink for TriggerSinkHandle {
    fn notify(&self, kind: TriggerKind, dialog: DialogSnapshot) {
        let this = self.0.clone();
        tokio::spawn(async move {
            this.deliver(kind, dialog, None).await;
        });
    }

    fn on_timeout(&self, dialog: DialogSnapshot) -> BoxFuture<'static, TimeoutDecision> {
        let this = self.0.clone();
        Box::pin(async move {
            let deadline = SystemTime::now() + this.decision_timeout;
            let work = this.deliver(TriggerKind::OnTimeout, dialog, Some(deadline));
            // Bounded whatever the peers do.
            match tokio::time::timeout(this.decision_timeout + Duration::from_secs(1), work).await {
                Ok(Some(d)) => d,
                Ok(None) | Err(_) => TimeoutDecision::Expire,
            }
        })
    }
}
