//! `follower-kill`: SIGKILL of a follower under load (the leader stays); the dead member stays
//! away past the takeover grace (its dialogs move), then restarts on its data and catches up.

use anyhow::Result;

use super::{Scenario, follower_away};
use crate::backend::Fault;
use crate::config::{Params, RecordRoute};
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "follower-kill",
    about: "kill -9 of a follower under load, away past the takeover grace, then restarted",
    faults: &[Fault::Kill],
    record_route: RecordRoute::Own,
    inject,
};

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    follower_away(run, params, "kill -9", Run::kill9, Run::restart)
}
