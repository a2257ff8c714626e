//! One phase of the hostile benchmark: a fresh dialogd on 127.0.0.1, the phase's attackers, and
//! `rate` × `seconds` clean calls (SIPp `uac.xml` → dialogd → `uas.xml`, record-routed, 100 ms
//! between ACK and BYE); then the attackers' counts, the node's interesting metrics and what
//! /proc saw.
//!
//! ```text
//!   node ─ sampler ─ uas ─ attackers ─ (2 s) ─ uac … done ─ attackers stop ─ /metrics ─ node stops
//! ```
//!
//! Must not leave anything running: node, SIPp processes, attackers and sampler are handles
//! that stop what they own when dropped, on every path out of [`run_phase`].

use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use dialogd_test_support::{DialogdNode, Sipp};

use super::attackers::Attackers;
use super::sampler::{Sampler, Samples};
use super::{Attack, CALL_GIVE_UP, Options, rtt, scrape};

/// Between ACK and BYE of a clean call.
const HOLD: Duration = Duration::from_millis(100);
/// How long the attackers run before the first clean call (the slow connections open).
const WARM_UP: Duration = Duration::from_secs(2);
/// SIPp's bound past the phase's length.
const SIPP_MARGIN: Duration = Duration::from_secs(60);
/// How long the callee may take to see its last calls end once the caller is done.
const CALLEE_DRAIN: Duration = Duration::from_secs(5);

/// What one phase measured.
#[derive(Debug, Clone)]
pub struct PhaseReport {
    pub name: String,
    /// Clean calls the uac created.
    pub placed: u64,
    pub successful: u64,
    /// Placed but not successful (failed, or still open when SIPp hit its bound).
    pub failed: u64,
    /// The uac was still running at its bound and was killed.
    pub caller_killed: bool,
    /// INVITE→200 response time of the clean calls, ms.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub samples: Samples,
    /// Metric samples of [`scrape::interesting`], or why they could not be read.
    pub metrics: Result<Vec<String>, String>,
    /// One line per attack (its counts), then, when clean calls failed, why (the responses
    /// SIPp did not expect, by status, from its errors.log).
    pub attacks: Vec<String>,
    /// dialogd was still running at the end of the phase.
    pub node_alive: bool,
}

impl PhaseReport {
    /// Successful clean calls in % of those placed.
    pub fn success_percent(&self) -> Option<f64> {
        (self.placed > 0).then(|| 100.0 * self.successful as f64 / self.placed as f64)
    }
}

/// Runs the phase `name` with `attacks`.
pub fn run_phase(name: &str, attacks: &[Attack], options: &Options) -> Result<PhaseReport> {
    let node = DialogdNode::start_with(&options.dialogd, "")
        .with_context(|| format!("phase {name}: dialogd did not start"))?;
    let sampler = Sampler::start(node.pid())?;
    let calls = (options.rate * options.seconds as f64).ceil().max(1.0) as u64;
    let bound = Duration::from_secs(options.seconds) + SIPP_MARGIN;
    let uas = Sipp::uas("uas.xml")
        .calls(calls)
        .timeout(bound)
        .spawn()
        .context("the SIPp uas did not start")?;
    let attackers = Attackers::start(attacks, node.sip_addr(), options)?;
    if !attacks.is_empty() {
        thread::sleep(WARM_UP);
    }
    let mut uac = Sipp::uac("uac.xml", node.sip_addr())
        .uas_port(uas.port())
        .calls(calls)
        .rate(options.rate)
        .limit(calls)
        .pause(HOLD)
        .timeout(bound)
        .arg("-recv_timeout")
        .arg(&CALL_GIVE_UP.as_millis().to_string());
    for arg in rtt::SIPP_ARGS {
        uac = uac.arg(arg);
    }
    let caller = uac.run().context("the SIPp uac did not run")?;
    let attack_lines = attackers.stop();
    let metrics = scrape::fetch(node.endpoints().metrics)
        .map(|text| scrape::interesting(&text))
        .map_err(|e| format!("{e:#}"));
    let samples = sampler.stop();
    let node_alive = node.is_alive();
    // The callee's own counts add nothing the caller's do not say; it is only stopped.
    let _ = uas.wait_at_most(CALLEE_DRAIN);
    drop(node);

    let times = rtt::read_dir(caller.dir());
    let mut attack_lines = attack_lines;
    if caller.created > caller.successful {
        attack_lines.push(failure_reasons(caller.dir()));
    }
    Ok(PhaseReport {
        name: name.to_string(),
        placed: caller.created,
        successful: caller.successful,
        failed: caller.created.saturating_sub(caller.successful),
        caller_killed: caller.killed,
        p50_ms: rtt::percentile(&times, 50.0),
        p99_ms: rtt::percentile(&times, 99.0),
        samples,
        metrics,
        attacks: attack_lines,
        node_alive,
    })
}

/// The clean calls' failures as SIPp logged them: unexpected responses by status, and the
/// other aborts (timeouts, retransmissions given up).
fn failure_reasons(dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(dir.join("errors.log")).unwrap_or_default();
    let mut by_status = std::collections::BTreeMap::<String, u64>::new();
    let mut other = 0u64;
    for line in text
        .lines()
        .filter(|l| l.contains("Aborting call") || l.contains("timeout"))
    {
        match line.split("received 'SIP/2.0 ").nth(1) {
            Some(rest) => {
                let code: String = rest.chars().take_while(char::is_ascii_digit).collect();
                *by_status.entry(code).or_default() += 1;
            }
            None => other += 1,
        }
    }
    let statuses: Vec<String> = by_status.iter().map(|(c, n)| format!("{c}x{n}")).collect();
    format!(
        "clean failures: unexpected responses [{}], other aborts {other}",
        statuses.join(" ")
    )
}
