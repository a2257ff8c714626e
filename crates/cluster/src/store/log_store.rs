//! [`LogStore`]: the Raft log, the vote and the committed log id in redb (tables `logs` and
//! `meta`, see [`super`]). openraft drives it through `RaftLogStorage` and reads it through
//! clones (`RaftLogReader`) from its replication tasks.
//!
//! | operation | rows | when the caller hears back |
//! |---|---|---|
//! | `append` | `logs[i] = entry` | the callback fires after the commit (fsynced under `Fsync::Always`) |
//! | `save_vote` / `save_committed` | `meta["vote"]`, `meta["committed"]` | after the commit |
//! | `truncate(id)` | deletes `logs[id.index..]` | after the commit |
//! | `purge(id)` | `meta["last_purged"] = id`, deletes `logs[..=id.index]` | after the commit |

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{ErrorSubject, ErrorVerb, LogState, OptionalSend, RaftLogReader};
use redb::{Database, ReadableDatabase, ReadableTable};

use super::{DiskError, Fsync, LOGS, META, read_json, write};
use crate::raft_types::{Entry, LogId, StorageError, TypeConfig, Vote};

const VOTE: &str = "vote";
const COMMITTED: &str = "committed";
const LAST_PURGED: &str = "last_purged";

/// The durable Raft log. Clones share the database and the flusher.
#[derive(Clone)]
pub struct LogStore {
    db: Arc<Database>,
    fsync: Fsync,
    flusher: std::sync::mpsc::Sender<LogFlushed<TypeConfig>>,
}

/// How often the flusher syncs under `Fsync::Never` (the most a crash can lose).
const LAZY_SYNC: std::time::Duration = std::time::Duration::from_secs(1);

impl LogStore {
    pub(crate) fn new(db: Arc<Database>, fsync: Fsync) -> LogStore {
        let (tx, rx) = std::sync::mpsc::channel();
        let flush_db = Arc::downgrade(&db);
        // Group commit: appends are committed without fsync (visible to readers at once, as
        // openraft requires) and their callbacks queued here; one fsynced commit then makes
        // every queued append durable and their callbacks fire together. Under load many
        // appends share one fsync instead of paying one each.
        let spawned = std::thread::Builder::new()
            .name("raft-log-flush".into())
            .spawn(move || flusher(&flush_db, fsync, &rx));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the raft log flusher thread");
        }
        LogStore {
            db,
            fsync,
            flusher: tx,
        }
    }

    /// Writes one `meta` row.
    async fn put_meta<T: serde::Serialize>(
        &self,
        key: &'static str,
        value: &T,
        subject: ErrorSubject<u64>,
    ) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| DiskError::from(e).storage(subject.clone(), ErrorVerb::Write))?;
        write(&self.db, self.fsync, move |txn| {
            txn.open_table(META)?.insert(key, bytes.as_slice())?;
            Ok(())
        })
        .await
        .map_err(|e| e.storage(subject, ErrorVerb::Write))
    }

    /// The entries whose index is in `range`, in order.
    fn read_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<Vec<Entry>, DiskError> {
        if is_empty_range(start, end) {
            return Ok(Vec::new());
        }
        let txn = self.db.begin_read()?;
        let table = txn.open_table(LOGS)?;
        let mut out = Vec::new();
        for row in table.range::<u64>((start, end))? {
            let (_, v) = row?;
            out.push(serde_json::from_slice(v.value())?);
        }
        Ok(out)
    }

    /// The log id of the last entry in the table, if any.
    fn last_entry_id(&self) -> Result<Option<LogId>, DiskError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(LOGS)?;
        let last = table.last()?;
        match last {
            Some((_, v)) => {
                let entry: Entry = serde_json::from_slice(v.value())?;
                Ok(Some(entry.log_id))
            }
            None => Ok(None),
        }
    }
}

