//! The routing and admission policy: `[[rules]]` from the node's TOML file,
//! compiled once ([`Policy::compile`]) and evaluated for each initial request
//! ([`Policy::evaluate`]) into a [`Decision`] the proxy carries out. Pure and synchronous: it
//! never touches a socket, the profile store or tokio — limits are only *carried* in the
//! decision; the profile store enforces them.
//!
//! ```text
//!  [RuleConfig] ──compile──▶ Policy ──evaluate(msg, src)──▶ Decision
//!                (regexes,              (profiles, timeout, flags, vars,
//!                 CIDRs, templates)      triggers, next_hop, reject, matched)
//! ```
//!
//! # Semantics
//!
//! - The proxy evaluates the policy for every initial (out-of-dialog) request; a rule without
//!   `match.method` matches any method, so write `method = "INVITE"` for call-only rules.
//!   Profiles, timeout, flags and vars only matter for an INVITE (the only request that
//!   creates a dialog); `next_hop` and `reject` apply to any request.
//! - Rules are tried in order; **every** matching rule applies:
//!   - `profiles` accumulate; a profile key (name + value) met twice is kept once, with the
//!     smallest limit given for it;
//!   - scalar settings (`timeout`, `timeout_noreset`, `bye_on_timeout`, `next_hop`) of a later
//!     rule override those of an earlier one; a rule that does not set one leaves it alone;
//!   - `flags` are OR-ed together; `vars` merge, a later rule overwriting the same name;
//!   - `triggers` accumulate, each name kept once, in the order first met;
//!   - `keepalive` of a later rule replaces an earlier one's whole ([`keepalive`]).
//! - A matching rule with `reject` ends the evaluation: the decision is to reject, and nothing
//!   else in it is used. A matching rule with `stop = true` ends it after that rule.
//! - Substitutions (`${from_user}` …, see [`template`]) are allowed in profile values, vars and
//!   `next_hop`. When a substitution renders empty for a request (e.g. `${hdr(X-Account)}` and
//!   no such header): a profile value using it is skipped for that call — the dialog is not
//!   counted under an empty or partial value like `acct-` — and so is a `next_hop` using it
//!   (or one that does not render to a `sip:`/`sips:` URI with a host; routing then falls back
//!   to Route / request-URI); a var is set with the empty part (vars are informational).
//! - Regexes are unanchored and case-sensitive; a part the request lacks is matched as the
//!   empty string (see [`matcher`]).
//!
//! Main types: [`RuleConfig`] (what the operator writes), [`Policy`], [`Decision`],
//! [`PolicyError`].

pub mod cidr;
pub mod error;
pub mod keepalive;
pub mod matcher;
pub mod request_view;
pub mod rule;
pub mod template;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use dialogd_dialog::{KeepaliveConfig, ProfileKey, ProfileMembership};
use dialogd_sip::SipMessage;
use dialogd_sip::values::Uri;

pub use error::{PolicyError, PolicyErrorKind};
pub use rule::{MatchConfig, ProfileConfig, RejectConfig, RuleConfig};

use matcher::Matcher;
use request_view::RequestView;
use template::Template;

/// What the policy decided for one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// Profiles to admit the dialog into, with their limits, in rule order.
    pub profiles: Vec<ProfileMembership>,
    /// Dialog timeout; `None`: the node's default.
    pub timeout: Option<Duration>,
    /// Sequential requests do not restart the timeout.
    pub timeout_noreset: bool,
    /// BYE both legs on timeout; `None`: the node's default.
    pub bye_on_timeout: Option<bool>,
    /// Dialog flags (bit n = flag n).
    pub flags: u32,
    /// Dialog variables.
    pub vars: BTreeMap<String, String>,
    /// Trigger names attached to the dialog, each once, in the order the rules gave them.
    pub triggers: Vec<String>,
    /// Keep-alive probing of the legs ([`keepalive`]); the last matching rule's wins.
    pub keepalive: Option<KeepaliveConfig>,
    /// SIP URI to send the request to instead of its Route / request-URI.
    pub next_hop: Option<String>,
    /// Refuse the request with this code and reason.
    pub reject: Option<(u16, String)>,
    /// Labels of the rules that matched, in order (name, or `rules[<index>]`).
    pub matched: Vec<String>,
}

