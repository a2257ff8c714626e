//! `partition`: the leader cut off from the other members (its SIP side kept: callers still
//! send to it) for longer than the takeover grace, then reconnected. The majority elects a
//! leader and takes the cut-off member's dialogs; the cut-off member cannot admit (503 without
//! quorum) and must not fire the timeouts of dialogs the others took. Needs a network per
//! member: the local backend skips it and says why.

use anyhow::Result;

use super::{Scenario, leader_away};
use crate::backend::Fault;
use crate::config::{Params, RecordRoute};
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "partition",
    about: "the leader cut off from the others past the takeover grace, then reconnected",
    faults: &[Fault::Partition],
    record_route: RecordRoute::Own,
    inject,
};

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    leader_away(run, params, "partition", Run::partition, Run::reconnect)
}