/// Whether `(start, end)` selects no index (redb wants `start <= end`).
fn is_empty_range(start: Bound<u64>, end: Bound<u64>) -> bool {
    let first = match start {
        Bound::Included(s) => s,
        Bound::Excluded(s) => match s.checked_add(1) {
            Some(s) => s,
            None => return true,
        },
        Bound::Unbounded => 0,
    };
    match end {
        Bound::Included(e) => first > e,
        Bound::Excluded(e) => first >= e,
        Bound::Unbounded => false,
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        self.read_range(range.start_bound().cloned(), range.end_bound().cloned())
            .map_err(|e| e.storage(ErrorSubject::Logs, ErrorVerb::Read))
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let read = |e: DiskError| e.storage(ErrorSubject::Logs, ErrorVerb::Read);
        let last_purged_log_id: Option<LogId> =
            read_json(&self.db, META, LAST_PURGED).map_err(read)?;
        let last_log_id = self.last_entry_id().map_err(read)?.or(last_purged_log_id);
        Ok(LogState {
            last_purged_log_id,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> LogStore {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        self.put_meta(VOTE, vote, ErrorSubject::Vote).await
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        read_json(&self.db, META, VOTE).map_err(|e| e.storage(ErrorSubject::Vote, ErrorVerb::Read))
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        // Not fsynced on its own: the next append's sync persists it (openraft allows the
        // committed id to lag; a restart then re-applies a little less and catches up).
        let bytes = serde_json::to_vec(&committed)
            .map_err(|e| DiskError::from(e).storage(ErrorSubject::Store, ErrorVerb::Write))?;
        write(&self.db, Fsync::Never, move |txn| {
            txn.open_table(META)?.insert(COMMITTED, bytes.as_slice())?;
            Ok(())
        })
        .await
        .map_err(|e| e.storage(ErrorSubject::Store, ErrorVerb::Write))
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        let committed: Option<Option<LogId>> = read_json(&self.db, META, COMMITTED)
            .map_err(|e| e.storage(ErrorSubject::Store, ErrorVerb::Read))?;
        Ok(committed.flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut rows = Vec::new();
        for entry in entries {
            let bytes = serde_json::to_vec(&entry).map_err(|e| {
                DiskError::from(e).storage(ErrorSubject::Log(entry.log_id), ErrorVerb::Write)
            })?;
            rows.push((entry.log_id.index, bytes));
        }
        write(&self.db, Fsync::Never, move |txn| {
            let mut table = txn.open_table(LOGS)?;
            for (index, bytes) in &rows {
                table.insert(*index, bytes.as_slice())?;
            }
            Ok(())
        })
        .await
        .map_err(|e| e.storage(ErrorSubject::Logs, ErrorVerb::Write))?;
        // Visible to readers now; durable once the flusher's next fsynced commit is done, and
        // only then may openraft count it (under Fsync::Never: at once).
        match self.fsync {
            Fsync::Always => {
                if let Err(std::sync::mpsc::SendError(cb)) = self.flusher.send(callback) {
                    cb.log_io_completed(Err(std::io::Error::other("raft log flusher is gone")));
                }
            }
            Fsync::Never => callback.log_io_completed(Ok(())),
        }
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        write(&self.db, self.fsync, move |txn| {
            txn.open_table(LOGS)?
                .retain_in::<u64, _>(log_id.index.., |_, _| false)?;
            Ok(())
        })
        .await
        .map_err(|e| e.storage(ErrorSubject::Logs, ErrorVerb::Delete))
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(&log_id)
            .map_err(|e| DiskError::from(e).storage(ErrorSubject::Logs, ErrorVerb::Delete))?;
        write(&self.db, self.fsync, move |txn| {
            txn.open_table(META)?
                .insert(LAST_PURGED, bytes.as_slice())?;
            txn.open_table(LOGS)?
                .retain_in::<u64, _>(..=log_id.index, |_, _| false)?;
            Ok(())
        })
        .await
        .map_err(|e| e.storage(ErrorSubject::Logs, ErrorVerb::Delete))
    }
}

/// The flusher thread: waits for queued append callbacks, makes everything committed so far
/// durable with one fsynced (empty) commit, and fires the callbacks. Under `Fsync::Never` it
/// only syncs every [`LAZY_SYNC`]. Ends when every [`LogStore`] clone is gone.
fn flusher(
    db: &std::sync::Weak<Database>,
    fsync: Fsync,
    rx: &std::sync::mpsc::Receiver<LogFlushed<TypeConfig>>,
) {
    use std::sync::mpsc::RecvTimeoutError;
    loop {
        let mut batch = Vec::new();
        match rx.recv_timeout(LAZY_SYNC) {
            Ok(cb) => batch.push(cb),
            Err(RecvTimeoutError::Timeout) if fsync == Fsync::Never => {}
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        }
        while let Ok(cb) = rx.try_recv() {
            batch.push(cb);
        }
        // A weak handle: a store being closed must not be kept open by this thread.
        let synced = match db.upgrade() {
            Some(db) => sync(&db),
            None => Err(DiskError::Corrupt("raft store closed".into())),
        };
        if let Err(e) = &synced {
            tracing::error!(error = %e, "raft log fsync failed");
        }
        for cb in batch {
            cb.log_io_completed(
                synced
                    .as_ref()
                    .map(|_| ())
                    .map_err(|e| std::io::Error::other(e.to_string())),
            );
        }
    }
}

/// One empty commit with `Immediate` durability: persists every earlier non-durable commit.
fn sync(db: &Database) -> Result<(), DiskError> {
    let mut txn = db.begin_write()?;
    txn.set_durability(redb::Durability::Immediate)?;
    txn.commit()?;
    Ok(())
}
