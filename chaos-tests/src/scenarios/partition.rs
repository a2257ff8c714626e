//! `partition`: the leader cut off from the other members (and its callers kept) for longer
//! than the takeover grace, then reconnected. Needs network namespaces or containers: the
//! local backend skips it and says why.

use anyhow::{Result, bail};

use super::Scenario;
use crate::backend::Fault;
use crate::config::Params;
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "partition",
    about: "the leader cut off from the others past the takeover grace, then healed",
    faults: &[Fault::Partition],
    inject,
};

fn inject(_run: &mut Run, _params: &Params) -> Result<()> {
    bail!("no backend offers partitions yet")
}
