//! Running one scenario: a fresh cluster (with the scenario's Record-Route), the limit watch,
//! the load; the scenario's faults through [`Run`] (which notes each one and keeps the watch
//! away from members that do not serve); then heal (resume and restart whatever is down), let
//! the load end, wait for the members to settle, and judge.
//!
//! ```text
//!   start cluster ─ watch ─ load ─┬─ scenario: kill / stop / pause ... restart / resume ─┬─ heal
//!                                  └───────────── calls for `seconds` ───────────────────┘
//!   ─ last calls end ─ watch stops ─ settle (≤ 30 s) ─ invariants ─ report
//! ```

use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

use crate::backend::ChaosCluster;
use crate::calls;
use crate::config::{Params, RecordRoute};
use crate::figures::{call_figures, failure_window, victim_calls};
use crate::invariants::{check_all, settle};
use crate::load::Load;
use crate::poller::Poller;
use crate::report::{Event, Report, Status};
use crate::scenarios::Scenario;

/// Members of every scenario's cluster.
pub const MEMBERS: usize = 3;
/// How long the members may take, once every call ended, to show nothing left.
const SETTLE: Duration = Duration::from_secs(30);

/// A member lost on purpose, for the failover figure and the count of its calls hung up after.
#[derive(Debug, Clone)]
struct Loss {
    fault: String,
    victim: usize,
    at: SystemTime,
    /// When it was brought back (restarted, resumed, reconnected), once it was.
    back: Option<SystemTime>,
}

/// What a scenario drives: the cluster, with every action noted in the report's timeline.
pub struct Run {
    cluster: Box<dyn ChaosCluster>,
    poller: Poller,
    t0: Instant,
    events: Vec<Event>,
    loss: Option<Loss>,
    time_to_new_leader: Option<f64>,
    record_route: RecordRoute,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("backend", &self.cluster.backend())
            .field("events", &self.events)
            .finish()
    }
}

impl Run {
    /// Number of members.
    pub fn members(&self) -> usize {
        self.cluster.len()
    }

    /// Seconds since the load started.
    pub fn elapsed(&self) -> f64 {
        self.t0.elapsed().as_secs_f64()
    }

    /// Sleeps until `secs` after the load started (at once if that is past).
    pub fn at(&self, secs: f64) {
        let target = self.t0 + Duration::from_secs_f64(secs.max(0.0));
        if let Some(left) = target.checked_duration_since(Instant::now()) {
            thread::sleep(left);
        }
    }

    /// Notes `what` in the timeline (and on stderr, for a person watching).
    pub fn note(&mut self, what: impl Into<String>) {
        let what = what.into();
        let at_s = self.elapsed();
        eprintln!("[chaos {at_s:6.1} s] {what}");
        self.events.push(Event { at_s, what });
    }

    /// The leader, once a serving member is one.
    pub fn leader(&self) -> Result<usize> {
        self.cluster.wait_leader()
    }

    /// The member whose address every member writes in Record-Route, if they share one.
    pub fn shared_record_route(&self) -> Option<usize> {
        match self.record_route {
            RecordRoute::Own => None,
            RecordRoute::Shared(member) => Some(member),
        }
    }

    /// A member other than `not`.
    pub fn other_than(&self, not: usize) -> usize {
        (not + 1) % self.members()
    }

    fn serving_changed(&self) {
        self.poller.set_serving(self.cluster.serving());
    }

    /// Stops the limit watch from asking member `i` (before it is stopped or frozen).
    fn stop_polling(&self, i: usize) {
        self.poller.set_serving(
            self.cluster
                .serving()
                .into_iter()
                .filter(|m| *m != i)
                .collect(),
        );
    }

    /// SIGKILL of member `i`.
    pub fn kill9(&mut self, i: usize) -> Result<()> {
        self.cluster.kill9(i)?;
        self.serving_changed();
        self.note(format!("kill -9 node {}", i + 1));
        Ok(())
    }

    /// Clean stop (SIGTERM) of member `i`.
    pub fn stop(&mut self, i: usize) -> Result<()> {
        self.stop_polling(i);
        self.cluster.stop(i)?;
        self.serving_changed();
        self.note(format!("stopped node {} (SIGTERM)", i + 1));
        Ok(())
    }

