//! [`ClusterNode`]: this node's member of the Raft group. It opens the durable store, starts
//! openraft, and offers what the rest of the node needs: [`write`](ClusterNode::write) a
//! command (locally if leader, else forwarded to the leader, within the write timeout),
//! [`read`](ClusterNode::read) the state machine linearizably (read index at the leader) or
//! stale, and the ownership feed that tells the proxy which dialogs to adopt or drop.
//!
//! ```text
//!  proxy ─Admission─▶ RaftStore ─▶ ClusterNode::write ─┬─ leader: Raft::client_write
//!                                                      └─ follower: Peers::call(leader, Write)
//!  background: membership (join), takeover (heartbeats, reassign), pending releases
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

// tokio's clock: it follows paused/simulated time in tests (turmoil).
use tokio::time::Instant;

use dialogd_dialog::{DialogId, DialogRecord};
use openraft::error::{ClientWriteError, RaftError};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::cluster_state::ClusterState;
use crate::command::{Command, CommandResult};
use crate::network::{Connector, ForwardError, Network, Peers, ReadReply, ReadRequest, Rpc};
use crate::pending::PendingReleases;
use crate::raft_types::{Node, NodeId, Raft};
use crate::settings::ClusterSettings;
use crate::store::{self, StateMachineStore, StoreHealth};
use crate::write_queue::WriteQueue;

/// What the proxy must do with a dialog because of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    /// This node owns the dialog now (takeover, or restart): start its actor from the record
    /// if it is confirmed, else release it (`takeover_lost`), unless it runs here already.
    Adopt(DialogId, Option<Box<DialogRecord>>),
    /// Another node drives it now: stop the local actor without ending the dialog.
    Disown(DialogId),
    /// Released by another node (a BYE it proxied for this node): end the local actor as
    /// the dialog ended (events, triggers), without a BYE or a release of its own.
    Ended(DialogId, dialogd_dialog::EndCause),
}

/// Why a cluster operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// No leader or no quorum within the time allowed.
    #[error("cluster unavailable: {0}")]
    Unavailable(String),
    /// The request was refused (bad membership change ...).
    #[error("{0}")]
    Rejected(String),
    /// The store on disk failed.
    #[error("storage: {0}")]
    Storage(String),
}

/// This node's part of the cluster.
pub struct ClusterNode {
    pub(crate) settings: ClusterSettings,
    pub(crate) raft: Raft,
    pub(crate) sm: StateMachineStore,
    /// The Raft store's failure and write in progress ([`crate::liveness`]).
    pub(crate) store_health: StoreHealth,
    pub(crate) peers: Peers,
    pub(crate) pending: PendingReleases,
    /// Leader only: when each member was last heard from.
    pub(crate) last_seen: Mutex<HashMap<NodeId, Instant>>,
    pub(crate) ownership: mpsc::UnboundedSender<Ownership>,
    pub(crate) stop: CancellationToken,
    /// This node's writes, batched into entries.
    pub(crate) writes: WriteQueue,
}

impl std::fmt::Debug for ClusterNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterNode")
            .field("node_id", &self.settings.node_id)
            .finish_non_exhaustive()
    }
}

