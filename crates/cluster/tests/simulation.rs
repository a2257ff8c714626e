//! Deterministic simulation (turmoil) of a three-node cluster under network faults: the profile
//! limit is never exceeded, and the nodes converge on exactly the dialogs the clients hold.
//!
//! What is simulated: hosts `n1`, `n2`, `n3`, each a [`ClusterNode`] (its own temp data dir,
//! `Fsync::Never`) serving `network::server::service` over turmoil TCP, its peers reached
//! through a [`Connector`] that dials turmoil TCP. `n1` starts alone, `n2` and `n3` join it.
//! A `client` host runs workers that admit dialogs into one profile limited to [`LIMIT`] and
//! release some, each through a random node's proxy (an in-memory channel to a task on that
//! node, which writes as `RaftStore` does: a failed admission queues a compensating release, a
//! failed release is queued with `queue_release`). Time is simulated; the redb writes
//! (`spawn_blocking`) and the log flusher thread are real and only make the run less
//! repeatable, not less correct.
//!
//! After every simulation step, on every node: `check_invariants()` holds, the profile holds
//! at most [`LIMIT`] dialogs, and the client holds at most [`LIMIT`] admitted dialogs. After
//! the faults stop and the load ends, every node's state becomes the same and holds exactly
//! the dialogs admitted and never released: no release (committed or queued) is lost, no
//! admission whose outcome was unknown lingers, nothing is counted twice.
//!
//! - `partitions_never_overshoot_and_converge`: the leader is cut off from both followers,
//!   then a follower from the others, then everything heals.
//! - `message_loss_never_overshoots_or_loses_a_release`: random link failures on every link,
//!   then links held (messages delayed) and released, then a clean network.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use dialogd_cluster::network::{self, Connector};
use dialogd_cluster::store::Fsync;
use dialogd_cluster::{ClusterNode, ClusterSettings, Command, CommandResult, Role};
use dialogd_dialog::{DialogId, EndCause, ProfileKey, ProfileMembership};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, oneshot};
use tonic::transport::{Endpoint, Server, Uri};

const NODES: [&str; 3] = ["n1", "n2", "n3"];
const PORT: u16 = 9000;
/// The profile's limit.
const LIMIT: u64 = 5;
/// How long the proxy waits for a write (in simulated time, see `carry_out`).
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
const WORKERS: usize = 4;

fn url(i: usize) -> String {
    format!("http://{}:{PORT}", NODES[i])
}

/// What a worker was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Admitted,
    Full,
    /// The admission may or may not commit; a release was queued for it.
    Unknown,
    Released,
    /// The release found the dialog gone (an earlier try of the same write had committed).
    ReleasedBefore,
    Queued,
}

/// A write for a node's proxy.
struct Op {
    cmd: Command,
    reply: oneshot::Sender<Outcome>,
}

/// What the client knows; the final state must be exactly `live`.
#[derive(Default)]
struct Tracker {
    next: u64,
    /// Admitted, no release issued.
    live: BTreeSet<DialogId>,
    /// Released or queued: must end up gone.
    released: BTreeSet<DialogId>,
    /// Admission outcome unknown, release queued: must end up gone.
    unknown: BTreeSet<DialogId>,
    counts: BTreeMap<String, u64>,
}

type Proxies = Arc<Mutex<BTreeMap<usize, (Arc<ClusterNode>, mpsc::UnboundedSender<Op>)>>>;

/// Dials turmoil TCP; HTTP/2 keep-alives drop a connection that lost a segment (turmoil TCP
/// does not retransmit) so that the channel reconnects.
fn sim_connector() -> Connector {
    Arc::new(|addr: &str| {
        let ep = Endpoint::from_shared(addr.to_owned())
            .map_err(|e| format!("bad peer address {addr:?}: {e}"))?
            .connect_timeout(Duration::from_millis(500))
            .http2_keep_alive_interval(Duration::from_millis(300))
            .keep_alive_timeout(Duration::from_millis(500))
            .keep_alive_while_idle(true);
        Ok(
            ep.connect_with_connector_lazy(tower::service_fn(|uri: Uri| async move {
                let host = uri.host().unwrap_or_default().to_owned();
                let stream = turmoil::net::TcpStream::connect((
                    host.as_str(),
                    uri.port_u16().unwrap_or(PORT),
                ))
                .await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            })),
        )
    })
}

/// A turmoil stream tonic's server accepts.
struct SimStream(turmoil::net::TcpStream);

