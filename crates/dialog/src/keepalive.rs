//! [`Keepalive`]: in-dialog OPTIONS probes to the legs of a confirmed dialog, and the verdict
//! when one stops answering — Kamailio's dialog keep-alive (`ka-src`/`ka-dst`, `ka_interval`,
//! `ka_failed_limit`). Sans-IO: it never reads a clock nor sends; the
//! dialog actor feeds it `now` and probe outcomes, numbers and sends the probes it asks for
//! ([`crate::Dialog::request_towards`] with `OPTIONS`), and arms the one timer it names.
//!
//! ```text
//!  new(now, config) ───────────┐                     ┌─▶ poll_output(): SendProbe { leg, probe }
//!  handle_timeout(now) ────────┼─▶ Keepalive ────────┤                  Dead { leg, failure }
//!  handle_outcome(now, probe,  │   (per enabled leg: │
//!         Response(code)|Timeout)   due, outstanding)└─▶ poll_timeout(): the next probe due
//!  reconfigure(now, config) / stop()
//! ```
//!
//! | event | effect on the leg |
//! |---|---|
//! | created, reconfigured | first probe `interval` from now; probes in flight are forgotten |
//! | probe due, none outstanding | `SendProbe`; next one due `interval` later |
//! | probe due, the last one unanswered | that one counts as timed out (below); if the leg lives on, `SendProbe` |
//! | 1xx | nothing (the transaction goes on) |
//! | other final response (2xx–6xx but 408, 481) | alive: failures reset; a next probe already due goes at once |
//! | 481 | `Dead` (`NoSuchDialog`): the peer has no such dialog, at the first one |
//! | 408, or [`ProbeOutcome::Timeout`] | a failure; `Dead` (`Timeout`) at `failed_limit` in a row |
//! | outcome of a probe that is not the leg's outstanding one | ignored (a late answer) |
//!
//! At most one probe per leg is in flight, and a leg that leaves one unanswered for a whole
//! interval has failed it: a dead leg is found one interval after its last probe, whatever the
//! transaction layer's timer F (32 s with the default T1, longer than many intervals), so a
//! callee that stops answering is found within two intervals. The transaction timeout that
//! comes later for that probe is a late answer, ignored.
//!
//! After `Dead` (the last output) nothing is probed again: the actor ends the dialog with
//! [`crate::EndCause::Keepalive`], BYE to the **other** leg ([`crate::Dialog::end`]) — the dead
//! one has just shown it will not answer. Kamailio counts a 481 against `ka_failed_limit` like
//! a timeout; here it ends the dialog at once, since the peer says the dialog is gone.
//!
//! The actor reports the outcome of each probe it sends: the final response, or `Timeout`
//! when the non-INVITE transaction timed out or the probe could not be sent at all (an outcome
//! never reported counts as a timeout when the next probe is due). If the dialog is over, it
//! calls [`Keepalive::stop`] instead.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::state::Leg;

/// The default probe interval (the issue's `interval = 30`).
pub const DEFAULT_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
/// The shortest interval: shorter ones are raised to it.
pub const MIN_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(1);
/// The longest interval the policy and the API accept (a day).
pub const MAX_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(86_400);
/// Failed probes in a row that end the dialog (Kamailio `ka_failed_limit`'s default).
pub const DEFAULT_FAILED_LIMIT: u32 = 1;

/// Which legs are probed, and how often. Replicated in [`crate::DialogRecord::keepalive`],
/// so a node that adopts the dialog probes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeepaliveConfig {
    /// Probe the caller (Kamailio `ka-src`).
    pub caller: bool,
    /// Probe the callee (Kamailio `ka-dst`).
    pub callee: bool,
    /// Time between probes to a leg ([`MIN_KEEPALIVE_INTERVAL`] at least).
    pub interval: Duration,
    /// Timeouts in a row that end the dialog (0 counts as 1).
    pub failed_limit: u32,
}

