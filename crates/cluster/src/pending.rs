//! [`PendingReleases`]: releases that could not be committed when their dialog ended (no
//! quorum, no leader), kept on disk (`<data_dir>/pending.redb`, fsynced) and committed by a
//! background flusher as soon as the cluster can: a count is never left behind, and since
//! releasing an unknown dialog changes nothing, a release is never applied twice.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use dialogd_dialog::{DialogId, EndCause};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::cluster_node::ClusterNode;
use crate::command::Command;

const TABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("pending_releases");
/// `admit_local` admissions waiting for quorum: did → the `AdmitForced` command (JSON).
const ADMITS: TableDefinition<u64, &[u8]> = TableDefinition::new("pending_admits");

/// The durable queue.
#[derive(Clone)]
pub struct PendingReleases {
    db: Arc<Database>,
    /// The dids of the queued admissions, in memory: every release asks (one lookup instead
    /// of a read of the file).
    admitted: Arc<std::sync::Mutex<std::collections::HashSet<u64>>>,
}

/// A queue operation failed on disk.
#[derive(Debug, thiserror::Error)]
#[error("release queue {path}: {reason}")]
pub struct PendingError {
    path: String,
    reason: String,
}

impl PendingReleases {
    /// Opens (creating) the queue file.
    pub fn open(path: &Path) -> Result<PendingReleases, PendingError> {
        let err = |reason: String| PendingError {
            path: path.display().to_string(),
            reason,
        };
        let db = Database::create(path).map_err(|e| err(e.to_string()))?;
        let tx = db.begin_write().map_err(|e| err(e.to_string()))?;
        tx.open_table(TABLE).map_err(|e| err(e.to_string()))?;
        tx.open_table(ADMITS).map_err(|e| err(e.to_string()))?;
        tx.commit().map_err(|e| err(e.to_string()))?;
        let queue = PendingReleases {
            db: Arc::new(db),
            admitted: Arc::default(),
        };
        let dids: std::collections::HashSet<u64> = queue
            .admits()
            .map_err(|e| err(e.reason))?
            .into_iter()
            .map(|(d, _)| d.0)
            .collect();
        *queue.lock_admitted() = dids;
        Ok(queue)
    }

    fn lock_admitted(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<u64>> {
        self.admitted.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether an admission of `did` made without quorum waits in the queue.
    pub fn has_admit(&self, did: DialogId) -> bool {
        self.lock_admitted().contains(&did.0)
    }

    fn err(&self, e: impl ToString) -> PendingError {
        PendingError {
            path: "pending.redb".into(),
            reason: e.to_string(),
        }
    }

    /// Queues a release (durable when this returns).
    pub fn push(&self, did: DialogId, cause: EndCause) -> Result<(), PendingError> {
        let bytes = serde_json::to_vec(&cause).map_err(|e| self.err(e))?;
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut t = tx.open_table(TABLE).map_err(|e| self.err(e))?;
            t.insert(did.0, bytes.as_slice()).map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Every queued release (a row that does not decode is released as `Api`).
    pub fn list(&self) -> Result<Vec<(DialogId, EndCause)>, PendingError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let t = tx.open_table(TABLE).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in t.iter().map_err(|e| self.err(e))? {
            let (k, v) = row.map_err(|e| self.err(e))?;
            let cause = serde_json::from_slice(v.value()).unwrap_or(EndCause::Api);
            out.push((DialogId(k.value()), cause));
        }
        Ok(out)
    }

    /// Forgets releases that were committed.
    pub fn remove(&self, dids: &[DialogId]) -> Result<(), PendingError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut t = tx.open_table(TABLE).map_err(|e| self.err(e))?;
            for did in dids {
                t.remove(did.0).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Queues an admission made without quorum (durable when this returns).
    pub fn push_admit(&self, did: DialogId, cmd: &Command) -> Result<(), PendingError> {
        let bytes = serde_json::to_vec(cmd).map_err(|e| self.err(e))?;
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut t = tx.open_table(ADMITS).map_err(|e| self.err(e))?;
            t.insert(did.0, bytes.as_slice()).map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))?;
        self.lock_admitted().insert(did.0);
        Ok(())
    }

    /// Every queued admission (rows that do not decode are skipped and logged).
    pub fn admits(&self) -> Result<Vec<(DialogId, Command)>, PendingError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let t = tx.open_table(ADMITS).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in t.iter().map_err(|e| self.err(e))? {
            let (k, v) = row.map_err(|e| self.err(e))?;
            match serde_json::from_slice(v.value()) {
                Ok(cmd) => out.push((DialogId(k.value()), cmd)),
                Err(e) => {
                    tracing::error!(did = k.value(), error = %e, "queued admission unreadable")
                }
            }
        }
        Ok(out)
    }

