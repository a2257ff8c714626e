//! [`StateMachineStore`]: the applied [`ClusterState`] in memory, its snapshots in redb (table
//! `snapshot`, see [`super`]), and the feeds that tell the rest of the node what was applied.
//!
//! ```text
//!  committed entries ──apply()──▶ ClusterState (RwLock) ──▶ applied_watch(): last applied index
//!                                      │                └──▶ set_owner_changes(tx): OwnerChange
//!                 build_snapshot() / install_snapshot()
//!                                      ▼
//!                     snapshot table: SnapshotMeta + SnapshotImage (crate::codec)
//! ```
//!
//! Blank entries only advance `last_applied`; membership entries replace `last_membership`;
//! normal entries run [`ClusterState::apply`] and answer its [`CommandResult`]. Nothing is
//! written per applied entry: after a restart, [`super::open`] restores the last persisted
//! snapshot and openraft re-applies the committed log after it.

use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use openraft::storage::RaftStateMachine;
use openraft::{
    AnyError, EntryPayload, ErrorSubject, ErrorVerb, OptionalSend, RaftSnapshotBuilder,
    StorageIOError,
};
use redb::{Database, ReadableDatabase, ReadableTable};
use tokio::sync::{mpsc, watch};

use super::{DiskError, Fsync, SNAPSHOT, StoreHealth, write};
use crate::cluster_state::{ClusterState, OwnerChange};
use crate::command::CommandResult;
use crate::raft_types::{
    Entry, LogId, Snapshot, SnapshotMeta, StorageError, StoredMembership, TypeConfig,
};

const META_ROW: &str = "meta";
const DATA_ROW: &str = "data";

/// What a snapshot holds: the state and the log position it reflects ([`crate::codec`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SnapshotImage {
    pub last_applied: Option<LogId>,
    pub last_membership: StoredMembership,
    pub state: ClusterState,
}

/// The Raft state machine. Clones share one state.
#[derive(Clone)]
pub struct StateMachineStore {
    inner: Arc<Inner>,
}

/// Locks are taken in field order (`state`, then `applied`) and never across an `.await`.
struct Inner {
    db: Arc<Database>,
    fsync: Fsync,
    /// Where a failed snapshot write is recorded (shared with the log).
    health: StoreHealth,
    state: Arc<RwLock<ClusterState>>,
    applied: Mutex<Applied>,
    owner_changes: Mutex<Option<mpsc::UnboundedSender<OwnerChange>>>,
    applied_tx: watch::Sender<u64>,
    snapshot_seq: AtomicU64,
}

#[derive(Clone, Default)]
struct Applied {
    last_applied: Option<LogId>,
    last_membership: StoredMembership,
}

impl StateMachineStore {
    /// The state machine as of the snapshot persisted in `db`, or empty.
    pub(crate) fn restore(
        db: Arc<Database>,
        fsync: Fsync,
        health: StoreHealth,
    ) -> Result<StateMachineStore, DiskError> {
        let (state, applied) = match read_snapshot(&db)? {
            Some((meta, data)) => {
                let image: SnapshotImage = crate::codec::decode(&data)?;
                let applied = Applied {
                    last_applied: meta.last_log_id,
                    last_membership: meta.last_membership,
                };
                (image.state, applied)
            }
            None => (ClusterState::default(), Applied::default()),
        };
        let index = applied.last_applied.map_or(0, |id| id.index);
        Ok(StateMachineStore {
            inner: Arc::new(Inner {
                db,
                fsync,
                health,
                state: Arc::new(RwLock::new(state)),
                applied: Mutex::new(applied),
                owner_changes: Mutex::new(None),
                applied_tx: watch::Sender::new(index),
                snapshot_seq: AtomicU64::new(0),
            }),
        })
    }

    /// The applied state, shared: readers take the read lock briefly.
    pub fn state(&self) -> Arc<RwLock<ClusterState>> {
        self.inner.state.clone()
    }

    /// Runs `f` on the applied state under the read lock.
    pub fn read<T>(&self, f: impl FnOnce(&ClusterState) -> T) -> T {
        let state = self
            .inner
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        f(&state)
    }

    /// The log id of the last applied entry.
    pub fn last_applied(&self) -> Option<LogId> {
        self.applied().last_applied
    }

    /// Sends every owner change made by an applied `Reassign` (or found by comparing the state
    /// before and after an installed snapshot) to `tx`; replaces any earlier sender. Entries
    /// re-applied at startup are reported too if this is set before `Raft::new`.
    pub fn set_owner_changes(&self, tx: mpsc::UnboundedSender<OwnerChange>) {
        *lock(&self.inner.owner_changes) = Some(tx);
    }

    /// The index of the last applied entry (0 before any), to wait until a read index is
    /// applied: `rx.wait_for(|i| *i >= read_index)`.
    pub fn applied_watch(&self) -> watch::Receiver<u64> {
        self.inner.applied_tx.subscribe()
    }

    fn applied(&self) -> Applied {
        lock(&self.inner.applied).clone()
    }

    fn notify(&self, changes: Vec<OwnerChange>) {
        if let Some(tx) = lock(&self.inner.owner_changes).as_ref() {
            for change in changes {
                let _ = tx.send(change);
            }
        }
    }

