//! The redb Raft store passes openraft's storage suite, and what it wrote (log, vote, committed
//! log id, snapshots) is read back by a node that reopens the same data dir.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use dialogd_cluster::raft_types::{Entry, LogId, StorageError, StoredMembership, TypeConfig, Vote};
use dialogd_cluster::store::{self, Fsync, LogStore, StateMachineStore};
use dialogd_cluster::{Command, CommandResult, OwnerChange};
use dialogd_dialog::{DialogId, ProfileKey, ProfileMembership};
use openraft::storage::{RaftLogStorage, RaftLogStorageExt, RaftStateMachine};
use openraft::testing::{StoreBuilder, Suite};
use openraft::{
    BasicNode, CommittedLeaderId, EntryPayload, Membership, RaftLogReader, RaftSnapshotBuilder,
    StorageHelper,
};
use tempfile::TempDir;

/// A fresh store in its own temp dir, kept alive as long as the test holds the dir.
struct TempStore(Fsync);

impl StoreBuilder<TypeConfig, LogStore, StateMachineStore, TempDir> for TempStore {
    async fn build(&self) -> Result<(TempDir, LogStore, StateMachineStore), StorageError> {
        let dir = tempfile::tempdir().unwrap();
        let (log, sm) = store::open(dir.path(), self.0).unwrap();
        Ok((dir, log, sm))
    }
}

#[test]
fn openraft_storage_suite_passes_with_fsync() {
    Suite::test_all(TempStore(Fsync::Always)).unwrap();
}

#[test]
fn openraft_storage_suite_passes_without_fsync() {
    Suite::test_all(TempStore(Fsync::Never)).unwrap();
}

fn log_id(term: u64, index: u64) -> LogId {
    LogId::new(CommittedLeaderId::new(term, 1), index)
}

fn membership() -> Membership<u64, BasicNode> {
    let nodes = BTreeMap::from([(1, BasicNode::new("http://127.0.0.1:50051"))]);
    Membership::new(vec![BTreeSet::from([1])], nodes)
}

fn entry(term: u64, index: u64, payload: EntryPayload<TypeConfig>) -> Entry {
    Entry {
        log_id: log_id(term, index),
        payload,
    }
}

fn admit(did: u64, owner: u64) -> EntryPayload<TypeConfig> {
    EntryPayload::Normal(Command::Admit {
        did: DialogId(did),
        owner,
        profiles: vec![ProfileMembership {
            key: ProfileKey {
                name: "caller".into(),
                value: Some("alice".into()),
            },
            limit: Some(10),
        }],
        record: None,
    })
}

/// From index 0: blank, membership, then `admits` admissions owned by node 1.
fn entries(admits: u64) -> Vec<Entry> {
    let mut out = vec![
        entry(1, 0, EntryPayload::Blank),
        entry(1, 1, EntryPayload::Membership(membership())),
    ];
    out.extend((0..admits).map(|i| entry(1, 2 + i, admit(100 + i, 1))));
    out
}

#[tokio::test]
async fn log_vote_and_committed_survive_a_restart_and_committed_entries_are_reapplied() {
    let dir = tempfile::tempdir().unwrap();
    let written = entries(4); // indexes 0..=5
    {
        let (mut log, _sm) = store::open(dir.path(), Fsync::Always).unwrap();
        log.save_vote(&Vote::new(3, 1)).await.unwrap();
        log.blocking_append(written.clone()).await.unwrap();
        log.truncate(log_id(1, 5)).await.unwrap();
        log.save_committed(Some(log_id(1, 3))).await.unwrap();
        // the node stops before applying anything
    }

    let (mut log, mut sm) = store::open(dir.path(), Fsync::Always).unwrap();
    assert_eq!(log.read_vote().await.unwrap(), Some(Vote::new(3, 1)));
    assert_eq!(log.read_committed().await.unwrap(), Some(log_id(1, 3)));
    assert_eq!(log.try_get_log_entries(0..).await.unwrap(), written[..5]);
    let state = log.get_log_state().await.unwrap();
    assert_eq!(state.last_log_id, Some(log_id(1, 4)));
    assert_eq!(state.last_purged_log_id, None);

    // Raft::new does this: the state machine catches up to the committed log id, not beyond.
    StorageHelper::new(&mut log, &mut sm)
        .get_initial_state()
        .await
        .unwrap();
    assert_eq!(sm.last_applied(), Some(log_id(1, 3)));
    assert_eq!(sm.read(|s| s.profile_size("caller", Some("alice"))), 2);
    assert_eq!(*sm.applied_watch().borrow(), 3);
    let (_, mem) = sm.applied_state().await.unwrap();
    assert_eq!(mem, StoredMembership::new(Some(log_id(1, 1)), membership()));
}

