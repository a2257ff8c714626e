//! [`Proxy`]: starts the proxy on bound sockets and runs the dispatcher loop; the handle the
//! node and the API use to look at and steer dialogs (end, timeout, vars, flags, profiles,
//! triggers — the last four through [`crate::dialog_actor::commands`]) and to plug in the trigger
//! sink.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use std::time::Duration;

use dialogd_dialog::{
    Admission, DialogId, DialogRecord, DialogSnapshot, Leg, ProfileKey, Stats, TriggerSink,
};
use ractor::RpcReplyPort;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

use crate::context::{ProxyContext, ProxySettings};
use crate::dialog_actor::DialogMsg;
use crate::dialog_actor::commands::DialogCommand;
use crate::dns::Resolver;
use crate::events::{EVENT_CAPACITY, EventBus};
use crate::flood::SharedFloodGuard;
use crate::message_path::did::DidCodec;
use crate::message_path::dispatch::dispatch;
use crate::policy::Policy;
use crate::registry::Registry;
use crate::transaction::table::TransactionTable;
use crate::transport::Transports;

/// Messages waiting for the dispatcher; past this, UDP datagrams are dropped (and counted)
/// and TCP readers wait.
pub const INBOUND_QUEUE: usize = 4096;

/// Why a command on a live dialog was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// Unknown to this node, or already ended.
    #[error("dialog {0} not found")]
    NotFound(DialogId),
    #[error(
        "dialog {0} is not confirmed: only answered calls take BYE, REFER and other in-dialog requests from the proxy"
    )]
    NotConfirmed(DialogId),
    /// A bad value in the command (flag index, empty variable name, trigger name).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The profile already holds `limit` dialogs cluster-wide.
    #[error("profile {key} is full (limit {limit})")]
    ProfileFull { key: ProfileKey, limit: u32 },
    #[error("dialog {0} is not in profile {1}")]
    NotInProfile(DialogId, ProfileKey),
    #[error("dialog {0} has no variable {1:?}")]
    VarNotSet(DialogId, String),
    /// The profile store cannot decide now (no quorum, shutting down): retry later.
    #[error("profile store unavailable: {0}")]
    Unavailable(String),
    /// A request the proxy sent for the API got a final response other than 2xx.
    #[error("dialog {did}: the {leg} answered the {method} with {code}")]
    Refused {
        did: DialogId,
        leg: &'static str,
        method: &'static str,
        code: u16,
    },
    /// The call is not in a state the command needs (already on hold, not on hold, no SDP
    /// known, a transfer under way).
    #[error("dialog {did}: {why}")]
    Precondition { did: DialogId, why: String },
    /// A request the proxy sent for the API got no final response in time (or could not be
    /// sent); it may still be answered later.
    #[error("dialog {did}: no final response to the {method} sent to the {leg} ({why})")]
    NoAnswer {
        did: DialogId,
        leg: &'static str,
        method: &'static str,
        why: String,
    },
}

/// A running proxy.
#[derive(Debug, Clone)]
pub struct Proxy {
    pub(crate) ctx: Arc<ProxyContext>,
}

impl Proxy {
    /// Starts transports and the dispatcher on the given sockets. Call inside a tokio runtime.
    pub fn start(
        settings: ProxySettings,
        udp: UdpSocket,
        tcp: TcpListener,
        admission: Arc<dyn Admission>,
        policy: Policy,
        secret: &[u8],
        seq_start: u64,
    ) -> std::io::Result<Proxy> {
        let (tx, mut rx) = mpsc::channel(INBOUND_QUEUE);
        let transports = Transports::start(udp, tcp, tx, settings.transport.clone())?;
        let settings_node = settings.node_id;
        let max_transactions = settings.limits.max_transactions;
        let dns = Resolver::new(settings.dns.clone()).map_err(std::io::Error::other)?;
        let flood = SharedFloodGuard::new(settings.flood.clone());
        let ctx = Arc::new(ProxyContext {
            registry: Arc::new(Registry::new(settings.node_id, seq_start)),
            settings,
            transports,
            transactions: TransactionTable::default(),
            finished: crate::transaction::finished::FinishedTransactions::new(max_transactions),
            admission,
            policy,
            did: DidCodec::new(secret),
            load: Arc::default(),
            flood,
            dns,
            events: EventBus::new(u64::from(settings_node), EVENT_CAPACITY),
            trigger_sink: OnceLock::new(),
            owner_link: OnceLock::new(),
            adoptions: tokio::sync::Mutex::new(()),
        });
        ctx.registry.bind(&ctx);
        tokio::spawn(expire_finished(Arc::downgrade(&ctx)));
        let dctx = ctx.clone();
        tokio::spawn(async move {
            while let Some(inbound) = rx.recv().await {
                dispatch(&dctx, inbound).await;
            }
        });
        Ok(Proxy { ctx })
    }

    /// The shared context (for tests and wiring).
    pub fn context(&self) -> &Arc<ProxyContext> {
        &self.ctx
    }