    /// Forgets admissions that were committed.
    pub fn remove_admits(&self, dids: &[DialogId]) -> Result<(), PendingError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut t = tx.open_table(ADMITS).map_err(|e| self.err(e))?;
            for did in dids {
                t.remove(did.0).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))?;
        let mut admitted = self.lock_admitted();
        for did in dids {
            admitted.remove(&did.0);
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.list().map_or(0, |l| l.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Commits queued releases every 500 ms while there are any.
pub(crate) fn spawn_flusher(node: &Arc<ClusterNode>) {
    let node = node.clone();
    tokio::spawn(async move {
        let stop = node.stop.clone();
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            if !flush_admits(&node).await {
                continue;
            }
            let queued = match node.pending.list() {
                Ok(q) => q,
                Err(e) => {
                    tracing::error!(error = %e, "release queue unreadable");
                    continue;
                }
            };
            metrics::gauge!("dialogd_pending_releases").set(queued.len() as f64);
            if queued.is_empty() {
                continue;
            }
            for chunk in queued.chunks(500) {
                let cmd = Command::Batch(
                    chunk
                        .iter()
                        .map(|(did, cause)| Command::Release {
                            did: *did,
                            cause: *cause,
                        })
                        .collect(),
                );
                match node.write(cmd).await {
                    Ok(_) => {
                        let dids: Vec<DialogId> = chunk.iter().map(|(d, _)| *d).collect();
                        tracing::info!(n = dids.len(), "queued releases committed");
                        if let Err(e) = node.pending.remove(&dids) {
                            tracing::error!(error = %e, "release queue");
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "queued releases still waiting");
                        break;
                    }
                }
            }
        }
    });
}

/// Commits the admissions made without quorum, before any queued release (a release may be
/// for one of them). False while they cannot be committed yet.
async fn flush_admits(node: &Arc<ClusterNode>) -> bool {
    let admits = match node.pending.admits() {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "admission queue unreadable");
            return false;
        }
    };
    if admits.is_empty() {
        return true;
    }
    let dids: Vec<DialogId> = admits.iter().map(|(d, _)| *d).collect();
    let cmd = Command::Batch(admits.into_iter().map(|(_, c)| c).collect());
    match node.write(cmd).await {
        Ok(crate::command::CommandResult::Batch(results)) => {
            for (did, r) in dids.iter().zip(&results) {
                if let crate::command::CommandResult::Overshoot(keys) = r {
                    let names: Vec<String> = keys.iter().map(ToString::to_string).collect();
                    tracing::warn!(%did, profiles = ?names, "admitted without quorum over a limit");
                    metrics::counter!("dialogd_admission_overshoot_total").increment(1);
                }
            }
            tracing::info!(n = dids.len(), "admissions made without quorum committed");
            if let Err(e) = node.pending.remove_admits(&dids) {
                tracing::error!(error = %e, "admission queue");
            }
            true
        }
        Ok(other) => {
            tracing::error!(result = ?other, "unexpected result for queued admissions");
            false
        }
        Err(e) => {
            tracing::debug!(error = %e, "queued admissions still waiting");
            false
        }
    }
}
