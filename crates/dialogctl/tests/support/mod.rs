//! The `dialogctl` tests' fixtures over the shared in-memory backend
//! (`dialogd_test_support::memory_api`): node 1 with three dialogs (two confirmed in
//! `caller/alice`, one early in `caller/bob`), a backend without `set_var`, and a cluster where
//! node 1 leads node 2 (a voter) and node 3 (an unreachable learner); the binary runner
//! (`run.rs`).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

pub mod run;

use dialogd_dialog::{DialogId, DialogSnapshot, DialogState, ProfileKey, Stats};
use dialogd_test_support::memory_api::{
    MemoryBackend, MemoryCluster, TestServer, serve, snapshot, view_with_unreachable_learner,
};

pub const STATS: Stats = Stats {
    active: 2,
    early: 1,
    processed: 2000,
    expired: 3,
    failed: 0,
};

/// Dialog `seq` of node 1, caller tag `tag-<seq>`, no flags set.
fn dialog(
    seq: u64,
    call_id: &str,
    state: DialogState,
    profiles: Vec<ProfileKey>,
) -> DialogSnapshot {
    let did = DialogId::new(1, seq);
    DialogSnapshot {
        flags: 0,
        profiles,
        ..snapshot(did, call_id, &format!("tag-{seq}"), state)
    }
}

/// Three dialogs: two of `caller/alice`, one early of `caller/bob`.
fn dialogs() -> Vec<DialogSnapshot> {
    let alice = || vec![ProfileKey::with_value("caller", "alice")];
    vec![
        dialog(1, "call-1", DialogState::Confirmed, alice()),
        dialog(2, "call-2", DialogState::Confirmed, alice()),
        dialog(
            3,
            "call-3",
            DialogState::Early,
            vec![ProfileKey::with_value("caller", "bob")],
        ),
    ]
}

/// Starts the API server on 127.0.0.1:0 over the fixtures (it stops when dropped).
pub async fn start() -> TestServer {
    start_options(dialogd_api::ApiOptions::default()).await
}

/// [`start`] with `options` (a token, TLS).
pub async fn start_options(options: dialogd_api::ApiOptions) -> TestServer {
    let backend = MemoryBackend::new(1, STATS, dialogs()).without("set_var");
    let cluster = MemoryCluster::new(view_with_unreachable_learner());
    serve(backend, cluster, options).await
}
