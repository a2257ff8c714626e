//! The hostile benchmark (`hostile` binary): one dialogd carrying clean SIPp calls while
//! attackers on other loopback addresses hit it, one phase per attack, then all at once, with a
//! table of what the clean calls and the node went through.
//!
//! ```text
//!   hostile ─ build release dialogd if missing ─ RLIMIT_NOFILE up ─ netns::isolate ─ blackhole
//!     for each phase (clean, garbage, invite-flood, slow-tcp, forged, all):
//!       fresh dialogd (127.0.0.1) ─ sampler (RSS, CPU, fds every 0.5 s)
//!       attackers (127.0.0.2 ...) ─ 2 s ─ SIPp uac → dialogd → uas (127.0.0.1), `rate` × `seconds`
//!       stop attackers ─ /metrics ─ stop node ─ print the phase's table
//!   summary table of every phase
//! ```
//!
//! Decisions:
//! - every phase gets a fresh node, so what one attack leaves behind (a wedged dispatcher,
//!   thousands of transactions) does not count against the next; the first phase has no attack
//!   and is the reference;
//! - the whole run is in a private network namespace ([`dialogd_test_support::netns`], called
//!   from `main` before any thread is started, so every thread and child is inside), where TCP
//!   to [`BLACKHOLE`] is dropped: the forged responses name it, and so may the flood's URI;
//! - a clean call that waits [`CALL_GIVE_UP`] for any message fails (SIPp `-recv_timeout`),
//!   so a wedged node costs a bounded time per phase.
//!
//! Owns: [`Attack`] and [`Options`]; [`phase`] runs one phase, [`attackers`] starts and stops
//! the attacks with the benchmark's figures, [`sampler`] reads /proc, [`scrape`] reads and
//! filters /metrics, [`rtt`] reads SIPp's response times, [`table`] prints.

pub mod attackers;
pub mod phase;
pub mod rtt;
pub mod sampler;
pub mod scrape;
pub mod table;

use std::fmt;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Result, bail};

pub use phase::{PhaseReport, run_phase};

/// The address TCP is dropped to inside the benchmark's namespace.
pub const BLACKHOLE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 99);
/// How long a clean call waits for any one message before it counts as failed.
pub const CALL_GIVE_UP: Duration = Duration::from_secs(10);

/// One attack of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attack {
    Garbage,
    InviteFlood,
    SlowTcp,
    Forged,
}

impl Attack {
    pub const ALL: [Attack; 4] = [
        Attack::Garbage,
        Attack::InviteFlood,
        Attack::SlowTcp,
        Attack::Forged,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Attack::Garbage => "garbage",
            Attack::InviteFlood => "invite-flood",
            Attack::SlowTcp => "slow-tcp",
            Attack::Forged => "forged",
        }
    }
}

impl fmt::Display for Attack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Attack {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Attack> {
        match Attack::ALL.into_iter().find(|a| a.name() == s.trim()) {
            Some(a) => Ok(a),
            None => bail!(
                "no attack {s:?} (one of: all, {})",
                Attack::ALL.map(Attack::name).join(", ")
            ),
        }
    }
}

/// `all` or a comma-separated list of attack names, in the order of [`Attack::ALL`].
pub fn parse_attacks(text: &str) -> Result<Vec<Attack>> {
    if text.trim() == "all" {
        return Ok(Attack::ALL.to_vec());
    }
    let mut chosen: Vec<Attack> = text
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(Attack::from_str)
        .collect::<Result<_>>()?;
    if chosen.is_empty() {
        bail!("no attack named in {text:?}");
    }
    chosen.sort();
    chosen.dedup();
    Ok(chosen)
}

/// The run's knobs (the binary's flags).
#[derive(Debug, Clone)]
pub struct Options {
    /// Seconds of clean calls per phase.
    pub seconds: u64,
    /// Clean calls per second.
    pub rate: f64,
    pub attacks: Vec<Attack>,
    /// The release dialogd binary.
    pub dialogd: PathBuf,
    /// Spread the slow TCP connections over several source addresses.
    pub spread_slow_tcp: bool,
    /// Request-URI of the INVITE flood.
    pub flood_uri: String,
}

/// The phases of a run: a clean reference, one per attack, then all of them together when
/// more than one was chosen.
pub fn phases(attacks: &[Attack]) -> Vec<Vec<Attack>> {
    let mut out = vec![Vec::new()];
    out.extend(attacks.iter().map(|a| vec![*a]));
    if attacks.len() > 1 {
        out.push(attacks.to_vec());
    }
    out
}

/// A phase's name: `clean`, the attack's, or `all`.
pub fn phase_name(attacks: &[Attack], chosen: &[Attack]) -> String {
    match attacks {
        [] => "clean".to_string(),
        [one] => one.name().to_string(),
        _ if attacks.len() == chosen.len() && chosen.len() == Attack::ALL.len() => "all".into(),
        many => many.iter().map(|a| a.name()).collect::<Vec<_>>().join("+"),
    }
}

/// Runs every phase in turn, printing each one's table as it ends.
pub fn run(options: &Options) -> Result<Vec<PhaseReport>> {
    let mut reports = Vec::new();
    for attacks in phases(&options.attacks) {
        let name = phase_name(&attacks, &options.attacks);
        eprintln!(
            "[hostile] phase {name}: {} s of clean calls at {}/s",
            options.seconds, options.rate
        );
        let report = run_phase(&name, &attacks, options)?;
        println!("{}", table::phase_block(&report));
        reports.push(report);
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attacks_parse_from_all_or_a_list_and_unknown_names_are_refused() {
        assert_eq!(parse_attacks("all").unwrap(), Attack::ALL.to_vec());
        assert_eq!(
            parse_attacks("forged, garbage,forged").unwrap(),
            vec![Attack::Garbage, Attack::Forged]
        );
        let error = parse_attacks("garbage,ddos").unwrap_err().to_string();
        assert!(
            error.contains("ddos") && error.contains("slow-tcp"),
            "{error}"
        );
        assert!(parse_attacks(",").is_err());
    }

    #[test]
    fn phases_are_clean_then_each_attack_then_all_together() {
        let names: Vec<String> = phases(&Attack::ALL)
            .iter()
            .map(|p| phase_name(p, &Attack::ALL))
            .collect();
        assert_eq!(
            names,
            [
                "clean",
                "garbage",
                "invite-flood",
                "slow-tcp",
                "forged",
                "all"
            ]
        );
        let two = [Attack::Garbage, Attack::Forged];
        let names: Vec<String> = phases(&two).iter().map(|p| phase_name(p, &two)).collect();
        assert_eq!(names, ["clean", "garbage", "forged", "garbage+forged"]);
        assert_eq!(phases(&[Attack::SlowTcp]).len(), 2);
    }
}