impl Default for KeepaliveConfig {
    /// No leg probed, [`DEFAULT_KEEPALIVE_INTERVAL`], [`DEFAULT_FAILED_LIMIT`].
    fn default() -> Self {
        KeepaliveConfig {
            caller: false,
            callee: false,
            interval: DEFAULT_KEEPALIVE_INTERVAL,
            failed_limit: DEFAULT_FAILED_LIMIT,
        }
    }
}

impl KeepaliveConfig {
    /// Whether `leg` is probed.
    pub fn probes(&self, leg: Leg) -> bool {
        match leg {
            Leg::Caller => self.caller,
            Leg::Callee => self.callee,
        }
    }

    /// True if at least one leg is probed.
    pub fn is_enabled(&self) -> bool {
        self.caller || self.callee
    }

    /// Refuses an interval below [`MIN_KEEPALIVE_INTERVAL`] (the machine would raise it).
    pub fn validate(&self) -> Result<(), Error> {
        if self.interval < MIN_KEEPALIVE_INTERVAL {
            return Err(Error::KeepaliveInterval(self.interval));
        }
        Ok(())
    }
}

/// Names one probe, for its outcome. Unique within one [`Keepalive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProbeId(pub u64);

/// How a probe's transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// A response with this status (1xx are ignored).
    Response(u16),
    /// No final response (timer F), or the probe could not be sent.
    Timeout,
}

/// Why a leg is declared dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeFailure {
    /// 481: the leg does not know the dialog.
    NoSuchDialog,
    /// 408 or a transaction timeout, `failed_limit` times in a row.
    Timeout,
}

/// What the machine asks the actor to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepaliveOutput {
    /// Send an in-dialog OPTIONS to `leg`; report its outcome with `probe`.
    SendProbe { leg: Leg, probe: ProbeId },
    /// `leg` failed: end the dialog ([`crate::EndCause::Keepalive`]), BYE to the other leg.
    Dead { leg: Leg, failure: ProbeFailure },
}

/// One probed leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LegProbes {
    /// When the next probe may go.
    due: Instant,
    /// The probe in flight.
    outstanding: Option<ProbeId>,
    /// Timeouts in a row.
    failures: u32,
}

/// The keep-alive of one dialog.
#[derive(Debug, Clone)]
pub struct Keepalive {
    config: KeepaliveConfig,
    caller: Option<LegProbes>,
    callee: Option<LegProbes>,
    next_probe: u64,
    dead: Option<Leg>,
    out: VecDeque<KeepaliveOutput>,
}

impl Keepalive {
    /// Keep-alive for a dialog confirmed at `now`: each enabled leg's first probe is due one
    /// interval later.
    pub fn new(now: Instant, config: KeepaliveConfig) -> Keepalive {
        let mut k = Keepalive {
            config,
            caller: None,
            callee: None,
            next_probe: 0,
            dead: None,
            out: VecDeque::new(),
        };
        k.reconfigure(now, config);
        k
    }

    /// Applies a new configuration (API, per dialog): legs start afresh from `now`, and the
    /// outcomes of probes already in flight will be ignored. No effect once a leg is dead.
    pub fn reconfigure(&mut self, now: Instant, mut config: KeepaliveConfig) {
        if self.dead.is_some() {
            return;
        }
        config.interval = config.interval.max(MIN_KEEPALIVE_INTERVAL);
        config.failed_limit = config.failed_limit.max(1);
        let fresh = |on: bool| {
            on.then(|| LegProbes {
                due: now + config.interval,
                outstanding: None,
                failures: 0,
            })
        };
        self.caller = fresh(config.caller);
        self.callee = fresh(config.callee);
        self.config = config;
    }

    /// The configuration in force (interval and limit raised to their minimums).
    pub fn config(&self) -> KeepaliveConfig {
        self.config
    }

