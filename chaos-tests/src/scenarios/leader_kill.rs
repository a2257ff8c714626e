//! `leader-kill`: SIGKILL of the leader under load; a new leader is measured; the dead member
//! stays away past the takeover grace (its dialogs move to the survivors), then restarts on
//! its data and rejoins.

use std::time::Instant;

use anyhow::Result;

use super::{AWAY, Scenario, fault_at, sleep_until};
use crate::backend::Fault;
use crate::config::Params;
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "leader-kill",
    about: "kill -9 of the leader under load, away past the takeover grace, then restarted",
    faults: &[Fault::Kill],
    inject,
};

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    run.at(fault_at(params));
    let leader = run.leader()?;
    let since = Instant::now();
    run.mark_loss(
        leader,
        &format!("kill -9 of the leader, node {}", leader + 1),
    );
    run.kill9(leader)?;
    run.new_leader_since(since)?;
    sleep_until(since, AWAY);
    run.restart(leader)?;
    run.wait_formed()?;
    Ok(())
}