impl tonic::transport::server::Connected for SimStream {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl AsyncRead for SimStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// One host's software: the node, its proxy task, its node-to-node server.
async fn node_host(i: usize, dir: PathBuf, proxies: Proxies) -> turmoil::Result {
    let mut s = ClusterSettings::new(i as u64 + 1, url(i), dir);
    s.fsync = Fsync::Never;
    s.secret = "sim-secret".into();
    s.write_timeout = WRITE_TIMEOUT;
    if i > 0 {
        s.join = vec![url(0)];
    }
    let listener = turmoil::net::TcpListener::bind(("0.0.0.0", PORT)).await?;
    let (node, _ownership) = ClusterNode::start(s, sim_connector()).await?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Op>();
    proxies.lock().unwrap().insert(i, (node.clone(), tx));
    let proxy = node.clone();
    tokio::spawn(async move {
        while let Some(op) = rx.recv().await {
            let node = proxy.clone();
            tokio::spawn(async move {
                let _ = op.reply.send(carry_out(&node, op.cmd).await);
            });
        }
    });
    let incoming = futures::stream::unfold(listener, |l| async move {
        let conn = l.accept().await.map(|(s, _)| SimStream(s));
        Some((conn, l))
    });
    Server::builder()
        .http2_keepalive_interval(Some(Duration::from_millis(300)))
        .http2_keepalive_timeout(Some(Duration::from_millis(500)))
        .add_service(network::server::service(node))
        .serve_with_incoming(incoming)
        .await?;
    Ok(())
}

/// What `RaftStore` does with an admission or a release. The write is bounded here in
/// simulated time because `ClusterNode::write` measures its deadline with `std::time::Instant`.
async fn carry_out(node: &ClusterNode, cmd: Command) -> Outcome {
    let (did, admit) = match &cmd {
        Command::Admit { did, .. } => (*did, true),
        Command::Release { did, .. } => (*did, false),
        other => panic!("the client sends no {other}"),
    };
    let r = tokio::time::timeout(WRITE_TIMEOUT, node.write(cmd)).await;
    match (admit, r) {
        (true, Ok(Ok(CommandResult::Ok | CommandResult::Duplicate))) => Outcome::Admitted,
        (true, Ok(Ok(CommandResult::LimitReached { .. }))) => Outcome::Full,
        (true, Ok(Ok(other))) => panic!("admit {did} answered {other:?}"),
        // Unknown: `write` re-sent a forwarded release whose first try had committed.
        (false, Ok(Ok(CommandResult::Ok))) => Outcome::Released,
        (false, Ok(Ok(CommandResult::Unknown))) => Outcome::ReleasedBefore,
        (false, Ok(Ok(other))) => panic!("release of admitted {did} answered {other:?}"),
        (true, _) => {
            node.queue_release(did, EndCause::Failed(503)).unwrap();
            Outcome::Unknown
        }
        (false, _) => {
            node.queue_release(did, EndCause::ByeCaller).unwrap();
            Outcome::Queued
        }
    }
}

/// One client worker: admit or release through a random node until told to stop.
async fn worker(proxies: Proxies, tracker: Arc<Mutex<Tracker>>, stop: Arc<AtomicBool>, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    while !stop.load(Ordering::Relaxed) {
        let cmd = {
            let mut t = tracker.lock().unwrap();
            if !t.live.is_empty() && rng.random_bool(0.5) {
                let did = *t
                    .live
                    .iter()
                    .nth(rng.random_range(0..t.live.len()))
                    .unwrap();
                t.live.remove(&did);
                Command::Release {
                    did,
                    cause: EndCause::ByeCaller,
                }
            } else {
                t.next += 1;
                Command::Admit {
                    did: DialogId(t.next),
                    owner: 1,
                    profiles: vec![ProfileMembership {
                        key: ProfileKey::with_value("caller", "alice"),
                        limit: Some(LIMIT as u32),
                    }],
                    record: None,
                }
            }
        };
        let (Command::Admit { did, .. } | Command::Release { did, .. }) = &cmd else {
            unreachable!()
        };
        let (did, to) = (*did, rng.random_range(0..3));
        let (reply, answer) = oneshot::channel();
        let sent = proxies
            .lock()
            .unwrap()
            .get(&to)
            .map(|(_, tx)| tx.send(Op { cmd, reply }).is_ok());
        assert_eq!(sent, Some(true), "n{} has no proxy", to + 1);
        let outcome = answer.await.unwrap();
        {
            let mut t = tracker.lock().unwrap();
            *t.counts.entry(format!("{outcome:?}")).or_default() += 1;
            match outcome {
                Outcome::Admitted => t.live.insert(did),
                Outcome::Full => false,
                Outcome::Unknown => t.unknown.insert(did),
                Outcome::Released | Outcome::ReleasedBefore | Outcome::Queued => {
                    t.released.insert(did)
                }
            };
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..40))).await;
    }
}

/// The simulation, its shared views, and the temp dirs that must outlive it.
struct Harness {
    sim: turmoil::Sim<'static>,
    proxies: Proxies,
    tracker: Arc<Mutex<Tracker>>,
    stop: Arc<AtomicBool>,
    _dirs: Vec<tempfile::TempDir>,
}

