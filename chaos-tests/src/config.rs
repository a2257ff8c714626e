//! What every scenario runs with: the knobs of a run ([`Params`]), the dialogd configuration
//! (one valued profile `caller` = `${from_user}` with a limit per kind of caller, a timeout with
//! `bye_on_timeout` for the `timed` callers) and the `[cluster]` keys.
//!
//! Three kinds of callers make the load (see [`crate::load`]): `chaos` (ordinary calls, hung up
//! by the caller), `timed` (held by both ends far longer than their dialogd timeout: the BYEs must
//! come from dialogd) and `capped` (offered well above their limit: the limit is pressed during
//! the faults).
//!
//! What the members write in Record-Route is the scenario's choice ([`RecordRoute`]): each its
//! own address, or one address shared by all (`sip_record_route`), standing in for a name that
//! resolves to every member, so that in-dialog requests reach a live member when the one that
//! set the call up is gone.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::backend::Backend;

/// From user of the ordinary calls.
pub const MAIN_USER: &str = "chaos";
/// From user of the calls dialogd ends by timeout.
pub const TIMED_USER: &str = "timed";
/// From user of the calls offered above their limit.
pub const CAPPED_USER: &str = "capped";
/// The profile every rule counts its calls in, valued by From user.
pub const PROFILE: &str = "caller";

/// Limit of `caller`/`capped` (the offered concurrency is about twice this).
pub const CAPPED_LIMIT: u64 = 4;
/// dialogd timeout of the `timed` calls.
pub const TIMED_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a caller of the `chaos` kind holds its call before its BYE.
pub const MAIN_HOLD: Duration = Duration::from_secs(4);
/// How long a `capped` call is held when it is admitted.
pub const CAPPED_HOLD: Duration = Duration::from_secs(3);
/// How long both ends of a `timed` call would hold it (dialogd's BYEs come long before).
pub const TIMED_HOLD: Duration = Duration::from_secs(60);
/// How long a callee holds a `chaos` call: never first (the caller hangs up).
pub const CALLEE_HOLD: Duration = Duration::from_secs(120);

/// `[cluster] takeover_grace_secs` of the scenarios: short, so that a dead member's dialogs move
/// within a run.
pub const TAKEOVER_GRACE: Duration = Duration::from_secs(3);

/// What every member writes in Record-Route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordRoute {
    /// Its own SIP address: a caller's in-dialog requests go to the member that set its call up.
    Own,
    /// Member `n`'s (0-based) SIP address, as every member's `sip_record_route`: it stands in for
    /// a name that resolves to every member, and the callers follow it (see [`crate::load`]).
    Shared(usize),
}

/// The knobs of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Params {
    /// How long new calls are placed (the faults happen inside this span).
    pub seconds: u64,
    /// New `chaos` calls per second over the whole cluster (`timed` get a third of it, `capped`
    /// half of it).
    pub rate: f64,
    /// Where the JSON reports go.
    pub report_dir: PathBuf,
    /// Where the cluster runs.
    pub backend: Backend,
}

impl Params {
    /// `chaos` calls per second.
    pub fn main_rate(&self) -> f64 {
        self.rate
    }

    /// `timed` calls per second.
    pub fn timed_rate(&self) -> f64 {
        self.rate / 3.0
    }

    /// `capped` calls per second.
    pub fn capped_rate(&self) -> f64 {
        self.rate / 2.0
    }

    /// Limit of `caller`/`chaos`: twice the concurrency the load should reach, so a rejection
    /// means counts leaked (dialogs stuck in the profile), not load.
    pub fn main_limit(&self) -> u64 {
        limit_for(self.main_rate(), MAIN_HOLD)
    }

    /// Limit of `caller`/`timed`, on the same principle.
    pub fn timed_limit(&self) -> u64 {
        limit_for(self.timed_rate(), TIMED_TIMEOUT)
    }

    /// Every limited profile value with its limit.
    pub fn limits(&self) -> Vec<(String, u64)> {
        vec![
            (MAIN_USER.to_owned(), self.main_limit()),
            (TIMED_USER.to_owned(), self.timed_limit()),
            (CAPPED_USER.to_owned(), CAPPED_LIMIT),
        ]
    }

    /// The rules and `[dialog]` table appended to every member's config.
    pub fn dialogd_config(&self) -> String {
        format!(
            r#"
[dialog]
secret = "chaos-test-secret-0123456789abcdef"

[[rules]]
name = "timed"
match = {{ method = "INVITE", from_user = "^{TIMED_USER}$" }}
timeout = {timeout}
bye_on_timeout = true
profiles = [{{ name = "{PROFILE}", value = "${{from_user}}", limit = {timed_limit} }}]

[[rules]]
name = "capped"
match = {{ method = "INVITE", from_user = "^{CAPPED_USER}$" }}
profiles = [{{ name = "{PROFILE}", value = "${{from_user}}", limit = {CAPPED_LIMIT} }}]

[[rules]]
name = "chaos"
match = {{ method = "INVITE", from_user = "^{MAIN_USER}$" }}
profiles = [{{ name = "{PROFILE}", value = "${{from_user}}", limit = {main_limit} }}]
"#,
            timeout = TIMED_TIMEOUT.as_secs(),
            timed_limit = self.timed_limit(),
            main_limit = self.main_limit(),
        )
    }

    /// The keys of every member's `[cluster]` table.
    pub fn cluster_keys(&self) -> String {
        format!("takeover_grace_secs = {}\n", TAKEOVER_GRACE.as_secs())
    }
}

/// Twice `rate × hold`, at least 10.
fn limit_for(rate: f64, hold: Duration) -> u64 {
    let concurrent = (rate * hold.as_secs_f64()).ceil();
    // Small positive figures: the conversion cannot lose anything that matters.
    (2.0 * concurrent).max(10.0) as u64
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn params(rate: f64) -> Params {
        Params {
            seconds: 60,
            rate,
            report_dir: PathBuf::from("/tmp"),
            backend: Backend::Local,
        }
    }

    #[test]
    fn limits_are_twice_the_expected_concurrency_and_at_least_ten() {
        let table = [(6.0, 48, 12), (1.0, 10, 10), (30.0, 240, 60)];
        for (rate, main, timed) in table {
            let p = params(rate);
            assert_eq!(
                (p.main_limit(), p.timed_limit()),
                (main, timed),
                "rate {rate}"
            );
        }
    }

    #[test]
    fn the_config_names_every_limit() {
        let text = params(6.0).dialogd_config();
        for (value, limit) in params(6.0).limits() {
            assert!(text.contains(&format!("^{value}$")), "{text}");
            assert!(text.contains(&format!("limit = {limit} ")), "{text}");
        }
        assert!(text.contains("value = \"${from_user}\""), "{text}");
    }
}
