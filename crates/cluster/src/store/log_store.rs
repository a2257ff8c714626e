//! [`LogStore`]: the Raft log, the vote and the committed log id in redb (tables `logs` and
//! `meta`, see [`super`]). openraft drives it through `RaftLogStorage` and reads it through
//! clones (`RaftLogReader`) from its replication and apply tasks.
//!
//! One writer thread (`raft-log-writer`) owns every write. Callers hand it operations in
//! order and go on; it takes everything queued since its last round and carries it out in one
//! redb transaction, committed with one fsync (group commit): under load one fsync makes many
//! appends durable, and an append never waits for another append's fsync.
//!
//! ```text
//!  append(entries, cb) ──▶ cache (readable at once) ──▶ queue ──▶ writer: one txn + fsync ──▶ cb
//!  truncate / purge / save_vote ───────────────────────▶ queue ──▶ (same round) ──▶ answer
//!  save_committed ─────────────────────────────────────▶ queue (nobody waits; rides along)
//! ```
//!
//! | operation | rows | when the caller hears back |
//! |---|---|---|
//! | `append` | `logs[i] = entry` | returns at once; the callback fires after the round's commit (fsynced under `Fsync::Always`) |
//! | `save_vote` | `meta["vote"]` | after the round's commit |
//! | `save_committed` | `meta["committed"]` | at once: may lag (openraft re-applies a little more after a crash) |
//! | `truncate(id)` | deletes `logs[id.index..]` | after the round's commit |
//! | `purge(id)` | `meta["last_purged"] = id`, deletes `logs[..=id.index]` | after the round's commit |
//!
//! Reads see appended entries at once: the newest entries stay in a memory cache (those not
//! yet written always, then up to [`CACHE_BYTES`] of written ones), so openraft's apply and
//! replication read the log's tail without decoding it from disk. Rows are encoded with
//! [`crate::codec`].
//!
//! A round whose commit fails (a full disk, EIO) answers its operations with the error, which
//! stops openraft (a storage error is fatal to it), and is recorded in the [`StoreHealth`]: so
//! is a failed lazy sync, which nobody waits for. The writer marks each round in progress
//! there too ([`StoreHealth::writing_for`]).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{ErrorSubject, ErrorVerb, LogState, OptionalSend, RaftLogReader};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, WriteTransaction};
use tokio::sync::oneshot;

use super::{DiskError, Fsync, LOGS, META, StoreHealth, read_row};
use crate::codec;
use crate::raft_types::{Entry, LogId, StorageError, TypeConfig, Vote};

const VOTE: &str = "vote";
const COMMITTED: &str = "committed";
const LAST_PURGED: &str = "last_purged";

/// Encoded bytes of written entries kept in memory for readers (beyond the unwritten ones).
/// Apply and replication read an entry within milliseconds of its append, so 2 MiB (a few
/// thousand entries, seconds of traffic at thousands of calls/s) serves them; older entries
/// are read back from redb only by a follower that lags further. Entries are kept decoded,
/// about twice their encoded size: 16 MiB here cost some 25 MB of a node's memory, 2.5 KB
/// per call when it holds 10,000.
pub const CACHE_BYTES: usize = 2 << 20;

/// How often the writer syncs what it committed without fsync (everything under
/// `Fsync::Never`: the most a crash can lose; the committed log id under `Fsync::Always`).
const LAZY_SYNC: Duration = Duration::from_secs(1);

/// The durable Raft log. Clones share the database, the cache and the writer.
#[derive(Clone)]
pub struct LogStore {
    shared: Arc<Shared>,
}

