//! The SIPp load of a run: three streams of calls, each with one callee (a SIPp uas) and one
//! caller (a SIPp uac) per member, so every member proxies every kind of call.
//!
//! | stream | caller → callee | held | who hangs up |
//! |---|---|---|---|
//! | `chaos` | `uac_long.xml` → `uas_long.xml` | caller 4 s, callee 120 s | the caller |
//! | `timed` | `uac_long.xml` → `uas_long.xml` | both 60 s | dialogd, at the 3 s timeout, BYE to both legs |
//! | `capped` | `uac_expect_486.xml` → `uas.xml` | caller 3 s | the caller, or 486 at the limit |
//!
//! When the members share one Record-Route ([`RecordRoute::Shared`]), `chaos` and `timed` run the
//! follow variants, `uac_long_follow_rr.xml` → `uas_long_follow_via.xml`: the caller sends its
//! ACK and BYE to the host and port of the 200's Record-Route, and both ends answer a BYE (the
//! other end's, or dialogd's at the timeout) where its Via points, as RFC 3261 UAs do; without
//! that, SIPp sends everything of a call to the address of its first message, the member the
//! call went through. `capped` keeps `uac_expect_486.xml` → `uas.xml`: its in-dialog requests
//! reach the member they set the call up through, with the shared address as their Route,
//! which every member takes as its own.
//!
//! Every scenario runs with [`LINGER`] added at its end ([`lingering`]): a call's SIPp stays
//! for it after the last message, and answers a retransmitted BYE with its 200 again, as an
//! RFC 3261 UA keeps its transaction (timer J, 32 s over UDP). Without it, a 200 lost on the
//! way (the netem scenario drops SIP on purpose) meets a peer that forgot the call, and the
//! call ends without a BYE answered on both sides through no fault of the proxy.
//!
//! Must not run unbounded: every SIPp has a `-timeout` past the run's length, and the callees,
//! which have no call count, are stopped a little after the last caller ended.

use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use dialogd_test_support::{Sipp, SippOutcome, SippProcess, scenario};
use serde::Serialize;

use crate::backend::ChaosCluster;
use crate::config::{
    CALLEE_HOLD, CAPPED_HOLD, CAPPED_USER, MAIN_HOLD, MAIN_USER, Params, RecordRoute, TIMED_HOLD,
    TIMED_USER,
};

/// SIPp's own bound past the run's length: room for the last calls, their BYE retransmissions
/// and an INVITE's timer B.
const SIPP_MARGIN: Duration = Duration::from_secs(120);
/// How long the callees keep running after the last caller ended (the last BYEs and 200s).
const CALLEE_DRAIN: Duration = Duration::from_secs(6);
/// How long a call's SIPp stays after its last message, answering retransmissions: covers
/// BYE retransmissions at 0.5, 1.5 and 3.5 s.
const LINGER: Duration = Duration::from_secs(4);

/// A kind of call of the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stream {
    Chaos,
    Timed,
    Capped,
}

impl Stream {
    pub const ALL: [Stream; 3] = [Stream::Chaos, Stream::Timed, Stream::Capped];

    /// The From user (the `caller` profile's value).
    pub fn user(self) -> &'static str {
        match self {
            Stream::Chaos => MAIN_USER,
            Stream::Timed => TIMED_USER,
            Stream::Capped => CAPPED_USER,
        }
    }

    /// The caller's SIPp scenario; `follow`: the one that follows Record-Route and Via.
    fn uac_scenario(self, follow: bool) -> &'static str {
        match (self, follow) {
            (Stream::Chaos | Stream::Timed, false) => "uac_long.xml",
            (Stream::Chaos | Stream::Timed, true) => "uac_long_follow_rr.xml",
            (Stream::Capped, _) => "uac_expect_486.xml",
        }
    }

    /// The callee's SIPp scenario; `follow`: the one that answers BYEs where their Via points.
    fn uas_scenario(self, follow: bool) -> &'static str {
        match (self, follow) {
            (Stream::Chaos | Stream::Timed, false) => "uas_long.xml",
            (Stream::Chaos | Stream::Timed, true) => "uas_long_follow_via.xml",
            (Stream::Capped, _) => "uas.xml",
        }
    }

    fn caller_hold(self) -> Duration {
        match self {
            Stream::Chaos => MAIN_HOLD,
            Stream::Timed => TIMED_HOLD,
            Stream::Capped => CAPPED_HOLD,
        }
    }

    fn callee_hold(self) -> Duration {
        match self {
            Stream::Chaos => CALLEE_HOLD,
            Stream::Timed => TIMED_HOLD,
            Stream::Capped => CAPPED_HOLD,
        }
    }

    /// Calls per second over the cluster.
    fn rate(self, params: &Params) -> f64 {
        match self {
            Stream::Chaos => params.main_rate(),
            Stream::Timed => params.timed_rate(),
            Stream::Capped => params.capped_rate(),
        }
    }
}

/// One caller of a stream, sending to one member.
#[derive(Debug)]
struct Caller {
    stream: Stream,
    node: usize,
    process: SippProcess,
}

