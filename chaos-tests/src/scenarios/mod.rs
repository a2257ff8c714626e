//! The scenarios, one per file: each a [`Scenario`] with a name (`--scenario NAME`), a line of
//! description, the faults it needs (a backend that cannot inject one skips it), what the
//! members write in Record-Route (their own address, or one shared by all: a backend that cannot
//! share one skips it) and the function that injects the faults into a running [`Run`] under
//! load. Healing what is still broken, ending the load and judging are the runner's
//! ([`crate::run`]).
//!
//! The loss helpers ([`leader_away`], [`follower_away`]) never take away the member whose
//! address is the shared Record-Route: it stands in for a name that resolves to every member,
//! which no single fault takes away.

use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::backend::{Backend, Fault};
use crate::config::{Params, RecordRoute, TAKEOVER_GRACE};
use crate::run::Run;

mod follower_kill;
mod full_stop_start;
mod leader_kill;
mod netem;
mod partition;
mod partition_follower;
mod pause;
mod rolling_restart;
mod shared_rr_follower_kill;
mod shared_rr_leader_kill;

/// One scenario. See the module doc.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub about: &'static str,
    pub faults: &'static [Fault],
    pub record_route: RecordRoute,
    pub inject: fn(&mut Run, &Params) -> Result<()>,
}

impl Scenario {
    /// Why `backend` cannot run this scenario (a fault or the Record-Route it cannot give),
    /// if it cannot.
    pub fn unavailable(&self, backend: Backend) -> Option<String> {
        self.faults
            .iter()
            .find_map(|f| backend.supports(*f).err())
            .or_else(|| backend.supports_record_route(self.record_route).err())
    }
}

/// The member whose SIP address every member writes in Record-Route in the shared-rr scenarios:
/// member 3, the last to join, so not the leader when the cluster has formed (the local
/// backend's member 1 starts the cluster and leads it); the victims are other members.
pub(crate) const SHARED_RR_MEMBER: usize = 2;

/// Every scenario, in the order `--scenario all` runs them.
pub fn all() -> [Scenario; 10] {
    [
        leader_kill::SCENARIO,
        follower_kill::SCENARIO,
        shared_rr_leader_kill::SCENARIO,
        shared_rr_follower_kill::SCENARIO,
        pause::SCENARIO,
        rolling_restart::SCENARIO,
        full_stop_start::SCENARIO,
        partition::SCENARIO,
        partition_follower::SCENARIO,
        netem::SCENARIO,
    ]
}

/// The scenario called `name`.
pub fn find(name: &str) -> Option<Scenario> {
    all().into_iter().find(|s| s.name == name)
}

/// How long a lost member stays away: past the takeover grace, so its dialogs move.
pub(crate) const AWAY: Duration = Duration::from_secs(TAKEOVER_GRACE.as_secs() + 4);

/// When the first fault hits: a third into the load, at least 5 s in (calls are up by then).
pub(crate) fn fault_at(params: &Params) -> f64 {
    (params.seconds as f64 / 3.0).max(5.0)
}

/// Sleeps until `d` after `since`.
pub(crate) fn sleep_until(since: Instant, d: Duration) {
    if let Some(left) = (since + d).checked_duration_since(Instant::now()) {
        thread::sleep(left);
    }
}

/// A fault that takes member `i` away ([`Run::kill9`], [`Run::pause`], [`Run::partition`]) or
/// brings it back ([`Run::restart`], [`Run::resume`], [`Run::reconnect`]).
pub(crate) type Action = fn(&mut Run, usize) -> Result<()>;

/// The leader-loss scenarios: a third into the load, `lose` the leader (the failover window
/// counts from here, named `what`), wait for a new leader, stay away past the takeover grace,
/// `back`, and wait for the cluster to form again. Refuses when the leader's address is the
/// shared Record-Route.
pub(crate) fn leader_away(
    run: &mut Run,
    params: &Params,
    what: &str,
    lose: Action,
    back: Action,
) -> Result<()> {
    run.at(fault_at(params));
    let leader = run.leader()?;
    if run.shared_record_route() == Some(leader) {
        bail!(
            "node {} leads and its address is the shared Record-Route, which stands in for a name \
             no single loss takes away: the scenario needs the cluster to form under another member",
            leader + 1
        );
    }
    let since = Instant::now();
    run.mark_loss(
        leader,
        &format!("{what} of the leader, node {}", leader + 1),
    );
    lose(run, leader)?;
    run.new_leader_since(since)?;
    sleep_until(since, AWAY);
    back(run, leader)?;
    run.wait_formed()?;
    Ok(())
}

/// [`leader_away`] for a follower (the next one after the leader that is not the shared
/// Record-Route's member): the leader stays (noted once the follower is gone).
pub(crate) fn follower_away(
    run: &mut Run,
    params: &Params,
    what: &str,
    lose: Action,
    back: Action,
) -> Result<()> {
    run.at(fault_at(params));
    let leader = run.leader()?;
    let shared = run.shared_record_route();
    let mut victim = run.other_than(leader);
    if shared == Some(victim) {
        victim = run.other_than(victim);
    }
    let since = Instant::now();
    run.mark_loss(
        victim,
        &format!("{what} of a follower, node {}", victim + 1),
    );
    lose(run, victim)?;
    let still = run.leader()?;
    run.note(format!("node {} leads", still + 1));
    sleep_until(since, AWAY);
    back(run, victim)?;
    run.wait_formed()?;
    Ok(())
}