    /// Starts member `i` again on its data.
    pub fn restart(&mut self, i: usize) -> Result<()> {
        self.cluster.restart(i)?;
        self.mark_back(i);
        self.serving_changed();
        self.note(format!("restarted node {}", i + 1));
        Ok(())
    }

    /// SIGSTOP of member `i`.
    pub fn pause(&mut self, i: usize) -> Result<()> {
        self.stop_polling(i);
        self.cluster.pause(i)?;
        self.note(format!("paused node {} (SIGSTOP)", i + 1));
        Ok(())
    }

    /// SIGCONT of member `i`.
    pub fn resume(&mut self, i: usize) -> Result<()> {
        self.cluster.resume(i)?;
        self.mark_back(i);
        self.serving_changed();
        self.note(format!("resumed node {} (SIGCONT)", i + 1));
        Ok(())
    }

    /// Cuts member `i` off from the other members (its SIP side stays reachable).
    pub fn partition(&mut self, i: usize) -> Result<()> {
        self.stop_polling(i);
        self.cluster.partition(i)?;
        self.note(format!("cut node {} off from the others", i + 1));
        Ok(())
    }

    /// Reconnects member `i`.
    pub fn reconnect(&mut self, i: usize) -> Result<()> {
        self.cluster.reconnect(i)?;
        self.mark_back(i);
        self.serving_changed();
        self.note(format!("reconnected node {}", i + 1));
        Ok(())
    }

    /// Delay and loss on member `i`'s SIP traffic.
    pub fn shape(&mut self, i: usize) -> Result<()> {
        let what = self.cluster.shape(i)?;
        self.note(what);
        Ok(())
    }

    /// Ends [`Run::shape`] on member `i`.
    pub fn unshape(&mut self, i: usize) -> Result<()> {
        self.cluster.unshape(i)?;
        self.note(format!("node {}'s SIP traffic unshaped", i + 1));
        Ok(())
    }

    /// Marks member `victim` as lost now by `fault`, for the failover window (the first mark of
    /// a run counts).
    pub fn mark_loss(&mut self, victim: usize, fault: &str) {
        if self.loss.is_none() {
            self.loss = Some(Loss {
                fault: fault.to_owned(),
                victim,
                at: SystemTime::now(),
                back: None,
            });
        }
    }

    /// Notes that member `i` is back, if it is the lost member and was not back yet.
    fn mark_back(&mut self, i: usize) {
        if let Some(loss) = &mut self.loss
            && loss.victim == i
            && loss.back.is_none()
        {
            loss.back = Some(SystemTime::now());
        }
    }

    /// Waits for a serving leader after the leader's loss at `since`; notes how long it took
    /// (the first measure of a run is the report's figure).
    pub fn new_leader_since(&mut self, since: Instant) -> Result<usize> {
        let leader = self.cluster.wait_leader()?;
        let secs = since.elapsed().as_secs_f64();
        self.time_to_new_leader.get_or_insert(secs);
        self.note(format!(
            "node {} leads, {secs:.2} s after the loss",
            leader + 1
        ));
        Ok(leader)
    }

    /// Waits until every serving member sees all members as voters and one leader.
    pub fn wait_formed(&mut self) -> Result<usize> {
        let leader = self.cluster.wait_formed()?;
        self.note(format!("cluster formed, node {} leads", leader + 1));
        Ok(leader)
    }

    /// Undoes shaping, reconnects cut-off members, resumes paused ones and restarts stopped
    /// ones, then waits for the cluster to form.
    fn heal(&mut self) -> Result<()> {
        let mut healed = false;
        for i in 0..self.members() {
            // Errors here only say there was nothing to undo.
            if self.cluster.unshape(i).is_ok() {
                self.note(format!("heal: node {}'s SIP traffic unshaped", i + 1));
            }
            if self.cluster.is_serving(i) {
                continue;
            }
            healed = true;
            if self.cluster.reconnect(i).is_ok() && self.cluster.is_serving(i) {
                self.mark_back(i);
                self.note(format!("heal: reconnected node {}", i + 1));
                continue;
            }
            if self.cluster.resume(i).is_ok() && self.cluster.is_serving(i) {
                self.mark_back(i);
                self.note(format!("heal: resumed node {}", i + 1));
                continue;
            }
            self.restart(i)?;
        }
        self.serving_changed();
        if healed {
            self.wait_formed()?;
        } else {
            self.cluster.wait_formed()?;
        }
        Ok(())
    }
}

