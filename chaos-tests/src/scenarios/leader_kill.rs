//! `leader-kill`: SIGKILL of the leader under load; a new leader is measured; the dead member
//! stays away past the takeover grace (its dialogs move to the survivors), then restarts on
//! its data and rejoins.

use anyhow::Result;

use super::{Scenario, leader_away};
use crate::backend::Fault;
use crate::config::{Params, RecordRoute};
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "leader-kill",
    about: "kill -9 of the leader under load, away past the takeover grace, then restarted",
    faults: &[Fault::Kill],
    record_route: RecordRoute::Own,
    inject,
};

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    leader_away(run, params, "kill -9", Run::kill9, Run::restart)
}
