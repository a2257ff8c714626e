//! Simulation (turmoil) of a three-node cluster under network faults: a profile limit is never
//! exceeded, and the nodes converge on exactly the dialogs the client holds.
//!
//! Simulated: hosts `n1`, `n2`, `n3`, each a [`ClusterNode`] (own temp data dir,
//! `Fsync::Never`) serving `network::server::service` over turmoil TCP and dialing its peers
//! through a turmoil [`Connector`]; `n1` starts alone, `n2` and `n3` join it. A `client` host
//! runs workers that admit dialogs into one profile limited to [`LIMIT`] and release some, each
//! through a random node's proxy (an in-memory channel to a task on that node that writes as
//! `RaftStore` does: a failed admission queues a compensating release, a failed release is
//! queued). Time and network are simulated; the redb writes (`spawn_blocking`), the log flusher
//! thread and openraft's election jitter are not, so a seed (`SIM_SEED`) does not replay a run.
//!
//! After every step, on every node: `check_invariants()` holds and the profile holds at most
//! [`LIMIT`] dialogs; the client holds at most [`LIMIT`] admitted dialogs. Once faults and load
//! stop, every node's state becomes equal and holds exactly the dialogs admitted and not
//! released, and still does 10 s later: no release (committed or queued) is lost, no admission
//! of unknown outcome lingers, nothing is counted twice.
//!
//! - `partitions_never_overshoot_and_converge`: the leader is cut off, then a follower, then
//!   everything heals.
//! - `message_loss_never_overshoots_or_loses_a_release`: random link failures on every link,
//!   then each link held (messages delayed past the write timeout) and released.
//! - `concurrent_joins_all_become_voters`: two nodes joining at once both end up voters.

#![allow(clippy::unwrap_used, reason = "a test: its helpers unwrap too")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dialogd_cluster::network::{self, Connector};
use dialogd_cluster::store::Fsync;
use dialogd_cluster::{ClusterNode, ClusterSettings, Command, CommandResult as Res, Role};
use dialogd_dialog::{DialogId, EndCause, ProfileKey, ProfileMembership};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::{mpsc, oneshot};
use tonic::transport::{Endpoint, Server, Uri};

const NODES: [&str; 3] = ["n1", "n2", "n3"];
const PORT: u16 = 9000;
const LIMIT: u64 = 5;
/// How long a proxy waits for a write, in simulated time (see `carry_out`).
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
const WORKERS: u64 = 4;

fn url(i: usize) -> String {
    format!("http://{}:{PORT}", NODES[i])
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn seed(default: u64) -> u64 {
    std::env::var("SIM_SEED").map_or(default, |s| s.parse().unwrap())
}

/// Admits `did` into `caller` = `value`, limited to `limit`.
fn admit(did: u64, value: &str, limit: Option<u32>) -> Command {
    let key = ProfileKey::with_value("caller", value);
    let (did, profiles) = (DialogId(did), vec![ProfileMembership { key, limit }]);
    let record = None;
    Command::Admit {
        did,
        owner: 1,
        profiles,
        record,
    }
}

/// What a worker was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Admitted,
    Full,
    /// The admission may or may not commit; a release was queued for it.
    Unknown,
    /// Committed (or found gone: `write` re-sent it after an unanswered try had committed).
    Released,
    Queued,
}

/// A write for a node's proxy.
struct Op {
    cmd: Command,
    reply: oneshot::Sender<Outcome>,
}

/// What the client knows; the final state must hold exactly `live`.
#[derive(Default)]
struct Tracker {
    next: u64,
    /// Admitted, no release issued.
    live: BTreeSet<DialogId>,
    /// Admissions of unknown outcome (compensated): must end up gone.
    unknown: BTreeSet<DialogId>,
    counts: BTreeMap<String, u64>,
}

type Proxies = Arc<Mutex<BTreeMap<usize, (Arc<ClusterNode>, mpsc::UnboundedSender<Op>)>>>;