/// Runs `scenario` and returns its report (also when the harness failed: status `error`).
pub fn run_scenario(scenario: &Scenario, params: &Params) -> Report {
    let started = Instant::now();
    let started_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let mut report = Report::new(scenario.name, scenario.about, params, started_unix);
    if let Some(why) = scenario.unavailable(params.backend) {
        report.status = Status::Skipped;
        report.reason = Some(why);
        return report;
    }
    eprintln!("[chaos] {}: {}", scenario.name, scenario.about);
    match run_inner(scenario, params, &mut report) {
        Ok(()) => {
            report.status = if report.broken().is_empty() {
                Status::Passed
            } else {
                Status::Failed
            };
        }
        Err(e) => {
            report.status = Status::Error;
            report.reason = Some(format!("{e:#}"));
        }
    }
    report.duration_s = started.elapsed().as_secs_f64();
    report
}

fn run_inner(scenario: &Scenario, params: &Params, report: &mut Report) -> Result<()> {
    let cluster = params.backend.start(
        MEMBERS,
        &params.cluster_keys(),
        &params.dialogd_config(),
        scenario.record_route,
    )?;
    let leader = cluster.wait_formed()?;
    let members = (0..cluster.len()).map(|i| cluster.dialogctl(i)).collect();
    let poller = Poller::start(members, cluster.serving(), params.limits());
    let load = Load::start(cluster.as_ref(), params, scenario.record_route)?;
    let mut run = Run {
        cluster,
        poller,
        t0: Instant::now(),
        events: Vec::new(),
        loss: None,
        time_to_new_leader: None,
        record_route: scenario.record_route,
    };
    run.note(format!(
        "cluster of {MEMBERS} formed, node {} leads; load started{}",
        leader + 1,
        match scenario.record_route {
            RecordRoute::Own => String::new(),
            RecordRoute::Shared(m) => format!(
                "; every member's Record-Route is node {}'s address, which the callers follow",
                m + 1
            ),
        }
    ));
    let injected = (scenario.inject)(&mut run, params);
    if let Err(e) = &injected {
        run.note(format!("scenario failed: {e:#}"));
    }
    let healed = run.heal();
    run.at(params.seconds as f64);
    run.note("no new calls any more; waiting for the last ones to end");
    let finished = load.finish();
    let watch = run.poller.finish();
    run.note("every caller ended; settling");
    let finished = finished.context("reading the SIPp runs")?;
    let state = settle(run.cluster.as_ref(), SETTLE);
    run.note(format!(
        "settled: {} after {:.1} s",
        state.settled, state.waited_s
    ));
    let all_calls = calls::calls(&finished);
    let logs: Vec<String> = (0..run.members())
        .map(|i| run.cluster.stderr_log(i))
        .collect();
    report.invariants = check_all(&all_calls, &watch, &state, &logs);
    report.calls = Some(call_figures(&all_calls, &finished));
    report.failover = run
        .loss
        .as_ref()
        .map(|l| failure_window(&all_calls, &l.fault, l.victim, l.at));
    report.victim_calls = run
        .loss
        .as_ref()
        .map(|l| victim_calls(&all_calls, l.victim, l.at, l.back));
    report.time_to_new_leader_s = run.time_to_new_leader;
    report.limit_watch = Some(watch);
    report.final_state = Some(state);
    report.events = std::mem::take(&mut run.events);
    if !report.broken().is_empty() || injected.is_err() || healed.is_err() {
        let dir = params.report_dir.join(format!("{}-logs", scenario.name));
        run.cluster.save_logs(&dir)?;
        report.logs_dir = Some(dir);
    }
    injected.context("injecting the faults")?;
    healed.context("healing the cluster")?;
    Ok(())
}