/// A compiled policy. The default policy has no rules: every decision is empty.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Rule {
    label: String,
    matcher: Matcher,
    profiles: Vec<ProfileAction>,
    timeout: Option<Duration>,
    timeout_noreset: Option<bool>,
    bye_on_timeout: Option<bool>,
    flags: u32,
    vars: Vec<(String, Template)>,
    triggers: Vec<String>,
    keepalive: Option<KeepaliveConfig>,
    next_hop: Option<Template>,
    reject: Option<(u16, String)>,
    stop: bool,
}

#[derive(Debug, Clone)]
struct ProfileAction {
    name: String,
    value: Option<Template>,
    limit: Option<u32>,
}

impl Policy {
    /// Checks and compiles the rules. The first error found is returned, naming the rule and
    /// the key.
    pub fn compile(rules: &[RuleConfig]) -> Result<Policy, PolicyError> {
        let mut compiled = Vec::with_capacity(rules.len());
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for (index, config) in rules.iter().enumerate() {
            let err = |field: &str, kind| PolicyError {
                index,
                name: config.name.clone(),
                field: field.to_owned(),
                kind,
            };
            if let Some(name) = &config.name {
                if name.trim().is_empty() || name.contains(['\r', '\n']) {
                    return Err(err("name", PolicyErrorKind::RuleName(name.clone())));
                }
                if let Some(first) = names.insert(name, index) {
                    return Err(err(
                        "name",
                        PolicyErrorKind::DuplicateName {
                            name: name.clone(),
                            first,
                        },
                    ));
                }
            }
            compiled.push(compile_rule(index, config).map_err(|(field, kind)| err(&field, kind))?);
        }
        Ok(Policy { rules: compiled })
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True if there is no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Applies the rules to an initial request received from `src`.
    pub fn evaluate(&self, msg: &SipMessage, src: SocketAddr) -> Decision {
        let mut decision = Decision::default();
        if self.rules.is_empty() {
            return decision;
        }
        let req = RequestView::new(msg, src);
        for rule in &self.rules {
            if !rule.matcher.matches(&req) {
                continue;
            }
            decision.matched.push(rule.label.clone());
            if let Some(reject) = &rule.reject {
                decision.reject = Some(reject.clone());
                break;
            }
            rule.apply(&req, &mut decision);
            if rule.stop {
                break;
            }
        }
        decision
    }
}

impl Rule {
    fn apply(&self, req: &RequestView<'_>, d: &mut Decision) {
        for p in &self.profiles {
            let key = match &p.value {
                None => ProfileKey::plain(&p.name),
                Some(t) => match t.render_complete(req) {
                    Some(value) => ProfileKey::with_value(&p.name, value),
                    None => {
                        tracing::debug!(rule = %self.label, profile = %p.name, "profile value is empty: profile skipped");
                        continue;
                    }
                },
            };
            match d.profiles.iter_mut().find(|m| m.key == key) {
                Some(existing) => existing.limit = tightest(existing.limit, p.limit),
                None => d.profiles.push(ProfileMembership {
                    key,
                    limit: p.limit,
                }),
            }
        }
        if self.timeout.is_some() {
            d.timeout = self.timeout;
        }
        if let Some(v) = self.timeout_noreset {
            d.timeout_noreset = v;
        }
        if self.bye_on_timeout.is_some() {
            d.bye_on_timeout = self.bye_on_timeout;
        }
        d.flags |= self.flags;
        for (name, t) in &self.vars {
            d.vars.insert(name.clone(), t.render(req));
        }
        for name in &self.triggers {
            if !d.triggers.contains(name) {
                d.triggers.push(name.clone());
            }
        }
        if self.keepalive.is_some() {
            d.keepalive = self.keepalive;
        }
        if let Some(t) = &self.next_hop {
            match t.render_complete(req).filter(|hop| is_sip_uri(hop)) {
                Some(hop) => d.next_hop = Some(hop),
                None => tracing::debug!(rule = %self.label, "next_hop renders incomplete: ignored"),
            }
        }
    }
}

fn tightest(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

type FieldError = (String, PolicyErrorKind);

fn compile_rule(index: usize, c: &RuleConfig) -> Result<Rule, FieldError> {
    let matcher = Matcher::compile(&c.matches).map_err(|(k, e)| (format!("match.{k}"), e))?;
    let mut profiles = Vec::with_capacity(c.profiles.len());
    for (i, p) in c.profiles.iter().enumerate() {
        let valid_name = !p.name.is_empty()
            && p.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if !valid_name {
            return Err((
                format!("profiles[{i}].name"),
                PolicyErrorKind::ProfileName(p.name.clone()),
            ));
        }
        let value = match p.value.as_deref() {
            None => None,
            Some("") => {
                return Err((
                    format!("profiles[{i}].value"),
                    PolicyErrorKind::EmptyProfileValue,
                ));
            }
            Some(v) => Some(Template::parse(v).map_err(|e| (format!("profiles[{i}].value"), e))?),
        };
        profiles.push(ProfileAction {
            name: p.name.clone(),
            value,
            limit: p.limit,
        });
    }
    let timeout = match c.timeout {
        Some(0) => return Err(("timeout".into(), PolicyErrorKind::ZeroTimeout)),
        t => t.map(Duration::from_secs),
    };
    let mut flags = 0u32;
    for &bit in &c.flags {
        if bit > 31 {
            return Err(("flags".into(), PolicyErrorKind::Flag(bit)));
        }
        flags |= 1 << bit;
    }
    let mut vars = Vec::with_capacity(c.vars.len());
    for (name, value) in &c.vars {
        if name.is_empty() {
            return Err(("vars".into(), PolicyErrorKind::EmptyVarName));
        }
        vars.push((
            name.clone(),
            Template::parse(value).map_err(|e| (format!("vars.{name}"), e))?,
        ));
    }
    for (i, name) in c.triggers.iter().enumerate() {
        if !is_trigger_name(name) {
            return Err((
                format!("triggers[{i}]"),
                PolicyErrorKind::TriggerName(name.clone()),
            ));
        }
    }
    let keepalive = c.keepalive.as_ref().map(keepalive::compile).transpose()?;
    let next_hop = match &c.next_hop {
        Some(s) => Some(next_hop(s).map_err(|e| ("next_hop".to_owned(), e))?),
        None => None,
    };
    let reject = match &c.reject {
        Some(r) => Some(reject(r)?),
        None => None,
    };
    Ok(Rule {
        label: c.name.clone().unwrap_or_else(|| format!("rules[{index}]")),
        matcher,
        profiles,
        timeout,
        timeout_noreset: c.timeout_noreset,
        bye_on_timeout: c.bye_on_timeout,
        flags,
        vars,
        triggers: c.triggers.clone(),
        keepalive,
        next_hop,
        reject,
        stop: c.stop,
    })
}

/// Longest trigger name.
pub const MAX_TRIGGER_NAME: usize = 64;

/// True for a trigger name: 1 to [`MAX_TRIGGER_NAME`] letters, digits, `_`, `-`, `.`.
pub fn is_trigger_name(s: &str) -> bool {
    (1..=MAX_TRIGGER_NAME).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

/// True for a `sip:`/`sips:` URI with a host.
fn is_sip_uri(s: &str) -> bool {
    Uri::parse(s).is_some_and(|u| matches!(u.scheme.as_str(), "sip" | "sips") && !u.host.is_empty())
}

fn next_hop(s: &str) -> Result<Template, PolicyErrorKind> {
    let t = Template::parse(s)?;
    let bad = || PolicyErrorKind::NextHop(s.to_owned());
    if t.is_literal() {
        if !is_sip_uri(s) {
            return Err(bad());
        }
    } else {
        let prefix = t.prefix().to_ascii_lowercase();
        if !(prefix.starts_with("sip:") || prefix.starts_with("sips:")) {
            return Err(bad());
        }
    }
    Ok(t)
}

fn reject(r: &RejectConfig) -> Result<(u16, String), FieldError> {
    if !(400..=699).contains(&r.code) {
        return Err(("reject.code".into(), PolicyErrorKind::RejectCode(r.code)));
    }
    let reason = match &r.reason {
        Some(s) if s.trim().is_empty() || s.contains(['\r', '\n']) => {
            return Err((
                "reject.reason".into(),
                PolicyErrorKind::RejectReason(s.clone()),
            ));
        }
        Some(s) => s.clone(),
        None => standard_reason(r.code).to_owned(),
    };
    Ok((r.code, reason))
}

/// The RFC 3261 §21 reason phrase of the codes a policy usually rejects with.
pub fn standard_reason(code: u16) -> &'static str {
    match code {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        410 => "Gone",
        480 => "Temporarily Unavailable",
        484 => "Address Incomplete",
        486 => "Busy Here",
        488 => "Not Acceptable Here",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => "Rejected",
    }
}

#[cfg(test)]
mod compile_tests;
#[cfg(test)]
mod evaluate_tests;
#[cfg(test)]
mod rule_builders;
