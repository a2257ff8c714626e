//! [`SippCall`]: the SIPp callee and caller of a test's calls, set up together. The callee (uas)
//! starts first on a port of its own; the caller (uac) then sends its calls to the proxy
//! (normally a dialogd node), with the callee's port as `[uas_port]` of the request-URI.
//!
//! ```text
//!   SippCall::basic(node.sip_addr()).calls(10).rate(10.0).hold(HOLD).run()?
//!       -> (caller outcome, callee outcome)
//!   SippCall::long(node.sip_addr(), HOLD).caller("alice").spawn()?
//!       -> SippPair { uac, uas }, both running; .finish()? -> (caller, callee) outcomes
//! ```
//!
//! Options that concern both sides (calls, bound, traces, transport) are set once for both;
//! the others name their side (`hold` the caller's pause, `callee_hold` the callee's).
//!
//! Must not wait unbounded: each side has its SIPp bound, and a callee whose caller failed is
//! waited for a few seconds at most ([`SippProcess::finish_after`]).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Result;

use crate::sipp::Sipp;
use crate::sipp_outcome::SippOutcome;
use crate::sipp_process::SippProcess;
use crate::transport::Transport;

/// A SIPp caller and callee to start. See the module doc.
#[derive(Debug, Clone)]
pub struct SippCall {
    /// Where the caller sends its calls; `None`: straight to the callee.
    proxy: Option<SocketAddr>,
    uac: Sipp,
    uas: Sipp,
    calls: u64,
    at_once: bool,
}

/// A running caller and callee ([`SippCall::spawn`]); each is killed when dropped.
#[derive(Debug)]
pub struct SippPair {
    pub uac: SippProcess,
    pub uas: SippProcess,
}

impl SippCall {
    /// One call (`-m 1` on both sides) of scenario `uac` through `proxy` to a callee running
    /// scenario `uas` (file names of the scenarios folder, or paths).
    pub fn new(proxy: SocketAddr, uac: &str, uas: &str) -> SippCall {
        SippCall::with(Some(proxy), uac, uas)
    }

    /// One call of scenario `uac` sent straight to the callee running `uas`, no proxy between.
    pub fn direct(uac: &str, uas: &str) -> SippCall {
        SippCall::with(None, uac, uas)
    }

    /// `uac.xml` → `uas.xml` through `proxy`: INVITE, 180, 200, ACK, the caller's pause, then
    /// its BYE.
    pub fn basic(proxy: SocketAddr) -> SippCall {
        SippCall::new(proxy, "uac.xml", "uas.xml")
    }

    /// `uac_long.xml` → `uas_long.xml` through `proxy`, both sides holding the answered call for
    /// `hold` before their BYE: a call that dialogd or the API ends first, unless a side's hold
    /// is made shorter.
    pub fn long(proxy: SocketAddr, hold: Duration) -> SippCall {
        SippCall::new(proxy, "uac_long.xml", "uas_long.xml")
            .hold(hold)
            .callee_hold(hold)
    }

    fn with(proxy: Option<SocketAddr>, uac: &str, uas: &str) -> SippCall {
        SippCall {
            proxy,
            uac: Sipp::uas(uac),
            uas: Sipp::uas(uas),
            calls: 1,
            at_once: false,
        }
        .calls(1)
    }

    /// `-m`: calls the caller places and the callee answers (default 1).
    pub fn calls(mut self, calls: u64) -> SippCall {
        self.calls = calls;
        self.uac = self.uac.calls(calls);
        self.uas = self.uas.calls(calls);
        self
    }

    /// Every call placed at once: the caller's rate and concurrency limit are the number of
    /// calls (`-r N -l N`).
    pub fn all_at_once(mut self) -> SippCall {
        self.at_once = true;
        self
    }

    /// The caller's `-r`: calls per second.
    pub fn rate(mut self, per_second: f64) -> SippCall {
        self.uac = self.uac.rate(per_second);
        self
    }

    /// The caller's `-l`: most calls at once.
    pub fn limit(mut self, concurrent: u64) -> SippCall {
        self.uac = self.uac.limit(concurrent);
        self
    }

    /// The From user of the caller (`[caller]`, default `sipp`).
    pub fn caller(mut self, user: &str) -> SippCall {
        self.uac = self.uac.caller(user);
        self
    }

    /// The caller's `-d`: how long it holds an answered call before its BYE (in the scenarios
    /// that pause).
    pub fn hold(mut self, hold: Duration) -> SippCall {
        self.uac = self.uac.pause(hold);
        self
    }

    /// The callee's `-d` (in the scenarios that pause).
    pub fn callee_hold(mut self, hold: Duration) -> SippCall {
        self.uas = self.uas.pause(hold);
        self
    }

    /// Bound on each side's run (SIPp's `-timeout`).
    pub fn timeout(mut self, timeout: Duration) -> SippCall {
        self.uac = self.uac.timeout(timeout);
        self.uas = self.uas.timeout(timeout);
        self
    }

    /// Both sides write every message in full ([`Sipp::trace_messages`]).
    pub fn trace_messages(mut self, on: bool) -> SippCall {
        self.uac = self.uac.trace_messages(on);
        self.uas = self.uas.trace_messages(on);
        self
    }

    /// Both sides on `transport`.
    pub fn transport(mut self, transport: Transport) -> SippCall {
        self.uac = self.uac.transport(transport);
        self.uas = self.uas.transport(transport);
        self
    }

    /// Any other option of the caller.
    pub fn uac_with(mut self, f: impl FnOnce(Sipp) -> Sipp) -> SippCall {
        self.uac = f(self.uac);
        self
    }

    /// Any other option of the callee.
    pub fn uas_with(mut self, f: impl FnOnce(Sipp) -> Sipp) -> SippCall {
        self.uas = f(self.uas);
        self
    }

    /// Starts the callee, then the caller; both run on.
    pub fn spawn(self) -> Result<SippPair> {
        let uas = self.uas.clone().spawn()?;
        let uac = self.caller_for(uas.addr()).spawn()?;
        Ok(SippPair { uac, uas })
    }

    /// [`SippCall::spawn`], then waits (at most `within`) until the caller logged every call
    /// answered: the calls are up.
    pub fn spawn_answered(self, within: Duration) -> Result<SippPair> {
        let calls = self.calls;
        let pair = self.spawn()?;
        pair.uac.wait_logged("answered", calls as usize, within)?;
        Ok(pair)
    }

    /// The caller, for a callee listening at `callee`.
    fn caller_for(&self, callee: SocketAddr) -> Sipp {
        let uac = self
            .uac
            .clone()
            .remote(self.proxy.unwrap_or(callee))
            .uas_port(callee.port());
        if self.at_once {
            uac.rate(self.calls as f64).limit(self.calls)
        } else {
            uac
        }
    }

    /// [`SippCall::spawn`], then [`SippPair::finish`]: the caller's and the callee's outcomes.
    pub fn run(self) -> Result<(SippOutcome, SippOutcome)> {
        self.spawn()?.finish()
    }
}

impl SippPair {
    /// Waits for the caller to end its run, then for the callee
    /// ([`SippProcess::finish_after`]): the caller's and the callee's outcomes.
    pub fn finish(self) -> Result<(SippOutcome, SippOutcome)> {
        let caller = self.uac.wait()?;
        let callee = self.uas.finish_after(&caller)?;
        Ok((caller, callee))
    }
}

#[cfg(test)]
#[path = "sipp_call_tests.rs"]
mod tests;