struct Shared {
    db: Arc<Database>,
    fsync: Fsync,
    health: StoreHealth,
    tail: Arc<Mutex<Tail>>,
    /// Taken on drop (the writer then drains its queue and ends).
    ops: Option<Sender<Op>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

/// The log's tail in memory and what the store knows without reading the disk.
#[derive(Default)]
struct Tail {
    /// Entries by index: every entry not yet written, then the newest written ones.
    cache: BTreeMap<u64, CachedEntry>,
    /// Encoded bytes of the written entries in `cache`.
    written_bytes: usize,
    /// Numbers the appends, so the writer marks exactly the entries it wrote (an index may be
    /// truncated and appended again while its first version waits in the queue).
    next_seq: u64,
    last_purged: Option<LogId>,
    /// The last entry's id, once known (cache, disk or purge).
    last_log_id: Option<LogId>,
}

struct CachedEntry {
    entry: Entry,
    bytes: usize,
    /// The append that cached it.
    seq: u64,
    /// On disk: may leave the cache (only from the front, so everything below the cache's
    /// first index is on disk).
    written: bool,
}

/// One queued write.
enum Op {
    Append {
        seq: u64,
        rows: Vec<(u64, Vec<u8>)>,
        callback: Option<LogFlushed<TypeConfig>>,
    },
    Truncate {
        from: u64,
        done: oneshot::Sender<Result<(), String>>,
    },
    Purge {
        upto: u64,
        bytes: Vec<u8>,
        done: oneshot::Sender<Result<(), String>>,
    },
    Meta {
        key: &'static str,
        bytes: Vec<u8>,
        done: Option<oneshot::Sender<Result<(), String>>>,
    },
}

fn lock(m: &Mutex<Tail>) -> MutexGuard<'_, Tail> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LogStore {
    pub(crate) fn new(
        db: Arc<Database>,
        fsync: Fsync,
        health: StoreHealth,
    ) -> Result<LogStore, DiskError> {
        let last_purged: Option<LogId> = read_row(&db, META, LAST_PURGED)?;
        let last_on_disk = last_entry_id(&db)?;
        let tail = Arc::new(Mutex::new(Tail {
            last_log_id: last_on_disk.or(last_purged),
            last_purged,
            ..Tail::default()
        }));
        let (tx, rx) = std::sync::mpsc::channel();
        let writer = {
            let db = db.clone();
            let tail = tail.clone();
            let health = health.clone();
            std::thread::Builder::new()
                .name("raft-log-writer".into())
                .spawn(move || writer(&db, fsync, &tail, &rx, &health))
                .map_err(|e| DiskError::Corrupt(format!("cannot start the log writer: {e}")))?
        };
        Ok(LogStore {
            shared: Arc::new(Shared {
                db,
                fsync,
                health,
                tail,
                ops: Some(tx),
                writer: Some(writer),
            }),
        })
    }

    /// The store's failure and write in progress (shared with the state machine).
    pub fn health(&self) -> StoreHealth {
        self.shared.health.clone()
    }

    /// Queues `op` for the writer; gives it back if the writer is gone.
    fn queue(&self, op: Op) -> Result<(), Op> {
        match self.shared.ops.as_ref() {
            Some(tx) => tx.send(op).map_err(|e| e.0),
            None => Err(op),
        }
    }

    /// Queues `op` and waits for the round that carries it out.
    async fn queue_and_wait(
        &self,
        op: impl FnOnce(oneshot::Sender<Result<(), String>>) -> Op,
    ) -> Result<(), DiskError> {
        let (tx, rx) = oneshot::channel();
        self.queue(op(tx)).map_err(|_| writer_gone())?;
        match rx.await {
            Ok(r) => r.map_err(DiskError::Corrupt),
            Err(_) => Err(writer_gone()),
        }
    }

    /// The entries whose index is in `range`, in order: the cached tail from memory, older
    /// ones from disk (they were written before they left the cache).
    fn read_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<Vec<Entry>, DiskError> {
        if is_empty_range(start, end) {
            return Ok(Vec::new());
        }
        let (first_cached, mut cached) = {
            let tail = lock(&self.shared.tail);
            let first = tail.cache.keys().next().copied();
            let cached: Vec<Entry> = tail
                .cache
                .range((start, end))
                .map(|(_, c)| c.entry.clone())
                .collect();
            (first, cached)
        };
        let disk_end = match first_cached {
            Some(first) => match end {
                Bound::Included(e) if e < first => Bound::Included(e),
                Bound::Excluded(e) if e <= first => Bound::Excluded(e),
                _ => Bound::Excluded(first),
            },
            None => end,
        };
        let mut out = Vec::new();
        if !is_empty_range(start, disk_end) {
            let txn = self.shared.db.begin_read()?;
            let table = txn.open_table(LOGS)?;
            for row in table.range::<u64>((start, disk_end))? {
                let (_, v) = row?;
                out.push(codec::decode(v.value())?);
            }
        }
        out.append(&mut cached);
        Ok(out)
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Closing the queue ends the writer once it has carried out what is queued; waiting
        // for it means the database is closed when the last clone is gone (a reopen works).
        drop(self.ops.take());
        if let Some(h) = self.writer.take() {
            let _ = h.join();
        }
    }
}

/// The writer thread has ended (a panic, or the store is closing).
fn writer_gone() -> DiskError {
    DiskError::Corrupt("raft log writer is gone".into())
}