#[tokio::test]
async fn purge_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut log, _sm) = store::open(dir.path(), Fsync::Never).unwrap();
        log.blocking_append(entries(3)).await.unwrap();
        log.purge(log_id(1, 2)).await.unwrap();
    }
    let (mut log, _sm) = store::open(dir.path(), Fsync::Never).unwrap();
    let state = log.get_log_state().await.unwrap();
    assert_eq!(state.last_purged_log_id, Some(log_id(1, 2)));
    assert_eq!(state.last_log_id, Some(log_id(1, 4)));
    let left: Vec<u64> = log
        .try_get_log_entries(..)
        .await
        .unwrap()
        .iter()
        .map(|e| e.log_id.index)
        .collect();
    assert_eq!(left, [3, 4]);
}

#[tokio::test]
async fn built_and_installed_snapshots_are_restored_on_reopen() {
    let leader_dir = tempfile::tempdir().unwrap();
    let follower_dir = tempfile::tempdir().unwrap();
    let (built, at_snapshot) = {
        let (_log, mut sm) = store::open(leader_dir.path(), Fsync::Always).unwrap();
        let results = sm.apply(entries(3)).await.unwrap();
        assert_eq!(results, vec![CommandResult::Ok; 5]);
        let built = sm
            .get_snapshot_builder()
            .await
            .build_snapshot()
            .await
            .unwrap();
        let at_snapshot = sm.read(|s| s.clone());
        // applied after the snapshot: not in it, so gone after the restart (the log has it)
        sm.apply([entry(1, 5, admit(999, 1))]).await.unwrap();
        let (_flog, mut follower) = store::open(follower_dir.path(), Fsync::Always).unwrap();
        let mut data = follower.begin_receiving_snapshot().await.unwrap();
        *data = *built.snapshot.clone();
        follower.install_snapshot(&built.meta, data).await.unwrap();
        (built, at_snapshot)
    };
    for dir in [&leader_dir, &follower_dir] {
        let (_log, mut sm) = store::open(dir.path(), Fsync::Always).unwrap();
        assert_eq!(sm.read(|s| s.clone()), at_snapshot);
        assert_eq!(sm.read(|s| s.dialog_count()), 3);
        let (applied, mem) = sm.applied_state().await.unwrap();
        assert_eq!(applied, Some(log_id(1, 4)));
        assert_eq!(mem, StoredMembership::new(Some(log_id(1, 1)), membership()));
        assert_eq!(*sm.applied_watch().borrow(), 4);
        let current = sm.get_current_snapshot().await.unwrap().unwrap();
        assert_eq!(current.meta, built.meta);
        assert_eq!(
            current.snapshot.into_inner(),
            built.snapshot.get_ref().clone()
        );
    }
}

#[tokio::test]
async fn reassign_reports_owner_changes_and_applied_index() {
    let dir = tempfile::tempdir().unwrap();
    let (_log, mut sm) = store::open(dir.path(), Fsync::Never).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    sm.set_owner_changes(tx);
    let mut applied = sm.applied_watch();
    sm.apply(entries(1)).await.unwrap();
    let moves = vec![(DialogId(100), 1, 2)];
    let results = sm
        .apply([entry(
            2,
            3,
            EntryPayload::Normal(Command::Reassign { moves }),
        )])
        .await
        .unwrap();
    assert_eq!(results, [CommandResult::Moved(1)]);
    let change = rx.try_recv().unwrap();
    assert_eq!(
        change,
        OwnerChange {
            did: DialogId(100),
            from: 1,
            to: 2,
            ended: None,
        }
    );
    assert_eq!(*applied.wait_for(|i| *i >= 3).await.unwrap(), 3);
}

