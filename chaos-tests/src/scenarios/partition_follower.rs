//! `partition-follower`: a follower cut off from the others (its SIP side kept) past the
//! takeover grace, then reconnected; the leader stays. Needs a network per member: the local
//! backend skips it.

use anyhow::Result;

use super::{Scenario, follower_away};
use crate::backend::Fault;
use crate::config::{Params, RecordRoute};
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "partition-follower",
    about: "a follower cut off from the others past the takeover grace, then reconnected",
    faults: &[Fault::Partition],
    record_route: RecordRoute::Own,
    inject,
};

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    follower_away(run, params, "partition", Run::partition, Run::reconnect)
}
