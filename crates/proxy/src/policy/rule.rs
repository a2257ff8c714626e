//! The policy as the operator writes it: one [`RuleConfig`] per `[[rules]]` table of the node's
//! TOML file. These are plain serde types (unknown keys are refused) and hold strings as
//! written; [`super::Policy::compile`] checks them and turns them into something fast to
//! evaluate. Nothing here looks at a SIP message.
//!
//! ```toml
//! [[rules]]
//! name = "per-caller"
//! match = { method = "INVITE", ruri_user = "^1\\d+$", src_ip = "10.0.0.0/8", headers = { "X-Tenant" = "^acme$" } }
//! profiles = [{ name = "caller", value = "${from_user}", limit = 5 }, { name = "calls" }]
//! timeout = 7200
//! bye_on_timeout = true
//! flags = [1, 3]
//! vars = { tier = "gold" }
//! next_hop = "sip:127.0.0.1:5080;transport=tcp"
//! triggers = ["prepaid"]
//! keepalive = { caller = true, callee = true, interval = 30 }
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::keepalive::KeepaliveRule;

/// One `[[rules]]` entry: what it matches and what it does. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Shown in logs and in [`super::Decision::matched`]; `rules[<index>]` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The conditions; all given must hold. An empty match matches every request.
    #[serde(default, rename = "match")]
    pub matches: MatchConfig,
    /// Profiles the dialog is counted in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<ProfileConfig>,
    /// Dialog timeout in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// Sequential requests do not restart the timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_noreset: Option<bool>,
    /// Send BYE to both legs when the timeout fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bye_on_timeout: Option<bool>,
    /// Dialog flags to set, as bit numbers 0..=31.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<u32>,
    /// Dialog variables to set; values may use substitutions.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
    /// SIP URI the request is sent to instead of its Route / request-URI; may use substitutions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_hop: Option<String>,
    /// Trigger names attached to the dialog: its `on_answer`, `on_timeout` and `on_hangup` go
    /// to the controllers serving these names (letters, digits, `_`, `-`, `.`; 1 to 64).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<String>,
    /// In-dialog OPTIONS to the legs once answered: `{ caller = true, callee = true,
    /// interval = 30 }` ([`super::keepalive`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<KeepaliveRule>,
    /// Reject the request with this final response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject: Option<RejectConfig>,
    /// Evaluate no later rule once this one has matched.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stop: bool,
}

/// The conditions of a rule. Regexes are unanchored (write `^…$` for a whole-value match) and
/// case-sensitive (write `(?i)` to ignore case, as host names usually want).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchConfig {
    /// The request method, exactly (`INVITE`, `MESSAGE`, …; methods are case-sensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Regex on the user part of the request-URI (the number of a `tel:` URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ruri_user: Option<String>,
    /// Regex on the host of the request-URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ruri_host: Option<String>,
    /// Regex on the user part of the From URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_user: Option<String>,
    /// Regex on the host of the From URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_host: Option<String>,
    /// Regex on the user part of the To URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_user: Option<String>,
    /// Regex on the host of the To URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_host: Option<String>,
    /// The packet's source address: an IP (`192.0.2.7`, `2001:db8::1`) or a CIDR
    /// (`10.0.0.0/8`, `2001:db8::/32`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_ip: Option<String>,
    /// Header name → regex on its value; matches if any line of that header matches.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// A profile the dialog is counted in: `{ name = "caller", value = "${from_user}", limit = 5 }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// Profile name: letters, digits, `_`, `-`, `.`.
    pub name: String,
    /// The value that keys the profile (a profile "with value"); may use substitutions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The dialog is refused if the profile (with this value) already holds this many dialogs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// A final response that refuses the request: `{ code = 403, reason = "Forbidden" }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectConfig {
    /// 400..=699.
    pub code: u16,
    /// Reason phrase; a standard phrase for the code when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