/// The running load. Dropping it kills every SIPp.
#[derive(Debug)]
pub struct Load {
    /// The lingering copies of the scenarios.
    _scenarios: tempfile::TempDir,
    callees: Vec<(Stream, SippProcess)>,
    callers: Vec<Caller>,
    started: SystemTime,
}

/// A finished caller.
#[derive(Debug)]
pub struct CallerRun {
    pub stream: Stream,
    /// The member its calls were sent to.
    pub node: usize,
    pub outcome: SippOutcome,
}

/// A finished callee.
#[derive(Debug)]
pub struct CalleeRun {
    pub stream: Stream,
    pub outcome: SippOutcome,
}

/// What the load's SIPp processes saw.
#[derive(Debug)]
pub struct Finished {
    pub callers: Vec<CallerRun>,
    pub callees: Vec<CalleeRun>,
    /// When the first caller started.
    pub started: SystemTime,
}

impl Load {
    /// Starts the callees, then one caller per stream and member, each placing its share of the
    /// stream's rate for `params.seconds`; with a shared `record_route`, the follow variants.
    pub fn start(
        cluster: &dyn ChaosCluster,
        params: &Params,
        record_route: RecordRoute,
    ) -> Result<Load> {
        let follow = matches!(record_route, RecordRoute::Shared(_));
        let bound = Duration::from_secs(params.seconds) + SIPP_MARGIN;
        let members: Vec<(usize, SocketAddr)> = (0..cluster.len())
            .map(|i| (i, cluster.sip_addr(i)))
            .collect();
        let dir = tempfile::Builder::new()
            .prefix("dialogd-chaos-scenarios-")
            .tempdir()
            .context("cannot create the scenarios directory")?;
        let linger = |name: &str| lingering(name, &dir.path().join(name));
        let mut callees = Vec::new();
        for stream in Stream::ALL {
            let uas = Sipp::uas(&linger(stream.uas_scenario(follow))?)
                .local_ip(cluster.load_ip())
                .pause(stream.callee_hold())
                .timeout(bound)
                .spawn()
                .with_context(|| format!("the {stream:?} callee did not start"))?;
            callees.push((stream, uas));
        }
        let started = SystemTime::now();
        let mut callers = Vec::new();
        for (stream, uas) in &callees {
            let per_node = stream.rate(params) / members.len().max(1) as f64;
            // At least one call per member; small positive figures convert exactly enough.
            let calls = (per_node * params.seconds as f64).ceil().max(1.0) as u64;
            for (node, addr) in &members {
                let process = Sipp::uac(&linger(stream.uac_scenario(follow))?, *addr)
                    .local_ip(cluster.load_ip())
                    .uas_port(uas.port())
                    .caller(stream.user())
                    .calls(calls)
                    .rate(per_node)
                    .pause(stream.caller_hold())
                    .timeout(bound)
                    .spawn()
                    .with_context(|| {
                        format!("the {stream:?} caller to member {} did not start", node + 1)
                    })?;
                callers.push(Caller {
                    stream: *stream,
                    node: *node,
                    process,
                });
            }
        }
        Ok(Load {
            _scenarios: dir,
            callees,
            callers,
            started,
        })
    }

    /// When the callers started.
    pub fn started(&self) -> SystemTime {
        self.started
    }

    /// Calls answered so far, over every caller.
    pub fn answered_so_far(&self) -> usize {
        self.callers
            .iter()
            .map(|c| c.process.logged_so_far("answered").len())
            .sum()
    }

    /// Waits for every caller to end (all its calls placed and ended, or its bound), then stops
    /// the callees a little later; reads what they all saw.
    pub fn finish(self) -> Result<Finished> {
        let mut callers = Vec::new();
        for c in self.callers {
            callers.push(CallerRun {
                stream: c.stream,
                node: c.node,
                outcome: c.process.wait()?,
            });
        }
        thread::sleep(CALLEE_DRAIN);
        let mut callees = Vec::new();
        for (stream, process) in self.callees {
            callees.push(CalleeRun {
                stream,
                outcome: process.stop()?,
            });
        }
        Ok(Finished {
            callers,
            callees,
            started: self.started,
        })
    }
}

/// Writes the scenario `name` to `to` with a pause of [`LINGER`] after its last message and
/// label (before the statistics elements or `</scenario>`), so every path through it ends
/// there; the path, for [`Sipp`].
fn lingering(name: &str, to: &std::path::Path) -> Result<String> {
    let from = scenario(name);
    let text = fs::read_to_string(&from)
        .with_context(|| format!("cannot read the SIPp scenario {}", from.display()))?;
    let end = text
        .find("<ResponseTimeRepartition")
        .or_else(|| text.rfind("</scenario>"))
        .with_context(|| format!("{} has no </scenario>", from.display()))?;
    let mut out = String::with_capacity(text.len() + 80);
    out.push_str(&text[..end]);
    out.push_str(&format!(
        "  <!-- added by dialogd-chaos-tests: answer retransmissions for a while -->\n  <pause milliseconds=\"{}\"/>\n",
        LINGER.as_millis()
    ));
    out.push_str(&text[end..]);
    fs::write(to, out).with_context(|| format!("cannot write {}", to.display()))?;
    Ok(PathBuf::from(to).to_string_lossy().into_owned())
}