/// Dials turmoil TCP. turmoil does not retransmit a lost segment, so a connection that lost
/// one stalls: HTTP/2 keep-alives close it and the channel reconnects.
fn sim_connector() -> Connector {
    Arc::new(|addr: &str| {
        let ep = Endpoint::from_shared(addr.to_owned()).map_err(|e| format!("{addr}: {e}"))?;
        let ep = ep.connect_timeout(ms(500)).keep_alive_while_idle(true);
        let ep = ep
            .http2_keep_alive_interval(ms(300))
            .keep_alive_timeout(ms(500));
        let dial = |uri: Uri| async move {
            let host = (
                uri.host().unwrap_or_default(),
                uri.port_u16().unwrap_or(PORT),
            );
            let stream = turmoil::net::TcpStream::connect(host).await?;
            Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
        };
        Ok(ep.connect_with_connector_lazy(tower::service_fn(dial)))
    })
}

/// One host's software: the node, its proxy task, its node-to-node server.
async fn node_host(i: usize, dir: PathBuf, proxies: Proxies) -> turmoil::Result {
    let mut s = ClusterSettings::new(i as u64 + 1, url(i), dir);
    (s.fsync, s.secret, s.write_timeout) = (Fsync::Never, "sim".into(), WRITE_TIMEOUT);
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
            tokio::spawn(async move { op.reply.send(carry_out(&node, op.cmd).await) });
        }
    });
    // tonic serves what implements `Connected`: bridge each turmoil stream to a duplex pipe.
    let incoming = futures::stream::unfold(listener, |l| async move {
        let conn = l.accept().await.map(|(mut stream, _)| {
            let (mut near, far) = tokio::io::duplex(1 << 16);
            tokio::spawn(
                async move { tokio::io::copy_bidirectional(&mut stream, &mut near).await },
            );
            far
        });
        Some((conn, l))
    });
    let server = Server::builder().http2_keepalive_interval(Some(ms(300)));
    let mut server = server.http2_keepalive_timeout(Some(ms(500)));
    let router = server.add_service(network::server::service(node));
    router.serve_with_incoming(incoming).await?;
    Ok(())
}

/// What `RaftStore` does with an admission or a release. The write is bounded here because
/// `ClusterNode::write` measures its deadline with `std::time::Instant` (real time).
async fn carry_out(node: &ClusterNode, cmd: Command) -> Outcome {
    let (Command::Admit { did, .. } | Command::Release { did, .. }) = cmd.clone() else {
        panic!("the client sends no {cmd}")
    };
    let admit = matches!(cmd, Command::Admit { .. });
    let written = tokio::time::timeout(WRITE_TIMEOUT, node.write(cmd)).await;
    match (admit, written) {
        (true, Ok(Ok(Res::Ok | Res::Duplicate))) => Outcome::Admitted,
        (true, Ok(Ok(Res::LimitReached { .. }))) => Outcome::Full,
        (false, Ok(Ok(Res::Ok | Res::Unknown))) => Outcome::Released,
        (_, Ok(Ok(other))) => panic!("{did}: unexpected {other:?}"),
        (true, Ok(Err(_)) | Err(_)) => {
            node.queue_release(did, EndCause::Failed(503)).unwrap();
            Outcome::Unknown
        }
        (false, Ok(Err(_)) | Err(_)) => {
            node.queue_release(did, EndCause::ByeCaller).unwrap();
            Outcome::Queued
        }
    }
}

/// One client worker: admit or release through a random node until told to stop.
async fn worker(proxies: Proxies, tracker: Arc<Mutex<Tracker>>, stop: Arc<AtomicBool>, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    while !stop.load(Relaxed) {
        let cmd = {
            let mut t = tracker.lock().unwrap();
            let nth = rng.random_range(0..t.live.len().max(1));
            match t.live.iter().nth(nth).copied() {
                Some(did) if rng.random_bool(0.5) => {
                    t.live.remove(&did);
                    Command::Release {
                        did,
                        cause: EndCause::ByeCaller,
                    }
                }
                _ => {
                    t.next += 1;
                    admit(t.next, "alice", Some(LIMIT as u32))
                }
            }
        };
        let (Command::Admit { did, .. } | Command::Release { did, .. }) = cmd else {
            unreachable!()
        };
        let (reply, answer) = oneshot::channel();
        let proxy = proxies.lock().unwrap()[&rng.random_range(0..3)].1.clone();
        proxy.send(Op { cmd, reply }).unwrap();
        let outcome = answer.await.unwrap();
        {
            let mut t = tracker.lock().unwrap();
            *t.counts.entry(format!("{outcome:?}")).or_default() += 1;
            match outcome {
                Outcome::Admitted => t.live.insert(did),
                Outcome::Unknown => t.unknown.insert(did),
                _ => false,
            };
        }
        tokio::time::sleep(ms(rng.random_range(0..40))).await;
    }
}