impl ClusterNode {
    /// Opens the store in `settings.data_dir`, starts Raft and the background tasks, and
    /// returns the node with the feed of dialogs to adopt or drop.
    pub async fn start(
        settings: ClusterSettings,
        connector: Connector,
    ) -> Result<(Arc<ClusterNode>, mpsc::UnboundedReceiver<Ownership>), ClusterError> {
        std::fs::create_dir_all(&settings.data_dir)
            .map_err(|e| ClusterError::Storage(format!("{}: {e}", settings.data_dir.display())))?;
        let (log, sm) = store::open(&settings.data_dir, settings.fsync)
            .map_err(|e| ClusterError::Storage(e.to_string()))?;
        let store_health = log.health();
        let pending = PendingReleases::open(&settings.data_dir.join("pending.redb"))
            .map_err(|e| ClusterError::Storage(e.to_string()))?;
        let (changes_tx, changes_rx) = mpsc::unbounded_channel();
        sm.set_owner_changes(changes_tx);
        let config = openraft::Config {
            cluster_name: "dialogd".into(),
            heartbeat_interval: settings.heartbeat.as_millis() as u64,
            election_timeout_min: settings.election_timeout.0.as_millis() as u64,
            election_timeout_max: settings.election_timeout.1.as_millis() as u64,
            install_snapshot_timeout: 10_000,
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(20_000),
            max_in_snapshot_log_to_keep: 1_000,
            ..Default::default()
        };
        let config = Arc::new(
            config
                .validate()
                .map_err(|e| ClusterError::Rejected(format!("raft config: {e}")))?,
        );
        let peers = Peers::new(connector, &settings.secret);
        let network = Network {
            peers: peers.clone(),
        };
        let raft = Raft::new(settings.node_id, config, network, log, sm.clone())
            .await
            .map_err(|e| ClusterError::Storage(format!("raft start: {e}")))?;
        let (own_tx, own_rx) = mpsc::unbounded_channel();
        let (writes, writes_rx) = WriteQueue::new();
        let node = Arc::new(ClusterNode {
            settings,
            raft,
            sm,
            store_health,
            peers,
            pending,
            last_seen: Mutex::new(HashMap::new()),
            ownership: own_tx,
            stop: CancellationToken::new(),
            writes,
        });
        writes_rx.spawn(&node);
        node.bootstrap().await?;
        crate::membership::spawn_join(&node);
        crate::takeover::spawn(&node, changes_rx);
        crate::pending::spawn_flusher(&node);
        Ok((node, own_rx))
    }

    /// A node with no peers to join and no Raft state initializes a cluster of itself.
    async fn bootstrap(&self) -> Result<(), ClusterError> {
        if !self.settings.join.is_empty() {
            return Ok(());
        }
        let initialized = self
            .raft
            .is_initialized()
            .await
            .map_err(|e| ClusterError::Storage(e.to_string()))?;
        if !initialized {
            let mut members = std::collections::BTreeMap::new();
            members.insert(
                self.settings.node_id,
                Node {
                    addr: self.settings.advertise.clone(),
                },
            );
            if let Err(e) = self.raft.initialize(members).await {
                tracing::warn!(error = %e, "raft initialize");
            }
        }
        Ok(())
    }

    pub fn node_id(&self) -> NodeId {
        self.settings.node_id
    }

    pub fn settings(&self) -> &ClusterSettings {
        &self.settings
    }

    /// The Raft handle (the node-to-node service feeds it).
    pub fn raft(&self) -> &Raft {
        &self.raft
    }

    /// The replicated state as this node has applied it (possibly stale).
    pub fn state(&self) -> Arc<RwLock<ClusterState>> {
        self.sm.state()
    }

    /// The leader as this node knows it: id and gRPC URL.
    pub fn leader(&self) -> Option<(NodeId, String)> {
        let m = self.raft.metrics().borrow().clone();
        let id = m.current_leader?;
        let addr = m
            .membership_config
            .membership()
            .get_node(&id)
            .map(|n| n.addr.clone())?;
        Some((id, addr))
    }

    pub fn is_leader(&self) -> bool {
        self.raft.metrics().borrow().current_leader == Some(self.settings.node_id)
    }

