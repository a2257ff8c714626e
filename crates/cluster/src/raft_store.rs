//! [`RaftStore`]: the profile store of a cluster behind the proxy's
//! [`Admission`] trait. Every call is one Raft command or one read:
//!
//! | call | Raft | when the cluster cannot commit |
//! |---|---|---|
//! | `admit` | `Admit` (checks every limit, inserts record + memberships) | `Unavailable` (503); a release is queued in case the admit commits later |
//! | `update` | `Update` (record replaced) | logged; the record lags until the next write |
//! | `release` | `Release` | queued durably ([`crate::PendingReleases`]), committed later; `Ok` |
//! | `add_profile` / `remove_profile` | `AddProfile` / `RemoveProfile` | `Unavailable` |
//! | `profile_*` | linearizable read at the leader (or stale, if configured) | `Unavailable` |

use std::sync::Arc;

use dialogd_dialog::{
    Admission, AdmitError, AdmitRequest, BoxFuture, DialogId, DialogRecord, EndCause, ProfileKey,
    ProfileMembership, ProfileValues,
};

use crate::cluster_node::{ClusterError, ClusterNode};
use crate::cluster_state::DialogEntry;
use crate::command::{Command, CommandResult};
use crate::network::{ReadReply, ReadRequest};
use crate::settings::NoQuorum;

/// The Raft-backed profile store.
#[derive(Debug, Clone)]
pub struct RaftStore {
    node: Arc<ClusterNode>,
    /// Answer profile reads from this node's copy (possibly behind) instead of the leader's.
    stale_reads: bool,
}

impl RaftStore {
    pub fn new(node: Arc<ClusterNode>, stale_reads: bool) -> RaftStore {
        RaftStore { node, stale_reads }
    }

    pub fn node(&self) -> &Arc<ClusterNode> {
        &self.node
    }

    async fn read(&self, req: ReadRequest) -> Result<ReadReply, AdmitError> {
        self.node
            .read(req, self.stale_reads)
            .await
            .map_err(unavailable)
    }
}

fn unavailable(e: ClusterError) -> AdmitError {
    AdmitError::Unavailable(e.to_string())
}

fn unexpected(r: &CommandResult) -> AdmitError {
    AdmitError::Unavailable(format!("unexpected result {r:?}"))
}

impl RaftStore {
    /// `on_no_quorum = "admit_local"`: checks the limits against this node's copy plus its
    /// own queued admissions, and queues the admission durably (`AdmitForced`, committed when
    /// quorum returns). Other nodes may admit meanwhile: the overshoot is reported then.
    fn admit_local(&self, req: AdmitRequest, why: ClusterError) -> Result<(), AdmitError> {
        let queued = self
            .node
            .pending
            .admits()
            .map_err(|e| AdmitError::Unavailable(e.to_string()))?;
        {
            let state = self.node.state();
            let s = state.read().unwrap_or_else(|e| e.into_inner());
            for m in &req.profiles {
                let Some(limit) = m.limit else { continue };
                let mine = queued
                    .iter()
                    .filter(|(_, c)| match c {
                        Command::AdmitForced { profiles, .. } => {
                            profiles.iter().any(|p| p.key == m.key)
                        }
                        _ => false,
                    })
                    .count() as u64;
                if s.size(&m.key) + mine >= u64::from(limit) {
                    return Err(AdmitError::LimitReached {
                        key: m.key.clone(),
                        limit,
                    });
                }
            }
        }
        let cmd = Command::AdmitForced {
            did: req.did,
            owner: self.node.node_id(),
            profiles: req.profiles,
            record: req.record,
        };
        self.node
            .pending
            .push_admit(req.did, &cmd)
            .map_err(|e| AdmitError::Unavailable(e.to_string()))?;
        tracing::warn!(did = %req.did, error = %why, "no quorum: admitted locally");
        metrics::counter!("dialogd_admission_local_total").increment(1);
        Ok(())
    }
}

