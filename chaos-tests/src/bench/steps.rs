//! The two measurements: a call-rate step (SIPp `uac.xml` → proxy → `uas.xml`, short
//! record-routed calls at a target rate) and a held-calls step (`uac_long.xml` →
//! `uas_long.xml`, calls held an hour, memory before and after).

use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use dialogd_test_support::{Sipp, SippOutcome, SippProcess};

use super::commit::{CommitLatency, commit_latency};
use super::interrupt;
use super::proxy::Proxy;
use super::table::{HeldRow, RateRow};

/// The From user of every call (the `caller` profile's value).
const CALLER: &str = "bench";
/// How long the held calls last at both ends: longer than any run.
const HOLD: Duration = Duration::from_secs(3600);
/// SIPp's bound on the callee of the rate steps and on both ends of a held step.
const LONG_TIMEOUT: Duration = Duration::from_secs(7200);
/// Time after the uacs ended before the CPU is read: the last BYEs' transactions settle.
const SETTLE_AFTER_STEP: Duration = Duration::from_millis(500);
/// A held step gives up when the answered count has not moved for this long (SIPp sent every
/// call; the rest failed).
const HELD_STALL: Duration = Duration::from_secs(15);

/// The callee of the rate steps: `uas.xml` on a port of its own, answering every call.
pub fn start_uas(workdir: &Path) -> Result<SippProcess> {
    Sipp::uas("uas.xml")
        .timeout(LONG_TIMEOUT)
        .light_traces()
        .dir_in(workdir)
        .spawn()
        .context("the SIPp uas did not start")
}

/// A rate step's knobs.
#[derive(Debug, Clone, Copy)]
pub struct RateStep {
    /// Target calls per second, over every uac.
    pub rate: u64,
    pub seconds: u64,
    /// Between ACK and BYE.
    pub pause: Duration,
    /// One uac per node at rate/N each, instead of one through the first node.
    pub per_node: bool,
}

/// Waits for every uac to end (at most `bound`, then they are killed); their outcomes.
fn wait_all(mut uacs: Vec<SippProcess>, bound: Duration) -> Result<Vec<SippOutcome>> {
    let deadline = Instant::now() + bound;
    while Instant::now() < deadline && uacs.iter_mut().any(SippProcess::is_running) {
        interrupt::sleep(Duration::from_millis(20))?;
    }
    uacs.into_iter()
        .map(|u| u.wait_at_most(Duration::ZERO))
        .collect()
}

/// `rate` × `seconds` calls through `proxy` to `uas`; the row.
pub fn rate_step(
    proxy: &dyn Proxy,
    uas: &SippProcess,
    step: RateStep,
    workdir: &Path,
) -> Result<RateRow> {
    let calls = (step.rate * step.seconds) as usize;
    let stepdir = workdir.join(format!("{}-{}", proxy.slug(), step.rate));
    fs::create_dir_all(&stepdir)?;
    let targets: Vec<SocketAddr> = proxy.sip_targets(step.per_node);
    let n = targets.len();
    let per_uac_rate = step.rate as f64 / n as f64;
    let sipp_timeout = Duration::from_secs(step.seconds * 4 + 60);
    let commit_before = proxy.commit_snapshot();
    let cpu_before = proxy.cpu_seconds();
    let started = Instant::now();
    let mut uacs = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let udir = if n > 1 {
            stepdir.join(format!("uac{}", i + 1))
        } else {
            stepdir.clone()
        };
        fs::create_dir_all(&udir)?;
        let share = calls / n + usize::from(i < calls % n);
        let uac = Sipp::uac("uac.xml", *target)
            .uas_port(uas.port())
            .caller(CALLER)
            .rate(per_uac_rate)
            .calls(share as u64)
            .limit(1000.max((per_uac_rate * 5.0) as u64))
            .pause(step.pause)
            .timeout(sipp_timeout)
            .light_traces()
            .dir_in(&udir)
            .spawn()
            .with_context(|| format!("the SIPp uac to {target} did not start"))?;
        uacs.push(uac);
    }
    let outcomes = wait_all(uacs, sipp_timeout + Duration::from_secs(10))?;
    let wall = started.elapsed().as_secs_f64();
    interrupt::sleep(SETTLE_AFTER_STEP)?;
    let cpu = proxy.cpu_seconds() - cpu_before;
    let commit_after = proxy.commit_snapshot();
    let ok: u64 = outcomes.iter().map(|o| o.successful).sum();
    let failed: u64 = outcomes.iter().map(|o| o.failed).sum();
    let created: u64 = outcomes.iter().map(|o| o.created).sum();
    if !proxy.alive() {
        bail!(
            "{} exited during the {} calls/s step",
            proxy.name(),
            step.rate
        );
    }
    let commit = match (&commit_before, &commit_after) {
        (Some(before), Some(after)) => Some(commit_latency(before, after)),
        _ => None,
    };
    let CommitLatency {
        admitted,
        mean_ms,
        p50_ms,
        p99_ms,
        source,
    } = commit.unwrap_or_default();
    Ok(RateRow {
        proxy: proxy.name().to_owned(),
        nodes: proxy.nodes(),
        uacs: n,
        rate: step.rate,
        calls: created,
        achieved: if wall > 0.0 { ok as f64 / wall } else { 0.0 },
        failed: failed + (calls as u64).saturating_sub(created),
        cpu_ms_per_call: if created > 0 {
            cpu * 1000.0 / created as f64
        } else {
            f64::NAN
        },
        cpu_pct: if wall > 0.0 { cpu * 100.0 / wall } else { 0.0 },
        mem_mib: proxy.memory_mib(),
        sipp_exit: outcomes.iter().filter_map(|o| o.exit_code).max(),
        admitted: commit.map(|_| admitted),
        commit_mean_ms: mean_ms,
        commit_p50_ms: p50_ms,
        commit_p99_ms: p99_ms,
        commit_source: source,
    })
}

