//! The durable Raft storage: one redb file, `<data_dir>/raft.redb`, shared by the log
//! ([`LogStore`]) and the state machine ([`StateMachineStore`]), opened by [`open`].
//!
//! | table | key | value | written by |
//! |---|---|---|---|
//! | `logs` | log index (`u64`) | the [`Entry`](crate::raft_types::Entry) | append, truncate, purge |
//! | `meta` | `"vote"`, `"committed"`, `"last_purged"` | the vote / log id | save_vote, save_committed, purge |
//! | `snapshot` | `"meta"`, `"data"` | the `SnapshotMeta`; the snapshot bytes | build_snapshot, install_snapshot |
//!
//! Values are encoded by [`crate::codec`] (binary; JSON rows of earlier builds still read).
//!
//! The [`ClusterState`](crate::ClusterState) itself lives in memory. A restarted node starts
//! from the persisted snapshot (restored by [`open`]), and openraft then re-applies the log
//! from the snapshot's last log id up to the saved committed log id, so the state is back
//! where it was before the restart:
//!
//! ```text
//!   snapshot table ──open()──▶ ClusterState @ last_applied ──Raft::new()──▶ re-apply
//!                                                              logs (last_applied, committed]
//! ```
//!
//! The log's writes go through one writer thread that commits everything queued in one
//! transaction ([`LogStore`]); snapshots are written on their own. Every commit has the
//! [`Fsync`] policy's durability; a row that does not decode is a storage error (openraft then
//! stops the node), never a panic. A write that fails is recorded in the store's
//! [`StoreHealth`] (the first one, for good: redb refuses every later operation after an I/O
//! error), which the node's health check reads.

mod log_store;
mod state_machine;
mod store_health;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use openraft::{AnyError, ErrorSubject, ErrorVerb, StorageIOError};
use redb::{Database, Durability, ReadableDatabase, TableDefinition, WriteTransaction};

pub use log_store::{CACHE_BYTES, LogStore};
pub use state_machine::{SnapshotImage, StateMachineStore};
pub use store_health::StoreHealth;

use crate::raft_types::StorageError;

/// Log entries by index.
pub(crate) const LOGS: TableDefinition<u64, &[u8]> = TableDefinition::new("logs");
/// Vote, committed log id, last purged log id.
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// The current snapshot: its meta and its data.
pub(crate) const SNAPSHOT: TableDefinition<&str, &[u8]> = TableDefinition::new("snapshot");

/// The name of the database file inside the data directory.
pub const FILE_NAME: &str = "raft.redb";

/// redb's page cache. Its default (1 GiB) lets the cache grow with the log and the records
/// until it holds a gigabyte of pages; the node reads the log's tail from its own cache
/// ([`log_store::CACHE_BYTES`]) and the state machine from memory, so redb's pages are read
/// back only at start and on a cache miss. Written pages (the log's appends, each snapshot's
/// image: 50 MB at 100,000 calls) also stay in it up to the bound, so the bound is memory
/// the node keeps once it has written that much: 16 MiB.
pub const PAGE_CACHE_BYTES: usize = 16 << 20;

/// When a write reaches the disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fsync {
    /// Every log append, vote, committed log id and snapshot is fsynced before it is
    /// acknowledged (redb `Durability::Immediate`). Safe against process crash and power loss.
    #[default]
    Always,
    /// Nothing is fsynced (redb `Durability::None`): a write is kept in this process's memory
    /// and reaches the file only when the database is closed cleanly (the last store dropped).
    /// A process crash (kill -9, abort) or a power loss therefore loses every write since the
    /// open or the clean close before it; what survives is always a consistent earlier state.
    /// Raft's safety then rests on the other nodes: a node that forgot its vote or acknowledged
    /// entries may vote twice in a term. For tests and benchmarks, not for production.
    Never,
}

impl Fsync {
    fn durability(self) -> Durability {
        match self {
            Fsync::Always => Durability::Immediate,
            Fsync::Never => Durability::None,
        }
    }
}

/// Opening the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory or the database file could not be created or opened.
    #[error("cannot open raft store {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    /// The persisted snapshot could not be read back.
    #[error("corrupt raft store {path}: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

/// Opens (creating it if needed) `<dir>/raft.redb` and returns the log and the state machine,
/// the latter restored from the persisted snapshot, if any. Both report failed writes to one
/// [`StoreHealth`] ([`LogStore::health`]).
pub fn open(dir: &Path, fsync: Fsync) -> Result<(LogStore, StateMachineStore), StoreError> {
    let path = dir.join(FILE_NAME);
    let fail = |reason: String| StoreError::Open {
        path: path.clone(),
        reason,
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let db = Database::builder()
        .set_cache_size(PAGE_CACHE_BYTES)
        .create(&path)
        .map_err(|e| fail(e.to_string()))?;
    create_tables(&db).map_err(|e| fail(e.to_string()))?;
    let db = Arc::new(db);
    let health = StoreHealth::default();
    let sm = StateMachineStore::restore(db.clone(), fsync, health.clone()).map_err(|e| {
        StoreError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        }
    })?;
    let log = LogStore::new(db, fsync, health).map_err(|e| StoreError::Corrupt {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    Ok((log, sm))
}

/// Creates the tables so that read transactions always find them.
fn create_tables(db: &Database) -> Result<(), DiskError> {
    let txn = db.begin_write()?;
    txn.open_table(LOGS)?;
    txn.open_table(META)?;
    txn.open_table(SNAPSHOT)?;
    txn.commit()?;
    Ok(())
}

/// Runs `f` in one write transaction on the blocking pool and commits it with `fsync`'s
/// durability; returns once the commit is done (durable under [`Fsync::Always`]).
pub(crate) async fn write<T, F>(db: &Arc<Database>, fsync: Fsync, f: F) -> Result<T, DiskError>
where
    T: Send + 'static,
    F: FnOnce(&WriteTransaction) -> Result<T, DiskError> + Send + 'static,
{
    let db = db.clone();
    tokio::task::spawn_blocking(move || {
        let mut txn = db.begin_write()?;
        txn.set_durability(fsync.durability())?;
        let out = f(&txn)?;
        txn.commit()?;
        Ok(out)
    })
    .await
    .map_err(|e| DiskError::Corrupt(format!("storage task failed: {e}")))?
}

/// Reads and decodes one row of a `&str`-keyed table.
pub(crate) fn read_row<T: serde::de::DeserializeOwned>(
    db: &Database,
    table: TableDefinition<&str, &[u8]>,
    key: &str,
) -> Result<Option<T>, DiskError> {
    let txn = db.begin_read()?;
    let table = txn.open_table(table)?;
    let row = redb::ReadableTable::get(&table, key)?;
    match row {
        Some(v) => Ok(Some(crate::codec::decode(v.value())?)),
        None => Ok(None),
    }
}

/// A failure of the database or of a row's encoding, before it becomes an openraft error.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DiskError {
    #[error("{0}")]
    Redb(#[from] redb::Error),
    #[error("bad row: {0}")]
    Codec(#[from] crate::codec::CodecError),
    #[error("{0}")]
    Corrupt(String),
}

impl DiskError {
    /// The openraft error for this failure while `verb`ing `subject`.
    pub(crate) fn storage(self, subject: ErrorSubject<u64>, verb: ErrorVerb) -> StorageError {
        StorageIOError::new(subject, verb, AnyError::new(&self)).into()
    }
}

macro_rules! redb_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for DiskError {
            fn from(e: $t) -> DiskError {
                DiskError::Redb(e.into())
            }
        }
    )*};
}
redb_errors!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);
