//! Takeover on node loss: every member tells the leader it is alive once a
//! second; the leader reassigns the dialogs of a member silent for longer than the grace to
//! the live members (round robin), in one `Reassign` command. Every node watches the owner
//! changes it applies and tells the proxy to adopt the dialogs that became its own or to drop
//! the ones that went elsewhere (a node that comes back never fires timers for dialogs it no
//! longer owns). At start a node adopts the dialogs it still owns, once it has caught up with
//! the leader (a linearizable read), so a stale copy never resurrects a dialog.
//!
//! The proxy decides what to do with each: start an actor for a confirmed dialog, release one
//! that was never confirmed (its INVITE transaction died with the old owner: cause
//! `takeover_lost`), ignore one it runs already or created itself since it started.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use dialogd_dialog::DialogId;
use tokio::sync::mpsc;

use crate::cluster_node::{ClusterNode, Ownership};
use crate::cluster_state::{DialogEntry, OwnerChange};
use crate::command::Command;
use crate::network::{ForwardError, Heartbeat, Rpc};
use crate::raft_types::NodeId;

const TICK: Duration = Duration::from_secs(1);

/// Starts the heartbeat sender, the leader's reassigner, the startup adoption and the owner
/// change watcher.
pub(crate) fn spawn(node: &Arc<ClusterNode>, changes: mpsc::UnboundedReceiver<OwnerChange>) {
    tokio::spawn(heartbeats(node.clone()));
    tokio::spawn(reassigner(node.clone()));
    tokio::spawn(adopt_own_then_watch(node.clone(), changes));
}

/// How often a member that has not yet reached the leader tries: a member that just
/// (re)started must be heard at once, or the leader, whose last word from it is older than the
/// grace, reassigns the calls it admits in its first second as a dead member's.
const FIRST_TICK: Duration = Duration::from_millis(100);

async fn heartbeats(node: Arc<ClusterNode>) {
    let me = node.node_id();
    let mut heard = false;
    loop {
        if let Some((leader, addr)) = node.leader()
            && leader != me
        {
            let r: Result<Result<(), ForwardError>, _> = node
                .peers
                .call(&addr, Rpc::Heartbeat, &Heartbeat { node_id: me }, TICK)
                .await;
            match r {
                Ok(Ok(())) => heard = true,
                Ok(Err(e)) => tracing::debug!(error = %e, "heartbeat refused by the leader"),
                Err(e) => tracing::debug!(error = %e, "heartbeat to leader failed"),
            }
        }
        let tick = if heard { TICK } else { FIRST_TICK };
        tokio::select! {
            () = node.stop.cancelled() => return,
            () = tokio::time::sleep(tick) => {}
        }
    }
}

impl ClusterNode {
    /// The leader notes that `node` is alive.
    pub(crate) fn heard_from(&self, node: NodeId) {
        self.last_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(node, Instant::now());
    }
}

async fn reassigner(node: Arc<ClusterNode>) {
    let me = node.node_id();
    let mut leading_term: Option<u64> = None;
    loop {
        tokio::select! {
            () = node.stop.cancelled() => return,
            () = tokio::time::sleep(TICK) => {}
        }
        let m = node.raft.metrics().borrow().clone();
        if m.current_leader != Some(me) {
            leading_term = None;
            continue;
        }
        let members: BTreeSet<NodeId> = m
            .membership_config
            .membership()
            .nodes()
            .map(|(id, _)| *id)
            .collect();
        if leading_term != Some(m.current_term) {
            // New leader: give everyone a full grace from now.
            leading_term = Some(m.current_term);
            let now = Instant::now();
            let mut seen = node.last_seen.lock().unwrap_or_else(|e| e.into_inner());
            seen.clear();
            for id in &members {
                seen.insert(*id, now);
            }
            continue;
        }
        node.heard_from(me);
        let grace = node.settings.takeover_grace;
        let seen: HashMap<NodeId, Instant> = node
            .last_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let alive = |id: &NodeId| seen.get(id).is_some_and(|t| t.elapsed() <= grace);
        let live: Vec<NodeId> = members.iter().copied().filter(|id| alive(id)).collect();
        if live.is_empty() {
            continue;
        }
        let moves: Vec<(DialogId, u64, u64)> = {
            let state = node.sm.state();
            let s = state.read().unwrap_or_else(|e| e.into_inner());
            s.dialogs()
                .filter(|(_, e)| !(members.contains(&e.owner) && alive(&e.owner)))
                .enumerate()
                .map(|(i, (did, e))| (*did, e.owner, live[i % live.len()]))
                .collect()
        };
        if moves.is_empty() {
            continue;
        }
        let dead: BTreeSet<u64> = moves.iter().map(|(_, from, _)| *from).collect();
        tracing::warn!(
            ?dead,
            dialogs = moves.len(),
            "members silent past the grace: reassigning their dialogs"
        );
        for chunk in moves.chunks(1000) {
            match node
                .write(Command::Reassign {
                    moves: chunk.to_vec(),
                })
                .await
            {
                Ok(r) => tracing::info!(result = ?r, "dialogs reassigned"),
                Err(e) => {
                    tracing::warn!(error = %e, "reassign not committed");
                    break;
                }
            }
        }
    }
}

async fn adopt_own_then_watch(
    node: Arc<ClusterNode>,
    mut changes: mpsc::UnboundedReceiver<OwnerChange>,
) {
    // Catch up first: a linearizable read succeeds only once this node applied everything
    // the leader had committed when it was asked.
    loop {
        if node.stop.is_cancelled() {
            return;
        }
        let caught_up = tokio::select! {
            () = node.stop.cancelled() => return,
            r = node.catch_up() => r,
        };
        match caught_up {
            Ok(_) => break,
            Err(e) => tracing::debug!(error = %e, "waiting to catch up before adopting dialogs"),
        }
    }
    let me = node.node_id();
    let owned: Vec<DialogId> = {
        let state = node.sm.state();
        let s = state.read().unwrap_or_else(|e| e.into_inner());
        s.owned_by(me).map(|(did, _)| *did).collect()
    };
    if !owned.is_empty() {
        tracing::info!(dialogs = owned.len(), "adopting the dialogs this node owns");
    }
    for did in owned {
        if node.stop.is_cancelled() {
            return;
        }
        adopt(&node, did).await;
    }
    loop {
        let change = tokio::select! {
            () = node.stop.cancelled() => return,
            c = changes.recv() => match c { Some(c) => c, None => return },
        };
        let owner_now = {
            let state = node.sm.state();
            let s = state.read().unwrap_or_else(|e| e.into_inner());
            s.dialog(change.did).map(|e| e.owner)
        };
        if change.to == me && owner_now == Some(me) {
            adopt(&node, change.did).await;
        } else if change.from == me && owner_now != Some(me) {
            let o = match (change.ended, owner_now) {
                (Some(cause), None) => Ownership::Ended(change.did, cause),
                _ => Ownership::Disown(change.did),
            };
            let _ = node.ownership.send(o);
        }
    }
}

/// Hands a dialog this node owns now to the proxy (which starts it, or releases it if it
/// cannot be continued, or ignores it if it runs it already).
async fn adopt(node: &Arc<ClusterNode>, did: DialogId) {
    let record = {
        let state = node.sm.state();
        let s = state.read().unwrap_or_else(|e| e.into_inner());
        s.dialog(did).map(DialogEntry::record)
    };
    if let Some(record) = record {
        let _ = node
            .ownership
            .send(Ownership::Adopt(did, record.map(Box::new)));
    }
}
