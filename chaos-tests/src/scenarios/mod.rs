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