impl Harness {
    /// Three nodes joined into one cluster, and the client load running.
    fn start(seed: u64) -> Harness {
        let sim = turmoil::Builder::new()
            .simulation_duration(Duration::from_secs(300))
            .tick_duration(Duration::from_millis(1))
            .min_message_latency(Duration::from_millis(1))
            .max_message_latency(Duration::from_millis(10))
            .rng_seed(seed)
            .build();
        let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let mut h = Harness {
            sim,
            proxies: Proxies::default(),
            tracker: Arc::default(),
            stop: Arc::default(),
            _dirs: Vec::new(),
        };
        for (i, dir) in dirs.iter().enumerate() {
            let (dir, proxies) = (dir.path().to_path_buf(), h.proxies.clone());
            h.sim
                .host(NODES[i], move || node_host(i, dir.clone(), proxies.clone()));
        }
        h._dirs = dirs;
        h.run_until(
            Duration::from_secs(30),
            "three voters agree on a leader",
            |h| {
                let proxies = h.proxies.lock().unwrap();
                let views: Vec<_> = proxies.values().map(|(n, _)| n.view()).collect();
                views.len() == 3
                    && views.iter().all(|v| {
                        v.leader.is_some()
                            && v.leader == views[0].leader
                            && v.members.iter().filter(|m| m.role == Role::Voter).count() == 3
                    })
            },
        );
        let (proxies, tracker, stop) = (h.proxies.clone(), h.tracker.clone(), h.stop.clone());
        h.sim.client("client", async move {
            let workers: Vec<_> = (0..WORKERS as u64)
                .map(|w| {
                    tokio::spawn(worker(
                        proxies.clone(),
                        tracker.clone(),
                        stop.clone(),
                        seed + w,
                    ))
                })
                .collect();
            for w in workers {
                w.await?;
            }
            Ok(())
        });
        h
    }

    /// One step, then the invariants on every node and at the client.
    fn step(&mut self) {
        self.sim.step().unwrap();
        for (i, (node, _)) in self.proxies.lock().unwrap().iter() {
            let state = node.state();
            let s = state.read().unwrap();
            s.check_invariants()
                .unwrap_or_else(|e| panic!("n{}: {e}", i + 1));
            let size = s.profile_size("caller", Some("alice"));
            assert!(
                size <= LIMIT,
                "n{}: {size} dialogs in a profile of {LIMIT}",
                i + 1
            );
        }
        let held = self.tracker.lock().unwrap().live.len() as u64;
        assert!(
            held <= LIMIT,
            "the client was admitted {held} dialogs, limit {LIMIT}"
        );
    }

    fn run_for(&mut self, d: Duration) {
        let end = self.sim.elapsed() + d;
        while self.sim.elapsed() < end {
            self.step();
        }
    }

    fn run_until(&mut self, limit: Duration, what: &str, done: impl Fn(&Harness) -> bool) {
        let end = self.sim.elapsed() + limit;
        while !done(self) {
            assert!(self.sim.elapsed() < end, "not within {limit:?}: {what}");
            self.step();
        }
    }

    /// The node the others follow.
    fn leader(&self) -> usize {
        let proxies = self.proxies.lock().unwrap();
        let id = proxies
            .values()
            .find_map(|(n, _)| n.is_leader().then(|| n.node_id()));
        id.expect("a leader") as usize - 1
    }

    fn isolate(&self, i: usize) {
        for o in (0..3).filter(|o| *o != i) {
            self.sim.partition(NODES[i], NODES[o]);
        }
    }

    fn heal(&self) {
        for (a, b) in [(0, 1), (0, 2), (1, 2)] {
            self.sim.repair(NODES[a], NODES[b]);
            self.sim.release(NODES[a], NODES[b]);
        }
    }

    /// Stops the load, waits for convergence and checks the final state against the client.
    fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.run_until(
            Duration::from_secs(60),
            "all nodes equal the client's view",
            |h| {
                let t = h.tracker.lock().unwrap();
                let proxies = h.proxies.lock().unwrap();
                let states: Vec<_> = proxies
                    .values()
                    .map(|(n, _)| n.state().read().unwrap().clone())
                    .collect();
                states.iter().all(|s| *s == states[0])
                    && states[0]
                        .dialogs()
                        .map(|(d, _)| *d)
                        .eq(t.live.iter().copied())
            },
        );
        let t = self.tracker.lock().unwrap();
        assert!(t.unknown.is_disjoint(&t.live) && t.released.is_disjoint(&t.live));
        println!(
            "{:?} simulated; outcomes {:?}",
            self.sim.elapsed(),
            t.counts
        );
    }
}

#[test]
fn partitions_never_overshoot_and_converge() {
    let mut h = Harness::start(7);
    h.run_for(Duration::from_secs(3));
    let leader = h.leader();
    h.isolate(leader);
    h.run_for(Duration::from_secs(5));
    h.heal();
    h.run_for(Duration::from_secs(3));
    let follower = (h.leader() + 1) % 3;
    h.isolate(follower);
    h.run_for(Duration::from_secs(5));
    h.heal();
    h.run_for(Duration::from_secs(3));
    h.finish();
}

#[test]
fn message_loss_never_overshoots_or_loses_a_release() {
    let mut h = Harness::start(11);
    h.sim.set_fail_rate(0.01);
    h.run_for(Duration::from_secs(8));
    h.sim.set_fail_rate(0.0);
    for (a, b) in [(0, 1), (1, 2), (0, 2)] {
        h.sim.hold(NODES[a], NODES[b]);
        h.run_for(Duration::from_secs(3));
        h.sim.release(NODES[a], NODES[b]);
        h.run_for(Duration::from_secs(1));
    }
    h.heal();
    h.finish();
}
