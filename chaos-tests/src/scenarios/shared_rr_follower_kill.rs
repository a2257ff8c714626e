//! `shared-rr-follower-kill`: `shared-rr-leader-kill` with a follower as the victim (the one that
//! is not member 3, whose address every member writes in Record-Route); the leader stays, so
//! claims and reassignments of the dead member's dialogs are committed without an election.

use anyhow::Result;

use super::{SHARED_RR_MEMBER, Scenario, follower_away};
use crate::backend::Fault;
use crate::config::{Params, RecordRoute};
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "shared-rr-follower-kill",
    about: "follower-kill with one Record-Route shared by every member (no VIP): the dead \
            follower's calls are hung up through a survivor",
    faults: &[Fault::Kill],
    record_route: RecordRoute::Shared(SHARED_RR_MEMBER),
    inject,
};

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    follower_away(run, params, "kill -9", Run::kill9, Run::restart)
}
