//! The scenarios, one per file: each a [`Scenario`] with a name (`--scenario NAME`), a line of
//! description, the faults it needs (a backend that cannot inject one skips it) and the function
//! that injects them into a running [`Run`] under load. Healing what is still broken, ending
//! the load and judging are the runner's ([`crate::run`]).

use std::thread;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::backend::Fault;
use crate::config::{Params, TAKEOVER_GRACE};
use crate::run::Run;

mod follower_kill;
mod full_stop_start;
mod leader_kill;
mod netem;
mod partition;
mod partition_follower;
mod pause;
mod rolling_restart;

/// One scenario. See the module doc.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub about: &'static str,
    pub faults: &'static [Fault],
    pub inject: fn(&mut Run, &Params) -> Result<()>,
}

/// Every scenario, in the order `--scenario all` runs them.
pub fn all() -> [Scenario; 8] {
    [
        leader_kill::SCENARIO,
        follower_kill::SCENARIO,
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
/// `back`, and wait for the cluster to form again.
pub(crate) fn leader_away(
    run: &mut Run,
    params: &Params,
    what: &str,
    lose: Action,
    back: Action,
) -> Result<()> {
    run.at(fault_at(params));
    let leader = run.leader()?;
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

/// [`leader_away`] for a follower: the leader stays (noted once the follower is gone).
pub(crate) fn follower_away(
    run: &mut Run,
    params: &Params,
    what: &str,
    lose: Action,
    back: Action,
) -> Result<()> {
    run.at(fault_at(params));
    let leader = run.leader()?;
    let victim = run.other_than(leader);
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
