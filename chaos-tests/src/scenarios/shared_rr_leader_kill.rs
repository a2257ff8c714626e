//! `shared-rr-leader-kill`: `leader-kill` on a cluster without a VIP. Every member writes the
//! same address in Record-Route (`sip_record_route`: member 3's, standing in for a name that
//! resolves to every member) and the `chaos` and `timed` callers and callees follow RFC 3261:
//! in-dialog requests go where the Record-Route points, responses where the Via points. The
//! leader is killed with calls up and stays away past the takeover grace: the calls it set up
//! are hung up through the shared address — a member that asks the dead owner in vain claims
//! the dialog and proxies the BYE, or the dialog's adopter judges it once the grace has passed
//! — and must end on both sides like every other call. The report counts them
//! (`victim_calls`).

use anyhow::Result;

use super::{SHARED_RR_MEMBER, Scenario, leader_away};
use crate::backend::Fault;
use crate::config::{Params, RecordRoute};
use crate::run::Run;

pub const SCENARIO: Scenario = Scenario {
    name: "shared-rr-leader-kill",
    about: "leader-kill with one Record-Route shared by every member (no VIP): the dead \
            leader's calls are hung up through a survivor",
    faults: &[Fault::Kill],
    record_route: RecordRoute::Shared(SHARED_RR_MEMBER),
    inject,
};

fn inject(run: &mut Run, params: &Params) -> Result<()> {
    leader_away(run, params, "kill -9", Run::kill9, Run::restart)
}