impl RaftStore {
    /// Brings this node's copy up to the leader's read index before an ownership question;
    /// whether it could (`false`: the answer comes from this node's own, maybe stale, copy).
    ///
    /// A node that was frozen first learns it lost the leadership, then the new leader's read
    /// index: a few tries within the write timeout. A node that still cannot reach a quorum
    /// after that may be the cut-off side of a partition, whose dialogs the majority adopts
    /// after the takeover grace and times out itself: firing here too would send a second
    /// BYE. So it keeps asking (every [`OWNER_RETRY`]) until the quorum answers — the timeout
    /// fires late, after the heal, but once. `on_no_quorum = "admit_local"` (availability
    /// first) answers from the stale copy after the write timeout instead.
    async fn confirmed_read(&self, did: DialogId) -> bool {
        let settings = self.node.settings();
        let deadline = tokio::time::Instant::now() + settings.write_timeout;
        let mut warned = false;
        loop {
            match self.node.catch_up().await {
                Ok(()) => {
                    if warned {
                        tracing::info!(%did, "ownership confirmed after the quorum returned");
                    }
                    return true;
                }
                Err(e) if tokio::time::Instant::now() >= deadline => {
                    if settings.on_no_quorum == NoQuorum::AdmitLocal {
                        tracing::debug!(%did, error = %e, "ownership read on this node's copy");
                        return false;
                    }
                    if !warned {
                        tracing::warn!(%did, error = %e,
                            "a due timeout waits: no quorum to confirm this node still owns the dialog");
                        metrics::counter!("dialogd_timeouts_deferred_total").increment(1);
                        warned = true;
                    }
                    tokio::time::sleep(OWNER_RETRY).await;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
    }
}

/// How often a due timeout without quorum asks again whether this node owns the dialog.
const OWNER_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

impl Admission for RaftStore {
    fn owned_elsewhere(&self, did: DialogId, node: u64) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let linearizable = self.confirmed_read(did).await;
            let owner = {
                let state = self.node.state();
                let s = state.read().unwrap_or_else(|e| e.into_inner());
                s.dialog(did).map(|e| e.owner)
            };
            match owner {
                Some(owner) => owner != node,
                // Gone from the committed state: released (by the node that adopted it and
                // fired, or by a BYE seen elsewhere) — unless this node admitted it without
                // quorum and its admission waits in the queue. On a stale copy, fire.
                None => linearizable && !self.node.pending.has_admit(did),
            }
        })
    }

    fn record_bytes(&self, did: DialogId) -> Option<dialogd_dialog::RecordBytes> {
        let state = self.node.state();
        let s = state.read().unwrap_or_else(|e| e.into_inner());
        let stored = s.dialog(did)?.record.as_ref()?;
        stored.bytes().cloned()
    }