    /// Runs `call` (a request forwarded to `leader`) until it answers, or `None` as soon as this
    /// node no longer sees `leader` as the leader: a frozen or cut-off leader accepts the
    /// connection and never answers, and waiting the whole write timeout for it would turn the
    /// election that replaces it into failed calls. The request is retried at the new leader;
    /// writes are idempotent per dialog id (a retried admission answers `Duplicate`).
    async fn unless_leader_changes<F: std::future::Future>(
        &self,
        leader: Option<NodeId>,
        call: F,
    ) -> Option<F::Output> {
        let mut metrics = self.raft.metrics();
        let changed = async move {
            loop {
                if metrics.borrow_and_update().current_leader != leader {
                    return;
                }
                if metrics.changed().await.is_err() {
                    // Raft shut down: only the call's own timeout ends the wait.
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            r = call => Some(r),
            () = changed => None,
        }
    }

    /// Commits `cmd` (with whatever else this node writes meanwhile, [`WriteQueue`]) and
    /// answers its result, or fails after the write timeout. A write that timed out may still
    /// commit later: callers that must not leave it applied (admission) compensate
    /// ([`crate::RaftStore`]).
    pub async fn write(&self, cmd: Command) -> Result<CommandResult, ClusterError> {
        let deadline = Instant::now() + self.settings.write_timeout;
        self.writes.write(cmd, deadline).await
    }

    /// Why a new admission should be refused now, if it should: this node's writes are
    /// backed up ([`WriteQueue::congested`]).
    pub fn congested(&self) -> Option<String> {
        self.writes.congested()
    }

    /// Commits `cmd` as one entry (locally if leader, else forwarded to the leader), retrying
    /// through elections until `deadline`.
    pub(crate) async fn commit(
        &self,
        cmd: Command,
        deadline: Instant,
    ) -> Result<CommandResult, ClusterError> {
        let mut last = String::from("no leader");
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ClusterError::Unavailable(format!(
                    "not committed within {:?}: {last}",
                    self.settings.write_timeout
                )));
            }
            match tokio::time::timeout(left, self.raft.client_write(cmd.clone())).await {
                Err(_) => last = self.why_not_committed(),
                Ok(Ok(resp)) => return Ok(resp.data),
                Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f)))) => {
                    match f.leader_node {
                        Some(leader) => {
                            let call = self.peers.call(&leader.addr, Rpc::Write, &cmd, left);
                            let r: Option<Result<Result<CommandResult, ForwardError>, _>> =
                                self.unless_leader_changes(f.leader_id, call).await;
                            match r {
                                Some(Ok(Ok(result))) => return Ok(result),
                                Some(Ok(Err(e))) => last = e.to_string(),
                                Some(Err(e)) => last = e.to_string(),
                                None => last = "the leader changed".into(),
                            }
                        }
                        None => last = "election in progress".into(),
                    }
                }
                Ok(Err(e)) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(50).min(left)).await;
        }
    }

    /// Commits `cmd` only if this node is the leader (the node-to-node Write handler).
    pub(crate) async fn write_as_leader(
        &self,
        cmd: Command,
    ) -> Result<CommandResult, ForwardError> {
        let timeout = self.settings.write_timeout;
        match tokio::time::timeout(timeout, self.raft.client_write(cmd)).await {
            Err(_) => Err(ForwardError::Unavailable(format!(
                "not committed within {timeout:?}"
            ))),
            Ok(Ok(resp)) => Ok(resp.data),
            Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_)))) => {
                Err(ForwardError::NotLeader {
                    leader: self.leader(),
                })
            }
            Ok(Err(e)) => Err(ForwardError::Unavailable(e.to_string())),
        }
    }

    /// Answers `req` from the state machine: `stale` reads this node's copy; otherwise the
    /// leader confirms its leadership first (read index) and answers.
    pub async fn read(&self, req: ReadRequest, stale: bool) -> Result<ReadReply, ClusterError> {
        if stale {
            return Ok(self.read_local(&req));
        }
        let deadline = Instant::now() + self.settings.write_timeout;
        let mut last = String::from("no leader");
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ClusterError::Unavailable(format!(
                    "no linearizable read within {:?}: {last}",
                    self.settings.write_timeout
                )));
            }
            if self.is_leader() {
                match self.read_as_leader(&req).await {
                    Ok(r) => return Ok(r),
                    Err(e) => last = e.to_string(),
                }
            } else if let Some((id, addr)) = self.leader() {
                let call = self.peers.call(&addr, Rpc::Read, &req, left);
                let r: Option<Result<Result<ReadReply, ForwardError>, _>> =
                    self.unless_leader_changes(Some(id), call).await;
                match r {
                    Some(Ok(Ok(reply))) => return Ok(reply),
                    Some(Ok(Err(e))) => last = e.to_string(),
                    Some(Err(e)) => last = e.to_string(),
                    None => last = "the leader changed".into(),
                }
            }
            tokio::time::sleep(Duration::from_millis(50).min(left)).await;
        }
    }

    /// Read index at the leader, then the local state machine.
    pub(crate) async fn read_as_leader(
        &self,
        req: &ReadRequest,
    ) -> Result<ReadReply, ForwardError> {
        let timeout = self.settings.write_timeout;
        match tokio::time::timeout(timeout, self.raft.ensure_linearizable()).await {
            Err(_) => Err(ForwardError::Unavailable(format!(
                "leadership not confirmed within {timeout:?}"
            ))),
            Ok(Ok(read_log_id)) => match req {
                ReadRequest::ReadIndex => Ok(ReadReply::Index(read_log_id.map_or(0, |l| l.index))),
                _ => Ok(self.read_local(req)),
            },
            Ok(Err(RaftError::APIError(openraft::error::CheckIsLeaderError::ForwardToLeader(
                _,
            )))) => Err(ForwardError::NotLeader {
                leader: self.leader(),
            }),
            Ok(Err(e)) => Err(ForwardError::Unavailable(e.to_string())),
        }
    }

    pub(crate) fn read_local(&self, req: &ReadRequest) -> ReadReply {
        let state = self.sm.state();
        let s = state.read().unwrap_or_else(|e| e.into_inner());
        match req {
            ReadRequest::ProfileSize { name, value } => {
                ReadReply::Size(s.profile_size(name, value.as_deref()))
            }
            ReadRequest::ProfileDialogs { name, value } => {
                ReadReply::Dialogs(s.profile_dialogs(name, value.as_deref()))
            }
            ReadRequest::ProfileValues { name } => ReadReply::Values(s.profile_values(name)),
            ReadRequest::Counters => {
                let (early, active) = s.early_and_active();
                ReadReply::Counters(s.counters(), early, active)
            }
            ReadRequest::ReadIndex => ReadReply::Index(self.sm.applied_watch().borrow().to_owned()),
        }
    }

    /// Waits until this node has applied everything the leader had committed when asked (its
    /// read index): afterwards its own copy of the state is at least that fresh.
    pub async fn catch_up(&self) -> Result<(), ClusterError> {
        let index = match self.read(ReadRequest::ReadIndex, false).await? {
            ReadReply::Index(i) => i,
            other => {
                return Err(ClusterError::Unavailable(format!(
                    "unexpected reply {other:?}"
                )));
            }
        };
        let mut applied = self.sm.applied_watch();
        let wait = applied.wait_for(|a| *a >= index);
        match tokio::time::timeout(self.settings.write_timeout, wait).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(ClusterError::Unavailable("state machine stopped".into())),
            Err(_) => Err(ClusterError::Unavailable(format!(
                "not caught up with index {index} within {:?}",
                self.settings.write_timeout
            ))),
        }
    }

    /// Queues a release durably for the background flusher (what a release that cannot be
    /// committed now does).
    pub fn queue_release(
        &self,
        did: DialogId,
        cause: dialogd_dialog::EndCause,
    ) -> Result<(), ClusterError> {
        self.pending
            .push(did, cause)
            .map_err(|e| ClusterError::Storage(e.to_string()))
    }

    /// Stops the background tasks and Raft.
    pub async fn shutdown(&self) {
        self.stop.cancel();
        if let Err(e) = self.raft.shutdown().await {
            tracing::warn!(error = %e, "raft shutdown");
        }
    }
}
