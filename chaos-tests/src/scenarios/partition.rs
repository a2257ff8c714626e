//! `partition`: the leader cut off from the other members (its SIP side kept: callers still
//! send to it) for longer than the takeover grace, then reconnected. The majority elects a
//! leader and takes the cut-off member's dialogs; the cut-off member cannot admit (503 without
//! quorum) and must not fire the timeouts of dialogs the others took. Needs a network per
//! member: the local backend skips it and says why.

use std::time::Instant;

use anyhow::Result;

use super::{AWAY, Scenario, fault_at, sleep_until};
use crate::backend::Fault;
use crate::config::Params;
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "partition",
    about: "the leader cut off from the others past the takeover grace, then reconnected",
    faults: &[Fault::Partition],
    inject,
};

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    run.at(fault_at(params));
    let leader = run.leader()?;
    let since = Instant::now();
    run.mark_loss(
        leader,
        &format!("partition of the leader, node {}", leader + 1),
    );
    run.partition(leader)?;
    run.new_leader_since(since)?;
    sleep_until(since, AWAY);
    run.reconnect(leader)?;
    run.wait_formed()?;
    Ok(())
}
