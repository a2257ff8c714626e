//! `follower-kill`: SIGKILL of a follower under load (the leader stays); the dead member stays
//! away past the takeover grace (its dialogs move), then restarts on its data and catches up.

use std::time::Instant;

use anyhow::Result;

use super::{AWAY, Scenario, fault_at, sleep_until};
use crate::backend::Fault;
use crate::config::Params;
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "follower-kill",
    about: "kill -9 of a follower under load, away past the takeover grace, then restarted",
    faults: &[Fault::Kill],
    inject,
};

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    run.at(fault_at(params));
    let leader = run.leader()?;
    let victim = run.other_than(leader);
    let since = Instant::now();
    run.mark_loss(
        victim,
        &format!("kill -9 of a follower, node {}", victim + 1),
    );
    run.kill9(victim)?;
    let still = run.leader()?;
    run.note(format!("node {} leads", still + 1));
    sleep_until(since, AWAY);
    run.restart(victim)?;
    run.wait_formed()?;
    Ok(())
}
