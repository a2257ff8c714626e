//! `netem`: delay and loss (`tc netem`) on the SIP traffic of one member (a follower) for the
//! middle third of the load. UDP retransmissions must carry every call through; nothing is
//! lost or counted twice. Needs a network interface per member (containers): the local
//! backend skips it and says why.

use std::time::Duration;

use anyhow::Result;

use super::{Scenario, fault_at};
use crate::backend::Fault;
use crate::config::{Params, RecordRoute};
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "netem",
    about: "delay and loss on one member's SIP traffic for a third of the load",
    faults: &[Fault::Netem],
    record_route: RecordRoute::Own,
    inject,
};

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    run.at(fault_at(params));
    let leader = run.leader()?;
    let victim = run.other_than(leader);
    run.shape(victim)?;
    let third = Duration::from_secs(params.seconds / 3).max(Duration::from_secs(5));
    std::thread::sleep(third);
    run.unshape(victim)?;
    Ok(())
}