    /// A receiver of this node's dialog events from now on ([`crate::events::EventBus`]).
    pub fn subscribe_events(
        &self,
    ) -> tokio::sync::broadcast::Receiver<dialogd_dialog::DialogEvent> {
        self.ctx.events.subscribe()
    }

    /// The node's counters.
    pub fn stats(&self) -> Stats {
        self.ctx.registry.stats()
    }

    /// A dialog's current view.
    pub async fn snapshot(&self, did: DialogId) -> Option<DialogSnapshot> {
        let node = u64::from(self.ctx.settings.node_id);
        self.ctx.registry.snapshot(did, node).await
    }

    /// Live dialogs' views with an id above `after`, ordered by id.
    pub async fn snapshots_after(&self, after: Option<DialogId>) -> Vec<DialogSnapshot> {
        let mut out = Vec::new();
        for did in self.ctx.registry.ids() {
            if after.is_some_and(|a| did <= a) {
                continue;
            }
            if let Some(s) = self.snapshot(did).await {
                out.push(s);
            }
        }
        out
    }

    /// Views of the live dialogs with this Call-ID.
    pub async fn snapshots_by_call_id(&self, call_id: &str) -> Vec<DialogSnapshot> {
        let mut out = Vec::new();
        let node = u64::from(self.ctx.settings.node_id);
        for h in self.ctx.registry.by_call_id(call_id) {
            if let Some(s) = h.snapshot(node).await {
                out.push(s);
            }
        }
        out
    }

    /// Ends a dialog from the API: BYE to `legs` with `extra_headers`, cause `api`.
    pub async fn end(
        &self,
        did: DialogId,
        legs: &[Leg],
        extra_headers: Vec<String>,
    ) -> Result<(), ControlError> {
        let h = self
            .ctx
            .registry
            .get(did)
            .ok_or(ControlError::NotFound(did))?;
        let legs = legs.to_vec();
        match h
            .call(|reply| DialogMsg::End(legs, extra_headers, reply))
            .await
        {
            Some(true) => Ok(()),
            Some(false) => Err(ControlError::NotConfirmed(did)),
            None => Err(ControlError::NotFound(did)),
        }
    }

    /// Sets a dialog's timeout to `timeout` from now (replicated, `timeout_changed` event).
    pub async fn set_timeout(&self, did: DialogId, timeout: Duration) -> Result<(), ControlError> {
        let h = self
            .ctx
            .registry
            .get(did)
            .ok_or(ControlError::NotFound(did))?;
        match h.call(|reply| DialogMsg::SetTimeout(timeout, reply)).await {
            Some(true) => Ok(()),
            Some(false) | None => Err(ControlError::NotFound(did)),
        }
    }

    /// Where dialogs with trigger names send `on_answer`, `on_timeout` and `on_hangup` from
    /// now on. Set once: a later call is ignored (logged).
    pub fn set_trigger_sink(&self, sink: Arc<dyn TriggerSink>) {
        if self.ctx.trigger_sink.set(sink).is_err() {
            tracing::warn!("trigger sink already set; the new one is ignored");
        }
    }

    /// Sets how this node asks other members' dialog actors ([`crate::owner_link`]); once.
    pub fn set_owner_link(&self, link: Arc<dyn crate::owner_link::OwnerLink>) {
        if self.ctx.owner_link.set(link).is_err() {
            tracing::warn!("owner link already set; the new one is ignored");
        }
    }

    /// Another member asks this node's actor of `did` to judge an in-dialog request it
    /// received ([`crate::owner_link`]): the actor's answer, or `NotDriving` when no actor
    /// here drives the dialog. The asking member proxies the request; this node sends nothing.
    pub async fn judge_for_member(
        &self,
        did: DialogId,
        request: dialogd_sip::SipMessage,
    ) -> crate::owner_link::OwnerAnswer {
        use crate::owner_link::OwnerAnswer;
        let Some(h) = self.ctx.registry.get(did) else {
            return OwnerAnswer::NotDriving;
        };
        let request = Box::new(request);
        match h
            .call(|reply| DialogMsg::Request(request, true, reply))
            .await
        {
            Some(answer) => OwnerAnswer::Judged(answer),
            // The actor stopped on the way (the dialog ended or moved).
            None => OwnerAnswer::NotDriving,
        }
    }

    /// Another member relayed the 2xx of a re-INVITE or UPDATE of `did`: the SDP `leg`
    /// answered with, for hold. Ignored when no actor here drives the dialog.
    pub fn note_media_from_member(&self, did: DialogId, leg: dialogd_dialog::Leg, sdp: &[u8]) {
        if let Some(h) = self.ctx.registry.get(did) {
            h.note_sdp(leg, sdp);
        }
    }

