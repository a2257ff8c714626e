//! `full-stop-start`: every member stopped cleanly (SIGTERM) with calls up, then all started
//! again on their data: dialog records and counts come back from disk, the calls end normally
//! afterwards (their BYEs were retransmitted meanwhile) and timed calls still time out.

use std::thread;
use std::time::Duration;

use anyhow::Result;

use super::{Scenario, fault_at};
use crate::backend::Fault;
use crate::config::{Params, RecordRoute};
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "full-stop-start",
    about: "SIGTERM of every member with calls up, then every member started again",
    faults: &[Fault::Stop],
    record_route: RecordRoute::Own,
    inject,
};

/// Time the whole cluster stays down.
const DOWN: Duration = Duration::from_secs(2);

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    run.at(fault_at(params));
    let leader = run.leader()?;
    let n = run.members();
    // Followers first, the leader last: the cluster keeps a leader as long as it can.
    for k in 1..=n {
        run.stop((leader + k) % n)?;
    }
    thread::sleep(DOWN);
    for i in 0..n {
        run.restart(i)?;
    }
    run.wait_formed()?;
    Ok(())
}
