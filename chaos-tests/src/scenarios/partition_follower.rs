//! `partition-follower`: a follower cut off from the others (its SIP side kept) past the
//! takeover grace, then reconnected; the leader stays. Needs a network per member: the local
//! backend skips it.

use std::time::Instant;

use anyhow::Result;

use super::{AWAY, Scenario, fault_at, sleep_until};
use crate::backend::Fault;
use crate::config::Params;
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "partition-follower",
    about: "a follower cut off from the others past the takeover grace, then reconnected",
    faults: &[Fault::Partition],
    inject,
};

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    run.at(fault_at(params));
    let leader = run.leader()?;
    let victim = run.other_than(leader);
    let since = Instant::now();
    run.mark_loss(
        victim,
        &format!("partition of a follower, node {}", victim + 1),
    );
    run.partition(victim)?;
    let still = run.leader()?;
    run.note(format!("node {} leads", still + 1));
    sleep_until(since, AWAY);
    run.reconnect(victim)?;
    run.wait_formed()?;
    Ok(())
}