    /// Sets dialog variable `name` (Kamailio `$dlg_var`); `vars_changed` event, replicated.
    pub async fn set_var(
        &self,
        did: DialogId,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<(), ControlError> {
        let (name, value) = (name.into(), value.into());
        self.command(did, |reply| DialogCommand::SetVar { name, value, reply })
            .await
    }

    /// Removes dialog variable `name`; [`ControlError::VarNotSet`] if it is not set.
    pub async fn unset_var(
        &self,
        did: DialogId,
        name: impl Into<String>,
    ) -> Result<(), ControlError> {
        let name = name.into();
        self.command(did, |reply| DialogCommand::UnsetVar { name, reply })
            .await
    }

    /// A dialog's variables.
    pub async fn vars(&self, did: DialogId) -> Result<BTreeMap<String, String>, ControlError> {
        self.command(did, DialogCommand::Vars).await
    }

    /// Sets flag `index` (0..=31, OpenSIPS `set_dlg_flag`); answers all 32 flags.
    pub async fn set_flag(&self, did: DialogId, index: u32) -> Result<u32, ControlError> {
        self.command(did, |reply| DialogCommand::SetFlag { index, reply })
            .await
    }

    /// Clears flag `index` (0..=31, OpenSIPS `reset_dlg_flag`); answers all 32 flags.
    pub async fn reset_flag(&self, did: DialogId, index: u32) -> Result<u32, ControlError> {
        self.command(did, |reply| DialogCommand::ResetFlag { index, reply })
            .await
    }

    /// Counts a live dialog in profile `key` too (OpenSIPS `set_dlg_profile`): the profile
    /// store admits it first, enforcing `limit` cluster-wide ([`ControlError::ProfileFull`]).
    /// Already in it: Ok, nothing changes.
    pub async fn add_profile(
        &self,
        did: DialogId,
        key: ProfileKey,
        limit: Option<u32>,
    ) -> Result<(), ControlError> {
        self.command(did, |reply| DialogCommand::AddProfile { key, limit, reply })
            .await
    }

    /// Stops counting a live dialog in profile `key` (OpenSIPS `unset_dlg_profile`);
    /// [`ControlError::NotInProfile`] if it was not in it.
    pub async fn remove_profile(&self, did: DialogId, key: ProfileKey) -> Result<(), ControlError> {
        self.command(did, |reply| DialogCommand::RemoveProfile { key, reply })
            .await
    }

    /// Replaces a dialog's trigger names (each 1 to 64 of letters, digits, `_`, `-`, `.`;
    /// empty: none). A dialog answered already gets no `on_answer`.
    pub async fn set_triggers(
        &self,
        did: DialogId,
        triggers: Vec<String>,
    ) -> Result<(), ControlError> {
        self.command(did, |reply| DialogCommand::SetTriggers { triggers, reply })
            .await
    }

    /// Sends a command to the dialog's actor and waits for its answer.
    pub(crate) async fn command<T: Send + 'static>(
        &self,
        did: DialogId,
        build: impl FnOnce(RpcReplyPort<Result<T, ControlError>>) -> DialogCommand,
    ) -> Result<T, ControlError> {
        let h = self
            .ctx
            .registry
            .get(did)
            .ok_or(ControlError::NotFound(did))?;
        match h.call(|port| DialogMsg::Control(build(port))).await {
            Some(answer) => answer,
            // The actor stopped on the way (the dialog ended or moved to another node).
            None => Err(ControlError::NotFound(did)),
        }
    }

    /// Takes over a dialog the cluster says this node owns ([`crate::adoption::adopt`]).
    pub async fn adopt(&self, did: DialogId, record: Option<&DialogRecord>) {
        crate::adoption::adopt(&self.ctx, did, record).await;
    }

    /// Stops driving a dialog another node owns now (no BYE, no release).
    pub fn disown(&self, did: DialogId) {
        // A parked dialog has no actor to tell: it is simply forgotten.
        if self.ctx.registry.detach_parked(did) {
            tracing::info!(%did, "parked dialog detached from this node");
            return;
        }
        if let Some(h) = self.ctx.registry.get(did) {
            h.cast(DialogMsg::Detach);
        }
    }

    /// Another node released the dialog (it proxied a BYE for it): the local actor ends as
    /// if it had seen the BYE, without sending or releasing anything.
    pub fn ended_elsewhere(&self, did: DialogId, cause: dialogd_dialog::EndCause) {
        if let Some(h) = self.ctx.registry.get(did) {
            h.cast(DialogMsg::EndedElsewhere(cause));
        }
    }

    /// Stops the transports and detaches every dialog actor: the dialogs stay admitted in the
    /// cluster, and this node (after a restart) or another (after the takeover grace) drives
    /// them on.
    pub fn shutdown(&self) {
        self.ctx.transports.shutdown();
        for did in self.ctx.registry.ids() {
            self.disown(did);
        }
    }
}

/// How often finished transactions past their deadline are dropped when no new one comes.
const EXPIRE_EVERY: Duration = Duration::from_secs(1);

/// Drops expired finished transactions every [`EXPIRE_EVERY`]; ends with the proxy.
async fn expire_finished(ctx: std::sync::Weak<ProxyContext>) {
    let mut tick = tokio::time::interval(EXPIRE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(ctx) = ctx.upgrade() else { return };
        ctx.finished.expire(crate::clock::now());
    }
}