/// A held step's knobs.
#[derive(Debug, Clone, Copy)]
pub struct HeldStep {
    /// Calls to hold.
    pub calls: u64,
    /// Set-up rate, calls per second.
    pub rate: f64,
    /// Wait after the last answer before memory is read.
    pub settle: Duration,
}

/// `proxy`'s memory idle, then holding `step.calls` answered calls; at least 99 % of them must
/// be answered (the figure is per call actually held).
pub fn held_step(proxy: &dyn Proxy, step: HeldStep, workdir: &Path) -> Result<HeldRow> {
    let n = step.calls;
    let stepdir = workdir.join(format!("{}-held-{n}", proxy.slug()));
    fs::create_dir_all(&stepdir)?;
    interrupt::sleep(Duration::from_secs(2))?;
    let idle = proxy.memory_mib();
    let mut uas = Sipp::uas("uas_long.xml")
        .pause(HOLD)
        .timeout(LONG_TIMEOUT)
        .light_traces()
        .dir_in(&stepdir)
        .spawn()
        .context("the SIPp uas did not start")?;
    let target = proxy
        .sip_targets(false)
        .first()
        .copied()
        .context("the proxy has no SIP address")?;
    let mut uac = Sipp::uac("uac_long.xml", target)
        .uas_port(uas.port())
        .caller(CALLER)
        .rate(step.rate)
        .calls(n)
        .limit(n)
        .pause(HOLD)
        .timeout(LONG_TIMEOUT)
        .light_traces()
        .dir_in(&stepdir)
        .spawn()
        .context("the SIPp uac did not start")?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(n as f64 / step.rate * 3.0 + 60.0);
    let mut answered = 0;
    let mut progress = (0, Instant::now());
    while Instant::now() < deadline {
        answered = uac.logged_so_far("answered").len() as u64;
        if answered >= n {
            break;
        }
        if !uac.is_running() || !uas.is_running() || !proxy.alive() {
            break;
        }
        if answered != progress.0 {
            progress = (answered, Instant::now());
        } else if answered > 0 && progress.1.elapsed() > HELD_STALL {
            break;
        }
        interrupt::sleep(Duration::from_secs(1))?;
    }
    let stall = if answered < n {
        HELD_STALL.as_secs_f64()
    } else {
        0.0
    };
    let setup = started.elapsed().as_secs_f64() - stall;
    // A few set-ups may fail at a high rate (SIPp gives up on them): the figure is per call
    // actually held; more than 1 % missing is a failed step.
    if (answered as f64) < n as f64 * 0.99 {
        bail!(
            "{}: {answered} of {n} calls answered (files in {})",
            proxy.name(),
            stepdir.display()
        );
    }
    if answered < n {
        eprintln!(
            "bench:   {} of {n} set-ups failed; measuring {answered} held calls",
            n - answered
        );
    }
    eprintln!(
        "bench:   {answered} calls answered in {setup:.0} s; settling {} s",
        step.settle.as_secs()
    );
    interrupt::sleep(step.settle)?;
    let held = proxy.memory_mib();
    if !proxy.alive() {
        bail!("{} exited while holding {n} calls", proxy.name());
    }
    // Both ends are killed here (and on every early return, as their handles drop).
    drop((uac, uas));
    Ok(HeldRow {
        proxy: proxy.name().to_owned(),
        held: answered,
        setup_s: setup,
        idle_mib: idle,
        held_mib: held,
        kb_per_dialog: (held - idle) * 1024.0 / answered as f64,
    })
}
