//! `pause`: SIGSTOP of the leader under load for longer than the takeover grace (the others
//! elect a leader and take its dialogs), then SIGCONT: the frozen member wakes up with stale
//! actors and timers and must step down and give its dialogs up without a second BYE.

use anyhow::Result;

use super::{Scenario, leader_away};
use crate::backend::Fault;
use crate::config::{Params, RecordRoute};
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "pause",
    about: "SIGSTOP of the leader for longer than the takeover grace, then SIGCONT",
    faults: &[Fault::Pause],
    record_route: RecordRoute::Own,
    inject,
};

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    leader_away(run, params, "SIGSTOP", Run::pause, Run::resume)
}
