//! `rolling-restart`: each member in turn, followers first and the leader last, is stopped
//! cleanly (SIGTERM: its actors detach, no release) and started again on its data; the next one
//! goes only once the cluster has formed again.

use std::thread;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::{Scenario, fault_at};
use crate::backend::Fault;
use crate::config::{Params, RecordRoute};
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "rolling-restart",
    about: "SIGTERM and restart of each member in turn (leader last) under load",
    faults: &[Fault::Stop],
    record_route: RecordRoute::Own,
    inject,
};

/// Time a stopped member stays down.
const DOWN: Duration = Duration::from_secs(1);

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    let start = fault_at(params);
    let n = run.members();
    let spacing = ((params.seconds as f64 - start) / n as f64).max(6.0);
    let leader = run.leader()?;
    let order: Vec<usize> = (1..=n).map(|k| (leader + k) % n).collect();
    for (k, i) in order.into_iter().enumerate() {
        run.at(start + spacing * k as f64);
        let is_leader = run.leader()? == i;
        let since = Instant::now();
        if is_leader {
            run.mark_loss(i, &format!("SIGTERM of the leader, node {}", i + 1));
        }
        run.stop(i)?;
        if is_leader {
            run.new_leader_since(since)?;
        }
        thread::sleep(DOWN);
        run.restart(i)?;
        run.wait_formed()?;
    }
    Ok(())
}