    /// Sends the probes that are due (`SendProbe`, caller first). A probe still unanswered
    /// when the next is due has timed out; if that kills its leg, nothing is sent.
    pub fn handle_timeout(&mut self, now: Instant) {
        for leg in [Leg::Caller, Leg::Callee] {
            let unanswered = self
                .leg_mut(leg)
                .filter(|p| p.due <= now)
                .and_then(|p| p.outstanding.take());
            if unanswered.is_some() && self.fail(leg, ProbeFailure::Timeout) {
                return;
            }
        }
        for leg in [Leg::Caller, Leg::Callee] {
            let id = ProbeId(self.next_probe);
            let due = now + self.config.interval;
            let Some(p) = self.leg_mut(leg).filter(|p| p.due <= now) else {
                continue;
            };
            p.outstanding = Some(id);
            p.due = due;
            self.next_probe += 1;
            self.out
                .push_back(KeepaliveOutput::SendProbe { leg, probe: id });
        }
    }

    /// The outcome of probe `probe` (module table). False if it was ignored: not the
    /// outstanding probe of a leg (late, repeated, from before a reconfiguration), a 1xx, or
    /// the keep-alive is over.
    pub fn handle_outcome(&mut self, now: Instant, probe: ProbeId, outcome: ProbeOutcome) -> bool {
        let Some(leg) = self.leg_of(probe) else {
            return false;
        };
        let failure = match outcome {
            ProbeOutcome::Response(100..=199) => return false,
            ProbeOutcome::Response(481) => Some(ProbeFailure::NoSuchDialog),
            ProbeOutcome::Response(408) | ProbeOutcome::Timeout => Some(ProbeFailure::Timeout),
            ProbeOutcome::Response(_) => None,
        };
        let Some(p) = self.leg_mut(leg) else {
            return false;
        };
        p.outstanding = None;
        p.due = p.due.max(now);
        match failure {
            None => p.failures = 0,
            Some(failure) => {
                self.fail(leg, failure);
            }
        }
        true
    }

    /// Stops probing (the dialog ended): no more probes nor deadlines, outcomes ignored,
    /// until a [`reconfigure`](Keepalive::reconfigure).
    pub fn stop(&mut self) {
        self.caller = None;
        self.callee = None;
    }

    /// A probe is out, its outcome not yet known.
    pub fn probing(&self) -> bool {
        [self.caller, self.callee]
            .into_iter()
            .flatten()
            .any(|p| p.outstanding.is_some())
    }

    /// The leg declared dead, if any.
    pub fn dead(&self) -> Option<Leg> {
        self.dead
    }

    /// The next output, oldest first.
    pub fn poll_output(&mut self) -> Option<KeepaliveOutput> {
        self.out.pop_front()
    }

    /// When [`handle_timeout`](Keepalive::handle_timeout) must be called: the earliest due
    /// probe (possibly already past). `None`: nothing to time (no leg probed, or dead).
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.caller, self.callee]
            .into_iter()
            .flatten()
            .map(|p| p.due)
            .min()
    }

    /// Counts a failed probe of `leg`; true if the leg is now dead (`Dead` emitted).
    fn fail(&mut self, leg: Leg, failure: ProbeFailure) -> bool {
        let limit = self.config.failed_limit;
        let Some(p) = self.leg_mut(leg) else {
            return false;
        };
        p.failures = p.failures.saturating_add(1);
        if failure == ProbeFailure::Timeout && p.failures < limit {
            return false;
        }
        self.dead = Some(leg);
        self.stop();
        self.out.push_back(KeepaliveOutput::Dead { leg, failure });
        true
    }

    fn leg_mut(&mut self, leg: Leg) -> Option<&mut LegProbes> {
        match leg {
            Leg::Caller => self.caller.as_mut(),
            Leg::Callee => self.callee.as_mut(),
        }
    }

    fn leg_of(&self, probe: ProbeId) -> Option<Leg> {
        let is = |p: &Option<LegProbes>| p.is_some_and(|p| p.outstanding == Some(probe));
        if is(&self.caller) {
            Some(Leg::Caller)
        } else if is(&self.callee) {
            Some(Leg::Callee)
        } else {
            None
        }
    }
}

#[cfg(test)]
#[path = "keepalive_tests.rs"]
mod tests;