/// The log id of the last entry on disk, if any.
fn last_entry_id(db: &Database) -> Result<Option<LogId>, DiskError> {
    let txn = db.begin_read()?;
    let table = txn.open_table(LOGS)?;
    let last = table.last()?;
    match last {
        Some((_, v)) => {
            let entry: Entry = codec::decode(v.value())?;
            Ok(Some(entry.log_id))
        }
        None => Ok(None),
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
        let tail = lock(&self.shared.tail);
        Ok(LogState {
            last_purged_log_id: tail.last_purged,
            last_log_id: tail.last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> LogStore {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        let fail = |e: DiskError| e.storage(ErrorSubject::Vote, ErrorVerb::Write);
        let bytes = codec::encode(vote).map_err(|e| fail(e.into()))?;
        self.queue_and_wait(|done| Op::Meta {
            key: VOTE,
            bytes,
            done: Some(done),
        })
        .await
        .map_err(fail)
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        read_row(&self.shared.db, META, VOTE)
            .map_err(|e| e.storage(ErrorSubject::Vote, ErrorVerb::Read))
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        // Nobody waits: the row rides with the writer's next round (openraft allows the
        // committed id to lag; a restart then re-applies a little less and catches up).
        let bytes = codec::encode(&committed)
            .map_err(|e| DiskError::from(e).storage(ErrorSubject::Store, ErrorVerb::Write))?;
        let op = Op::Meta {
            key: COMMITTED,
            bytes,
            done: None,
        };
        if self.queue(op).is_err() {
            return Err(writer_gone().storage(ErrorSubject::Store, ErrorVerb::Write));
        }
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        let committed: Option<Option<LogId>> = read_row(&self.shared.db, META, COMMITTED)
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
        let mut cached = Vec::new();
        for entry in entries {
            let bytes = codec::encode(&entry).map_err(|e| {
                DiskError::from(e).storage(ErrorSubject::Log(entry.log_id), ErrorVerb::Write)
            })?;
            let index = entry.log_id.index;
            cached.push((index, entry, bytes.len()));
            rows.push((index, bytes));
        }
        let seq = {
            // Readable from now on (openraft reads what it appended before the callback).
            let mut tail = lock(&self.shared.tail);
            tail.next_seq += 1;
            let seq = tail.next_seq;
            for (index, entry, bytes) in cached {
                tail.last_log_id = Some(entry.log_id);
                let c = CachedEntry {
                    entry,
                    bytes,
                    seq,
                    written: false,
                };
                if let Some(old) = tail.cache.insert(index, c)
                    && old.written
                {
                    tail.written_bytes = tail.written_bytes.saturating_sub(old.bytes);
                }
            }
            seq
        };
        // Durable once the writer's round commits; only then may openraft count it (under
        // Fsync::Never: at once, the writer syncs lazily).
        let callback = match self.shared.fsync {
            Fsync::Always => Some(callback),
            Fsync::Never => {
                callback.log_io_completed(Ok(()));
                None
            }
        };
        if let Err(Op::Append {
            callback: Some(cb), ..
        }) = self.queue(Op::Append {
            seq,
            rows,
            callback,
        }) {
            cb.log_io_completed(Err(std::io::Error::other("raft log writer is gone")));
        }
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        {
            let mut tail = lock(&self.shared.tail);
            let removed = tail.cache.split_off(&log_id.index);
            let freed: usize = removed
                .values()
                .filter(|c| c.written)
                .map(|c| c.bytes)
                .sum();
            tail.written_bytes = tail.written_bytes.saturating_sub(freed);
            tail.last_log_id = tail.cache.values().next_back().map(|c| c.entry.log_id);
        }
        self.queue_and_wait(|done| Op::Truncate {
            from: log_id.index,
            done,
        })
        .await
        .map_err(|e| e.storage(ErrorSubject::Logs, ErrorVerb::Delete))?;
        // Entries below the truncation that had left the cache: the last one is on disk.
        let needs_disk = lock(&self.shared.tail).last_log_id.is_none();
        if needs_disk {
            let last = last_entry_id(&self.shared.db)
                .map_err(|e| e.storage(ErrorSubject::Logs, ErrorVerb::Read))?;
            let mut tail = lock(&self.shared.tail);
            if tail.last_log_id.is_none() {
                tail.last_log_id = last.or(tail.last_purged);
            }
        }
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let fail = |e: DiskError| e.storage(ErrorSubject::Logs, ErrorVerb::Delete);
        let bytes = codec::encode(&log_id).map_err(|e| fail(e.into()))?;
        {
            let mut tail = lock(&self.shared.tail);
            let keep = tail.cache.split_off(&log_id.index.saturating_add(1));
            let gone = std::mem::replace(&mut tail.cache, keep);
            let freed: usize = gone.values().filter(|c| c.written).map(|c| c.bytes).sum();
            tail.written_bytes = tail.written_bytes.saturating_sub(freed);
            tail.last_purged = Some(log_id);
            if tail
                .last_log_id
                .is_none_or(|last| last.index < log_id.index)
            {
                tail.last_log_id = Some(log_id);
            }
        }
        self.queue_and_wait(|done| Op::Purge {
            upto: log_id.index,
            bytes,
            done,
        })
        .await
        .map_err(fail)
    }
}

/// The writer thread: takes every queued operation, carries them out in order in one
/// transaction, commits it (fsynced under `Fsync::Always`, lazily under `Fsync::Never`), then
/// answers them all. Ends when the queue is closed and drained. A failed commit is recorded in
/// `health`.
fn writer(
    db: &Database,
    fsync: Fsync,
    tail: &Mutex<Tail>,
    rx: &Receiver<Op>,
    health: &StoreHealth,
) {
    let mut last_sync = Instant::now();
    // Committed without fsync since the last sync.
    let mut dirty = false;
    loop {
        let mut ops = Vec::new();
        match rx.recv_timeout(LAZY_SYNC) {
            Ok(op) => ops.push(op),
            Err(RecvTimeoutError::Timeout) => {
                if dirty && last_sync.elapsed() >= LAZY_SYNC {
                    let _writing = health.writing();
                    if let Err(e) = commit(db, Durability::Immediate, |_| Ok(())) {
                        tracing::error!(error = %e, "raft log sync failed");
                        health.fail("raft log sync", &e);
                    }
                    last_sync = Instant::now();
                    dirty = false;
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
        while let Ok(op) = rx.try_recv() {
            ops.push(op);
        }
        // A round of nothing but the committed log id needs no fsync of its own: it rides
        // with the next one (or the lazy sync).
        let waited_for = ops
            .iter()
            .any(|op| !matches!(op, Op::Meta { done: None, .. }));
        let sync = (fsync == Fsync::Always && waited_for) || last_sync.elapsed() >= LAZY_SYNC;
        let durability = if sync {
            last_sync = Instant::now();
            dirty = false;
            Durability::Immediate
        } else {
            dirty = true;
            Durability::None
        };
        let started = Instant::now();
        let result = {
            let _writing = health.writing();
            commit(db, durability, |txn| carry_out(txn, &ops))
        };
        metrics::histogram!("dialogd_raft_log_write_seconds")
            .record(started.elapsed().as_secs_f64());
        if let Err(e) = &result {
            tracing::error!(error = %e, "raft log write failed");
            health.fail("raft log write", e);
        }
        let result = result.map_err(|e| e.to_string());
        if result.is_ok() {
            written(tail, &ops);
        }
        for op in ops {
            let answer = result.clone();
            match op {
                Op::Append {
                    callback: Some(cb), ..
                } => cb.log_io_completed(answer.map_err(std::io::Error::other)),
                Op::Append { callback: None, .. } | Op::Meta { done: None, .. } => {}
                Op::Truncate { done, .. }
                | Op::Purge { done, .. }
                | Op::Meta {
                    done: Some(done), ..
                } => {
                    let _ = done.send(answer);
                }
            }
        }
    }
}

/// Marks the entries the appends of `ops` wrote (those still cached by the same append) and
/// lets the oldest written ones leave the cache beyond [`CACHE_BYTES`].
fn written(tail: &Mutex<Tail>, ops: &[Op]) {
    let mut tail = lock(tail);
    let tail = &mut *tail;
    for op in ops {
        let Op::Append { seq, rows, .. } = op else {
            continue;
        };
        for (index, _) in rows {
            if let Some(c) = tail.cache.get_mut(index)
                && c.seq == *seq
                && !c.written
            {
                c.written = true;
                tail.written_bytes += c.bytes;
            }
        }
    }
    while tail.written_bytes > CACHE_BYTES {
        let Some(entry) = tail.cache.first_entry() else {
            break;
        };
        if !entry.get().written {
            break;
        }
        let c = entry.remove();
        tail.written_bytes = tail.written_bytes.saturating_sub(c.bytes);
    }
}

/// The rows of `ops`, in order, in one transaction.
fn carry_out(txn: &WriteTransaction, ops: &[Op]) -> Result<(), DiskError> {
    let mut logs = txn.open_table(LOGS)?;
    let mut meta = txn.open_table(META)?;
    for op in ops {
        match op {
            Op::Append { rows, .. } => {
                for (index, bytes) in rows {
                    logs.insert(*index, bytes.as_slice())?;
                }
            }
            Op::Truncate { from, .. } => {
                logs.retain_in::<u64, _>(*from.., |_, _| false)?;
            }
            Op::Purge { upto, bytes, .. } => {
                meta.insert(LAST_PURGED, bytes.as_slice())?;
                logs.retain_in::<u64, _>(..=*upto, |_, _| false)?;
            }
            Op::Meta { key, bytes, .. } => {
                meta.insert(*key, bytes.as_slice())?;
            }
        }
    }
    Ok(())
}

/// One write transaction committed with `durability`.
fn commit(
    db: &Database,
    durability: Durability,
    f: impl FnOnce(&WriteTransaction) -> Result<(), DiskError>,
) -> Result<(), DiskError> {
    let mut txn = db.begin_write()?;
    txn.set_durability(durability)?;
    f(&txn)?;
    txn.commit()?;
    Ok(())
}