    /// Stores `meta` and `data` as the current snapshot unless a newer one is stored already
    /// (a build racing an install).
    async fn persist(&self, meta: &SnapshotMeta, data: Vec<u8>) -> Result<Vec<u8>, StorageError> {
        let subject = ErrorSubject::Snapshot(Some(meta.signature()));
        let fail = |e: DiskError| e.storage(subject.clone(), ErrorVerb::Write);
        let meta_bytes = crate::codec::encode(meta).map_err(|e| fail(e.into()))?;
        let last = meta.last_log_id;
        write(&self.inner.db, self.inner.fsync, move |txn| {
            let mut table = txn.open_table(SNAPSHOT)?;
            let stored = match table.get(META_ROW)? {
                Some(v) => crate::codec::decode::<SnapshotMeta>(v.value())?.last_log_id,
                None => None,
            };
            if stored <= last {
                table.insert(META_ROW, meta_bytes.as_slice())?;
                table.insert(DATA_ROW, data.as_slice())?;
            }
            Ok(data)
        })
        .await
        .map_err(|e| {
            self.inner.health.fail("raft snapshot write", &e);
            fail(e)
        })
    }
}

/// The persisted snapshot's meta and data, if any (one read transaction).
fn read_snapshot(db: &Database) -> Result<Option<(SnapshotMeta, Vec<u8>)>, DiskError> {
    let txn = db.begin_read()?;
    let table = txn.open_table(SNAPSHOT)?;
    let (meta, data) = (table.get(META_ROW)?, table.get(DATA_ROW)?);
    match (meta, data) {
        (Some(meta), Some(data)) => Ok(Some((
            crate::codec::decode(meta.value())?,
            data.value().to_vec(),
        ))),
        (None, _) => Ok(None),
        (Some(_), None) => Err(DiskError::Corrupt("snapshot meta without data".into())),
    }
}

/// Locks a mutex whose data stays valid even if a holder panicked (plain values).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Dialogs present in both states whose owner differs.
fn owner_changes(before: &ClusterState, after: &ClusterState) -> Vec<OwnerChange> {
    after
        .dialogs()
        .filter_map(|(did, entry)| {
            let old = before.dialog(*did)?;
            (old.owner != entry.owner).then_some(OwnerChange {
                did: *did,
                from: old.owner,
                to: entry.owner,
                ended: None,
            })
        })
        .collect()
}

fn poisoned() -> StorageError {
    let e = AnyError::error("state machine lock poisoned by a panic during apply");
    StorageIOError::new(ErrorSubject::StateMachine, ErrorVerb::Write, e).into()
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachineStore {
    async fn build_snapshot(&mut self) -> Result<Snapshot, StorageError> {
        let image = {
            let state = self.inner.state.read().map_err(|_| poisoned())?;
            let applied = self.applied();
            SnapshotImage {
                last_applied: applied.last_applied,
                last_membership: applied.last_membership,
                state: state.clone(),
            }
        };
        let data = crate::codec::encode(&image).map_err(|e| {
            DiskError::from(e).storage(ErrorSubject::Snapshot(None), ErrorVerb::Write)
        })?;
        let seq = self.inner.snapshot_seq.fetch_add(1, Ordering::Relaxed);
        let snapshot_id = match image.last_applied {
            Some(id) => format!("{}-{}-{seq}", id.leader_id, id.index),
            None => format!("none-{seq}"),
        };
        let meta = SnapshotMeta {
            last_log_id: image.last_applied,
            last_membership: image.last_membership,
            snapshot_id,
        };
        let data = self.persist(&meta, data).await?;
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachineStore {
    type SnapshotBuilder = StateMachineStore;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        let applied = self.applied();
        Ok((applied.last_applied, applied.last_membership))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<CommandResult>, StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut results = Vec::new();
        let mut moved = Vec::new();
        let last = {
            let mut state = self.inner.state.write().map_err(|_| poisoned())?;
            let mut applied = lock(&self.inner.applied);
            for entry in entries {
                applied.last_applied = Some(entry.log_id);
                results.push(match entry.payload {
                    EntryPayload::Blank => CommandResult::Ok,
                    EntryPayload::Normal(cmd) => state.apply(cmd, &mut moved),
                    EntryPayload::Membership(m) => {
                        applied.last_membership = StoredMembership::new(Some(entry.log_id), m);
                        CommandResult::Ok
                    }
                });
            }
            applied.last_applied
        };
        self.notify(moved);
        if let Some(id) = last {
            self.inner.applied_tx.send_replace(id.index);
        }
        Ok(results)
    }

    async fn get_snapshot_builder(&mut self) -> StateMachineStore {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let subject = ErrorSubject::Snapshot(Some(meta.signature()));
        let image: SnapshotImage = crate::codec::decode(snapshot.get_ref())
            .map_err(|e| DiskError::from(e).storage(subject, ErrorVerb::Read))?;
        self.persist(meta, snapshot.into_inner()).await?;
        let changes = {
            let mut state = self.inner.state.write().map_err(|_| poisoned())?;
            let mut applied = lock(&self.inner.applied);
            let changes = owner_changes(&state, &image.state);
            *state = image.state;
            applied.last_applied = meta.last_log_id;
            applied.last_membership = meta.last_membership.clone();
            changes
        };
        self.notify(changes);
        if let Some(id) = meta.last_log_id {
            self.inner.applied_tx.send_replace(id.index);
        }
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, StorageError> {
        let stored = read_snapshot(&self.inner.db)
            .map_err(|e| e.storage(ErrorSubject::Snapshot(None), ErrorVerb::Read))?;
        Ok(stored.map(|(meta, data)| Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        }))
    }
}