    fn record(&self, did: DialogId) -> BoxFuture<'_, Option<DialogRecord>> {
        Box::pin(async move {
            let local = || {
                let state = self.node.state();
                let s = state.read().unwrap_or_else(|e| e.into_inner());
                s.dialog(did).and_then(DialogEntry::record)
            };
            if let Some(record) = local() {
                return Some(record);
            }
            // Not (yet) in this node's copy: it may lag the leader by the last entries.
            // One bounded catch-up, then the copy as it is.
            let wait = self.node.settings().write_timeout;
            match tokio::time::timeout(wait, self.node.catch_up()).await {
                Ok(Ok(())) => local(),
                _ => None,
            }
        })
    }

    fn claim(
        &self,
        did: DialogId,
        from: u64,
        node: u64,
    ) -> BoxFuture<'_, Result<Option<DialogRecord>, AdmitError>> {
        Box::pin(async move {
            // The same command the leader's reassigner writes: it moves the dialog only if
            // `from` still owns it, so two members claiming at once cannot both win.
            let moved = match self
                .node
                .write(Command::Reassign {
                    moves: vec![(did, from, node)],
                })
                .await
            {
                Ok(CommandResult::Moved(n)) => n,
                Ok(other) => return Err(unexpected(&other)),
                Err(e) => return Err(unavailable(e)),
            };
            // The answer may come before this node applied the entry: read the state once it has.
            let wait = self.node.settings().write_timeout;
            let _ = tokio::time::timeout(wait, self.node.catch_up()).await;
            let state = self.node.state();
            let s = state.read().unwrap_or_else(|e| e.into_inner());
            let Some(entry) = s.dialog(did) else {
                return Ok(None);
            };
            let mut record = entry.record();
            if let Some(r) = record.as_mut() {
                r.owner = if moved == 1 { node } else { entry.owner };
            }
            Ok(record)
        })
    }

    fn admit(&self, req: AdmitRequest) -> BoxFuture<'_, Result<(), AdmitError>> {
        Box::pin(async move {
            let did = req.did;
            if let Some(why) = self.node.congested() {
                // Overloaded: a prompt 503 (nothing was written, nothing to release).
                metrics::counter!("dialogd_admission_shed_total").increment(1);
                return Err(AdmitError::Overloaded(why));
            }
            let cmd = Command::Admit {
                did,
                owner: self.node.node_id(),
                profiles: req.profiles.clone(),
                record: req.record.clone(),
            };
            let started = std::time::Instant::now();
            let r = self.node.write(cmd).await;
            metrics::histogram!("dialogd_admission_commit_seconds")
                .record(started.elapsed().as_secs_f64());
            match r {
                // Duplicate: a retried forward whose first attempt had committed (dids are
                // unique per node, so nobody else admitted this one).
                Ok(CommandResult::Ok | CommandResult::Duplicate) => Ok(()),
                Ok(CommandResult::LimitReached { key, limit }) => {
                    Err(AdmitError::LimitReached { key, limit })
                }
                Ok(other) => Err(unexpected(&other)),
                Err(e) => {
                    if self.node.settings().on_no_quorum == NoQuorum::AdmitLocal {
                        return self.admit_local(req, e);
                    }
                    // The admit may still commit after we gave up: make sure it is released.
                    if let Err(q) = self.node.pending.push(did, EndCause::Failed(503)) {
                        tracing::error!(%did, error = %q, "release queue");
                    }
                    Err(unavailable(e))
                }
            }
        })
    }

    fn update(&self, record: DialogRecord) -> BoxFuture<'_, Result<(), AdmitError>> {
        Box::pin(async move {
            let did = record.did;
            match self
                .node
                .write(Command::Update {
                    record: Box::new(record),
                })
                .await
            {
                Ok(CommandResult::Ok) => Ok(()),
                Ok(CommandResult::Unknown) => Err(AdmitError::Unknown(did)),
                Ok(other) => Err(unexpected(&other)),
                Err(e) => Err(unavailable(e)),
            }
        })
    }

    fn release(&self, did: DialogId, cause: EndCause) -> BoxFuture<'_, Result<(), AdmitError>> {
        Box::pin(async move {
            // A dialog admitted without quorum and not committed yet: its release must follow
            // its admission, which the queue guarantees (admissions are flushed first).
            let admitted_locally = self.node.pending.has_admit(did);
            if admitted_locally {
                return self
                    .node
                    .pending
                    .push(did, cause)
                    .map_err(|q| AdmitError::Unavailable(q.to_string()));
            }
            match self.node.write(Command::Release { did, cause }).await {
                Ok(_) => Ok(()),
                Err(e) => {
                    tracing::warn!(%did, error = %e, "release not committed now: queued");
                    self.node
                        .pending
                        .push(did, cause)
                        .map_err(|q| AdmitError::Unavailable(q.to_string()))
                }
            }
        })
    }

    fn add_profile(
        &self,
        did: DialogId,
        membership: ProfileMembership,
    ) -> BoxFuture<'_, Result<(), AdmitError>> {
        Box::pin(async move {
            match self
                .node
                .write(Command::AddProfile { did, membership })
                .await
                .map_err(unavailable)?
            {
                CommandResult::Ok => Ok(()),
                CommandResult::Unknown => Err(AdmitError::Unknown(did)),
                CommandResult::LimitReached { key, limit } => {
                    Err(AdmitError::LimitReached { key, limit })
                }
                other => Err(unexpected(&other)),
            }
        })
    }

    fn remove_profile(
        &self,
        did: DialogId,
        key: ProfileKey,
    ) -> BoxFuture<'_, Result<(), AdmitError>> {
        Box::pin(async move {
            match self
                .node
                .write(Command::RemoveProfile { did, key })
                .await
                .map_err(unavailable)?
            {
                CommandResult::Ok => Ok(()),
                CommandResult::Unknown => Err(AdmitError::Unknown(did)),
                other => Err(unexpected(&other)),
            }
        })
    }

    fn profile_size(
        &self,
        name: &str,
        value: Option<&str>,
    ) -> BoxFuture<'_, Result<u64, AdmitError>> {
        let req = ReadRequest::ProfileSize {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        };
        Box::pin(async move {
            match self.read(req).await? {
                ReadReply::Size(n) => Ok(n),
                other => Err(AdmitError::Unavailable(format!(
                    "unexpected reply {other:?}"
                ))),
            }
        })
    }

    fn profile_dialogs(
        &self,
        name: &str,
        value: Option<&str>,
    ) -> BoxFuture<'_, Result<Vec<DialogId>, AdmitError>> {
        let req = ReadRequest::ProfileDialogs {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        };
        Box::pin(async move {
            match self.read(req).await? {
                ReadReply::Dialogs(d) => Ok(d),
                other => Err(AdmitError::Unavailable(format!(
                    "unexpected reply {other:?}"
                ))),
            }
        })
    }

    fn profile_values(&self, name: &str) -> BoxFuture<'_, Result<ProfileValues, AdmitError>> {
        let req = ReadRequest::ProfileValues {
            name: name.to_owned(),
        };
        Box::pin(async move {
            match self.read(req).await? {
                ReadReply::Values(v) => Ok(v),
                other => Err(AdmitError::Unavailable(format!(
                    "unexpected reply {other:?}"
                ))),
            }
        })
    }
}