/// The simulation, what the test observes of it, and the data dirs that outlive it.
struct Harness {
    sim: turmoil::Sim<'static>,
    proxies: Proxies,
    tracker: Arc<Mutex<Tracker>>,
    stop: Arc<AtomicBool>,
    client_done: Arc<AtomicBool>,
    /// Check the invariants after every step (off for the 9000-dialog join test).
    checked: bool,
    _dirs: Vec<tempfile::TempDir>,
}

impl Harness {
    /// The three hosts, started at once.
    fn new(seed: u64) -> Harness {
        let mut sim = turmoil::Builder::new()
            .simulation_duration(Duration::from_secs(300))
            .tick_duration(ms(1))
            .min_message_latency(ms(1))
            .max_message_latency(ms(10))
            .rng_seed(seed)
            .build();
        let _dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let proxies = Proxies::default();
        for (i, dir) in _dirs.iter().enumerate() {
            let (dir, proxies) = (dir.path().to_path_buf(), proxies.clone());
            sim.host(NODES[i], move || node_host(i, dir.clone(), proxies.clone()));
        }
        let (tracker, stop, client_done) = Default::default();
        Harness {
            sim,
            proxies,
            tracker,
            stop,
            client_done,
            checked: true,
            _dirs,
        }
    }

    /// Three voters agreeing on a leader, and the client load running.
    fn start(seed: u64) -> Harness {
        let mut h = Harness::new(seed);
        h.run_until(Duration::from_secs(30), "cluster formed", Harness::formed);
        let (proxies, tracker, stop) = (h.proxies.clone(), h.tracker.clone(), h.stop.clone());
        let done = h.client_done.clone();
        h.sim.client("client", async move {
            let workers: Vec<_> = (0..WORKERS)
                .map(|w| worker(proxies.clone(), tracker.clone(), stop.clone(), seed + w))
                .map(tokio::spawn)
                .collect();
            for w in workers {
                w.await?;
            }
            done.store(true, Relaxed);
            Ok(())
        });
        h
    }

    /// The nodes started so far, by index.
    fn nodes(&self) -> Vec<(usize, Arc<ClusterNode>)> {
        let proxies = self.proxies.lock().unwrap();
        proxies.iter().map(|(i, (n, _))| (*i, n.clone())).collect()
    }

    /// Three nodes agreeing on a leader and on the voters `{1, 2, 3}` (not a joint config).
    fn formed(&self) -> bool {
        let seen = |n: &ClusterNode| {
            let m = n.raft().metrics().borrow().clone();
            let voters = m.membership_config.membership().get_joint_config().clone();
            (m.current_leader, voters)
        };
        let seen: Vec<_> = self.nodes().iter().map(|(_, n)| seen(n)).collect();
        let all = vec![BTreeSet::from([1, 2, 3])];
        seen.len() == 3
            && seen[0].0.is_some()
            && seen.iter().all(|s| (s.0, &s.1) == (seen[0].0, &all))
    }

