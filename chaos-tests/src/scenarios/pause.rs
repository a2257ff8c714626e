//! `pause`: SIGSTOP of the leader under load for longer than the takeover grace (the others
//! elect a leader and take its dialogs), then SIGCONT: the frozen member wakes up with stale
//! actors and timers and must step down and give its dialogs up without a second BYE.

use std::time::Instant;

use anyhow::Result;

use super::{AWAY, Scenario, fault_at, sleep_until};
use crate::backend::Fault;
use crate::config::Params;
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "pause",
    about: "SIGSTOP of the leader for longer than the takeover grace, then SIGCONT",
    faults: &[Fault::Pause],
    inject,
};

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    run.at(fault_at(params));
    let leader = run.leader()?;
    let since = Instant::now();
    run.mark_loss(
        leader,
        &format!("SIGSTOP of the leader, node {}", leader + 1),
    );
    run.pause(leader)?;
    run.new_leader_since(since)?;
    sleep_until(since, AWAY);
    run.resume(leader)?;
    run.wait_formed()?;
    Ok(())
}
