//! `netem`: delay, loss and reordering (`tc netem`) on one member's links under load. Needs a
//! network interface per member (containers): the local backend skips it and says why.

use anyhow::{Result, bail};

use super::Scenario;
use crate::backend::Fault;
use crate::config::Params;
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "netem",
    about: "delay, loss and reordering on one member's links under load",
    faults: &[Fault::Netem],
    inject,
};

fn inject(_run: &mut Run, _params: &Params) -> Result<()> {
    bail!("no backend offers netem yet")
}