    /// One step, then the invariants on every node and at the client.
    fn step(&mut self) {
        self.sim.step().unwrap();
        for (i, node) in self.nodes().into_iter().filter(|_| self.checked) {
            let state = node.state();
            let s = state.read().unwrap();
            s.check_invariants()
                .unwrap_or_else(|e| panic!("n{}: {e}", i + 1));
            let size = s.profile_size("caller", Some("alice"));
            assert!(size <= LIMIT, "n{}: {size} dialogs, limit {LIMIT}", i + 1);
        }
        let held = self.tracker.lock().unwrap().live.len() as u64;
        assert!(
            held <= LIMIT,
            "the client holds {held} dialogs, limit {LIMIT}"
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

    fn leader(&self) -> usize {
        self.nodes()
            .into_iter()
            .find(|(_, n)| n.is_leader())
            .unwrap()
            .0
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

    /// The dialogs each node holds.
    fn held(&self) -> Vec<(usize, BTreeSet<DialogId>)> {
        let held = |n: &ClusterNode| {
            n.state()
                .read()
                .unwrap()
                .dialogs()
                .map(|(d, _)| *d)
                .collect()
        };
        self.nodes().iter().map(|(i, n)| (*i, held(n))).collect()
    }

    /// Whether every node's state is the same and holds exactly the client's live dialogs.
    fn converged(&self) -> bool {
        let states: Vec<_> = self.nodes().iter().map(|(_, n)| n.state()).collect();
        let first = states[0].read().unwrap().clone();
        let same = states.iter().all(|s| *s.read().unwrap() == first);
        same && self
            .held()
            .iter()
            .all(|(_, h)| *h == self.tracker.lock().unwrap().live)
    }

    /// Per node: the dialogs it holds that the client does not expect, and those it misses.
    fn differences(&self) -> String {
        let t = self.tracker.lock().unwrap();
        let mut out = String::new();
        for (i, held) in self.held() {
            let extra: Vec<_> = held.difference(&t.live).collect();
            let unknown: Vec<_> = extra.iter().filter(|d| t.unknown.contains(d)).collect();
            let missing: Vec<_> = t.live.difference(&held).collect();
            let n = i + 1;
            out += &format!("\nn{n}: extra {extra:?} (unknown: {unknown:?}), missing {missing:?}");
        }
        out
    }

    /// Stops the load, waits for convergence, runs on (late messages, queued releases) and
    /// checks again.
    fn finish(mut self) {
        self.stop.store(true, Relaxed);
        let end = self.sim.elapsed() + Duration::from_secs(60);
        while !(self.client_done.load(Relaxed) && self.converged()) {
            assert!(
                self.sim.elapsed() < end,
                "no convergence:{}",
                self.differences()
            );
            self.step();
        }
        self.run_for(Duration::from_secs(10));
        assert!(self.converged(), "diverged:{}", self.differences());
        let t = self.tracker.lock().unwrap();
        println!(
            "{:?} simulated; outcomes {:?}",
            self.sim.elapsed(),
            t.counts
        );
    }
}

#[test]
fn partitions_never_overshoot_and_converge() {
    let mut h = Harness::start(seed(7));
    h.run_for(Duration::from_secs(3));
    h.isolate(h.leader());
    h.run_for(Duration::from_secs(5));
    h.heal();
    h.run_for(Duration::from_secs(3));
    h.isolate((h.leader() + 1) % 3);
    h.run_for(Duration::from_secs(5));
    h.heal();
    h.run_for(Duration::from_secs(3));
    h.finish();
}

#[test]
fn message_loss_never_overshoots_or_loses_a_release() {
    let mut h = Harness::start(seed(11));
    h.sim.set_fail_rate(0.02);
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

/// Two nodes joining at once must both end up voters. The sequence that used to break it:
/// `n1` holds 9000 entries (more than openraft's `replication_lag_threshold`, 5000, so
/// `add_learner` waits for the catch-up); `n3` (45 ms away) joins first, the voters read as
/// `{1}`, and waits as a learner; `n2` (near) joins meanwhile and becomes a voter (`{1, 2}`);
/// then `n3`'s join set the voters to the stale `{1} + 3 = {1, 3}`, removing `n2`. Joins now
/// add one voter (`AddVoterIds`) instead of replacing the set.
#[test]
fn concurrent_joins_all_become_voters() {
    let mut h = Harness::new(seed(3));
    h.checked = false;
    h.sim.hold("n1", "n2");
    h.sim.hold("n1", "n3");
    h.sim.set_link_latency("n1", "n3", ms(45));
    let (proxies, filled) = (h.proxies.clone(), h.client_done.clone());
    h.sim.client("filler", async move {
        while !proxies.lock().unwrap().contains_key(&0) {
            tokio::time::sleep(ms(10)).await;
        }
        let tx = proxies.lock().unwrap()[&0].1.clone();
        for did in 0..9000 {
            let (reply, answer) = oneshot::channel();
            tx.send(Op {
                cmd: admit(did, "bob", None),
                reply,
            })
            .unwrap();
            if did % 100 == 99 {
                assert_eq!(answer.await.unwrap(), Outcome::Admitted);
            }
        }
        filled.store(true, Relaxed);
        Ok(())
    });
    h.run_until(Duration::from_secs(30), "log filled", |h| {
        h.client_done.load(Relaxed)
    });
    h.sim.release("n1", "n3");
    h.run_until(Duration::from_secs(10), "n3 a learner", |h| {
        let members = h.nodes()[0].1.view().members;
        members
            .iter()
            .any(|m| m.node_id == 3 && m.role == Role::Learner)
    });
    h.sim.release("n1", "n2");
    h.run_until(Duration::from_secs(30), "cluster formed", Harness::formed);
}
