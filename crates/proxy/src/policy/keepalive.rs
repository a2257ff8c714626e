//! The rule key `keepalive = { caller = true, callee = true, interval = 30 }`:
//! in-dialog OPTIONS to the chosen legs every `interval` seconds once the call is answered
//! (Kamailio `ka-src`/`ka-dst` and `ka_interval`). [`KeepaliveRule`] is what the operator
//! writes; [`compile`] checks it into the dialog's [`KeepaliveConfig`]. A later matching rule's
//! `keepalive` replaces an earlier one's whole, so `keepalive = { caller = false, callee = false }`
//! turns it off again.

use std::time::Duration;

use dialogd_dialog::{DEFAULT_FAILED_LIMIT, KeepaliveConfig, MAX_KEEPALIVE_INTERVAL};
use serde::{Deserialize, Serialize};

use super::PolicyErrorKind;

/// Seconds between probes when the rule gives no `interval`.
pub const DEFAULT_INTERVAL_SECS: u64 = 30;

/// `keepalive = { caller = true, callee = true, interval = 30 }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeepaliveRule {
    /// Probe the caller (the INVITE's sender).
    #[serde(default)]
    pub caller: bool,
    /// Probe the callee (the answering side).
    #[serde(default)]
    pub callee: bool,
    /// Seconds between probes to a leg, 1 to 86400 ([`DEFAULT_INTERVAL_SECS`] when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u64>,
}

/// Checks a rule's `keepalive`; the error names the key inside it (`keepalive.interval`).
pub fn compile(k: &KeepaliveRule) -> Result<KeepaliveConfig, (String, PolicyErrorKind)> {
    let secs = k.interval.unwrap_or(DEFAULT_INTERVAL_SECS);
    if secs == 0 || secs > MAX_KEEPALIVE_INTERVAL.as_secs() {
        return Err((
            "keepalive.interval".into(),
            PolicyErrorKind::KeepaliveInterval(secs),
        ));
    }
    Ok(KeepaliveConfig {
        caller: k.caller,
        callee: k.callee,
        interval: Duration::from_secs(secs),
        failed_limit: DEFAULT_FAILED_LIMIT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_outside_one_second_to_a_day_are_refused() {
        let rule = |interval| KeepaliveRule {
            caller: true,
            callee: false,
            interval,
        };
        let ok = compile(&rule(None)).unwrap();
        assert_eq!(
            (ok.caller, ok.callee, ok.interval),
            (true, false, Duration::from_secs(30))
        );
        assert_eq!(
            compile(&rule(Some(86_400))).unwrap().interval.as_secs(),
            86_400
        );
        for bad in [0, 86_401] {
            let (key, kind) = compile(&rule(Some(bad))).unwrap_err();
            assert_eq!(key, "keepalive.interval");
            assert_eq!(kind, PolicyErrorKind::KeepaliveInterval(bad));
        }
    }

    #[test]
    fn a_later_rule_replaces_the_keepalive_and_errors_name_the_rule_key() {
        use crate::policy::Policy;
        use crate::policy::rule_builders::{LAN, invite, named, src};
        let both = KeepaliveRule {
            caller: true,
            callee: true,
            interval: Some(2),
        };
        let off = KeepaliveRule::default();
        let rules = [
            named("ka", |r| r.keepalive = Some(both.clone())),
            named("bob-off", |r| {
                r.matches.from_user = Some("^bob$".into());
                r.keepalive = Some(off.clone());
            }),
        ];
        let policy = Policy::compile(&rules).unwrap();
        let alice = policy.evaluate(&invite("alice", &[]), src(LAN)).keepalive;
        assert_eq!(
            alice.map(|k| (k.caller, k.callee, k.interval.as_secs())),
            Some((true, true, 2))
        );
        let bob = policy.evaluate(&invite("bob", &[]), src(LAN)).keepalive;
        assert_eq!(bob.map(|k| k.is_enabled()), Some(false));

        let bad = [named("zero", |r| {
            r.keepalive = Some(KeepaliveRule {
                interval: Some(0),
                ..both.clone()
            });
        })];
        let err = Policy::compile(&bad).unwrap_err();
        assert_eq!(err.key(), "rules[0].keepalive.interval");
        assert!(err.to_string().contains("0 is not in 1..=86400"), "{err}");
    }
}