#[tokio::test]
async fn a_corrupt_log_row_is_a_storage_error_not_a_panic() {
    let dir = written_log(entries(3)).await; // indexes 0..=4
    corrupt_row(dir.path(), 3);
    let (mut log, _sm) = store::open(dir.path(), Fsync::Always).unwrap();
    assert!(log.try_get_log_entries(0..).await.is_err());
    assert!(log.try_get_log_entries(0..3).await.is_ok());
}

#[tokio::test]
async fn a_corrupt_last_log_row_fails_the_open_with_the_file_and_the_reason() {
    let dir = written_log(entries(1)).await; // indexes 0..=2
    corrupt_row(dir.path(), 2);
    let Err(e) = store::open(dir.path(), Fsync::Always) else {
        panic!("a store whose last log row does not decode opened");
    };
    let e = e.to_string();
    assert!(e.contains(store::FILE_NAME) && e.contains("bad row"), "{e}");
}

/// A data dir whose log holds `written`, closed.
async fn written_log(written: Vec<Entry>) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _sm) = store::open(dir.path(), Fsync::Always).unwrap();
    log.blocking_append(written).await.unwrap();
    dir
}

/// Overwrites log row `index` with bytes that decode as nothing.
fn corrupt_row(dir: &std::path::Path, index: u64) {
    let db = redb::Database::create(dir.join(store::FILE_NAME)).unwrap();
    let txn = db.begin_write().unwrap();
    let logs: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("logs");
    txn.open_table(logs)
        .unwrap()
        .insert(index, b"not json".as_slice())
        .unwrap();
    txn.commit().unwrap();
}

/// An entry of about `size` bytes (a long profile value), tagged by `mark`.
fn big_entry(term: u64, index: u64, mark: &str, size: usize) -> Entry {
    let value = format!("{mark}{}", "x".repeat(size));
    entry(
        term,
        index,
        EntryPayload::Normal(Command::Admit {
            did: DialogId(index),
            owner: 1,
            profiles: vec![ProfileMembership {
                key: ProfileKey::with_value("caller", value),
                limit: None,
            }],
            record: None,
        }),
    )
}

#[tokio::test]
async fn a_log_larger_than_its_memory_cache_reads_back_whole_through_truncate_and_purge() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _sm) = store::open(dir.path(), Fsync::Always).unwrap();
    // 24 MB: more than the cache keeps, so the oldest entries are read back from disk.
    let first: Vec<Entry> = (0..400).map(|i| big_entry(1, i, "a", 60_000)).collect();
    const { assert!(400 * 60_000 > store::CACHE_BYTES) };
    log.blocking_append(first.clone()).await.unwrap();
    assert_eq!(log.try_get_log_entries(0..400).await.unwrap(), first);
    assert_eq!(
        log.try_get_log_entries(10..20).await.unwrap(),
        first[10..20]
    );

    // A new leader's entries replace the tail from 300 on.
    log.truncate(log_id(1, 300)).await.unwrap();
    let second: Vec<Entry> = (300..350).map(|i| big_entry(2, i, "b", 60_000)).collect();
    log.blocking_append(second.clone()).await.unwrap();
    let mut expected = first[..300].to_vec();
    expected.extend(second.clone());
    assert_eq!(log.try_get_log_entries(0..).await.unwrap(), expected);
    assert_eq!(
        log.get_log_state().await.unwrap().last_log_id,
        Some(log_id(2, 349))
    );

    log.purge(log_id(1, 99)).await.unwrap();
    assert_eq!(
        log.try_get_log_entries(100..).await.unwrap(),
        expected[100..]
    );
    drop(log);
    drop(_sm);

    // What was read from memory is on disk too.
    let (mut log, _sm) = store::open(dir.path(), Fsync::Always).unwrap();
    assert_eq!(
        log.try_get_log_entries(100..).await.unwrap(),
        expected[100..]
    );
    let state = log.get_log_state().await.unwrap();
    assert_eq!(state.last_purged_log_id, Some(log_id(1, 99)));
    assert_eq!(state.last_log_id, Some(log_id(2, 349)));
}
