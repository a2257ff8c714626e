//! [`WriteQueue`]: this node's writes to the cluster, committed together. Every caller
//! ([`crate::RaftStore`]: admissions, record updates, releases; takeover; the release queue)
//! puts one [`Command`] in the queue and waits for its own [`CommandResult`]; one task takes
//! whatever has queued since its last submission and commits it as one Raft entry
//! ([`Command::Batch`]), at most [`IN_FLIGHT`] entries at a time. Under load the batches grow
//! by themselves: while one entry is being replicated and fsynced, the next fills.
//!
//! ```text
//!  admit ─┐                         ┌─ Batch[admit, update, release, …] ─▶ ClusterNode::commit
//!  update ├─▶ queue ─▶ batcher task ┤       (leader: client_write; follower: one Write rpc)
//!  release┘   (unbounded; admissions └─ results split back, one answer per caller
//!              shed when it is deep)
//! ```
//!
//! Why it is safe: the commands of a batch are applied one by one in order, each with its own
//! result, exactly as if they had been separate entries (a limit is checked against
//! everything applied before it, whichever node admitted it); a batch that is retried after a
//! lost answer re-applies commands that are idempotent per dialog (a second `Admit` answers
//! `Duplicate`, a second `Release` or `Update` changes nothing). Callers that depend on the
//! order of their own commands (a dialog's update after its admission) wait for the first
//! answer before sending the next.
//!
//! Admissions are the writes that can be refused: when more than [`ADMISSION_BACKLOG`]
//! commands wait to be submitted (commands arrive faster than the cluster commits them),
//! [`WriteQueue::congested`] says so and a new call is answered 503 at once instead of
//! queueing behind work the node cannot finish in time. Updates and releases always queue:
//! they finish calls already admitted. A slow commit alone (an election, a slow disk) does not
//! refuse calls: at ordinary rates they wait for it, as they would without the queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::time::Instant;

use crate::cluster_node::{ClusterError, ClusterNode};
use crate::command::{Command, CommandResult};

/// Raft entries this node has submitted and not yet seen committed.
pub const IN_FLIGHT: usize = 1;

/// Commands in one entry at most.
pub const MAX_BATCH: usize = 1024;

/// Queued commands beyond which new admissions are refused (about half a second of work at
/// the rate one node reaches on 2 cores).
pub const ADMISSION_BACKLOG: usize = 4 * MAX_BATCH;

type Reply = oneshot::Sender<Result<CommandResult, ClusterError>>;

struct Queued {
    cmd: Command,
    deadline: Instant,
    reply: Reply,
}

/// The queue in front of [`ClusterNode::commit`].
pub struct WriteQueue {
    tx: mpsc::UnboundedSender<Queued>,
    /// Shared with the batcher task.
    gauges: Arc<Gauges>,
}

#[derive(Default)]
struct Gauges {
    /// Commands queued and not yet submitted.
    queued: AtomicUsize,
}

impl std::fmt::Debug for WriteQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteQueue")
            .field("queued", &self.gauges.queued.load(Ordering::Relaxed))
            .finish()
    }
}

impl WriteQueue {
    /// A queue whose batcher is started by [`WriteQueue::spawn`].
    pub(crate) fn new() -> (WriteQueue, WriteQueueRx) {
        let (tx, rx) = mpsc::unbounded_channel();
        let gauges = Arc::new(Gauges::default());
        (
            WriteQueue {
                tx,
                gauges: gauges.clone(),
            },
            WriteQueueRx { rx, gauges },
        )
    }

    /// Queues `cmd` and waits for its result, or fails at `deadline`.
    pub(crate) async fn write(
        &self,
        cmd: Command,
        deadline: Instant,
    ) -> Result<CommandResult, ClusterError> {
        let (reply, rx) = oneshot::channel();
        self.gauges.queued.fetch_add(1, Ordering::Relaxed);
        if self
            .tx
            .send(Queued {
                cmd,
                deadline,
                reply,
            })
            .is_err()
        {
            self.gauges.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(ClusterError::Unavailable("the node is stopping".into()));
        }
        match rx.await {
            Ok(r) => r,
            Err(_) => Err(ClusterError::Unavailable("the node is stopping".into())),
        }
    }

    /// Whether a new admission should be refused now (see the module doc); the reason.
    pub fn congested(&self) -> Option<String> {
        let queued = self.gauges.queued.load(Ordering::Relaxed);
        (queued > ADMISSION_BACKLOG).then(|| format!("{queued} cluster writes queued"))
    }
}

/// The batcher's end of the queue.
pub(crate) struct WriteQueueRx {
    rx: mpsc::UnboundedReceiver<Queued>,
    gauges: Arc<Gauges>,
}

impl WriteQueueRx {
    /// Starts the batcher task for `node`; it ends when the node stops.
    pub(crate) fn spawn(self, node: &Arc<ClusterNode>) {
        let weak = Arc::downgrade(node);
        let stop = node.stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = batcher(weak, self) => {}
                () = stop.cancelled() => {}
            }
        });
    }
}

async fn batcher(node: std::sync::Weak<ClusterNode>, mut q: WriteQueueRx) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    loop {
        // A free slot first: while every slot is taken, commands pile up into the next batch.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = q.rx.recv().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match q.rx.try_recv() {
                Ok(c) => batch.push(c),
                Err(_) => break,
            }
        }
        q.gauges.queued.fetch_sub(batch.len(), Ordering::Relaxed);
        metrics::histogram!("dialogd_cluster_batch_commands").record(batch.len() as f64);
        let Some(node) = node.upgrade() else {
            return;
        };
        tokio::spawn(async move {
            commit(&node, batch).await;
            drop(slot);
        });
    }
}

/// Commits `batch` as one entry and answers each caller.
async fn commit(node: &ClusterNode, batch: Vec<Queued>) {
    // Callers that gave up (deadline passed) are answered at once and left out.
    let now = Instant::now();
    let (live, late): (Vec<Queued>, Vec<Queued>) =
        batch.into_iter().partition(|q| q.deadline > now);
    for q in late {
        let _ = q.reply.send(Err(ClusterError::Unavailable(
            "not submitted before the write timeout (the node is overloaded)".into(),
        )));
    }
    let Some(deadline) = live.iter().map(|q| q.deadline).min() else {
        return;
    };
    let (cmds, replies): (Vec<Command>, Vec<Reply>) =
        live.into_iter().map(|q| (q.cmd, q.reply)).unzip();
    let n = cmds.len();
    match node.commit(Command::Batch(cmds), deadline).await {
        Ok(CommandResult::Batch(results)) if results.len() == n => {
            for (reply, r) in replies.into_iter().zip(results) {
                let _ = reply.send(Ok(r));
            }
        }
        Ok(other) => {
            let e = ClusterError::Unavailable(format!("unexpected batch result {other:?}"));
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
        Err(e) => {
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}
