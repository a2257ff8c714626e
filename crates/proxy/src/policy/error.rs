//! [`PolicyError`]: why a rule does not compile, with the rule's index and name and the key
//! that is wrong (`rules[2].match.from_user: invalid regex "(": …`), so the node's config can
//! point at the line of the file.

use std::fmt;

/// A rule that does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    /// Index of the rule in `rules`.
    pub index: usize,
    /// The rule's `name`, if it has one.
    pub name: Option<String>,
    /// The key inside the rule, dotted: `match.from_user`, `profiles[1].value`, `vars.tier`.
    pub field: String,
    /// What is wrong.
    pub kind: PolicyErrorKind,
}

impl PolicyError {
    /// The full key path from the config's root: `rules[2].match.from_user`.
    pub fn key(&self) -> String {
        if self.field.is_empty() {
            format!("rules[{}]", self.index)
        } else {
            format!("rules[{}].{}", self.index, self.field)
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key(), self.kind)?;
        if let Some(name) = &self.name {
            write!(f, " (rule {name:?})")?;
        }
        Ok(())
    }
}

/// The reasons a rule does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyErrorKind {
    #[error("invalid regex {pattern:?}: {error}")]
    Regex { pattern: String, error: String },
    #[error("{0:?} is not an IP address or CIDR (e.g. \"10.0.0.0/8\", \"2001:db8::/32\")")]
    Cidr(String),
    #[error("{value:?} has host bits set; did you mean \"{suggestion}\"?")]
    CidrHostBits { value: String, suggestion: String },
    #[error("{0:?} is not a SIP method token")]
    Method(String),
    #[error("{0:?} is not a valid header name")]
    HeaderName(String),
    #[error("unknown variable ${{{name}}} in {template:?}; known: {known}")]
    UnknownVariable {
        name: String,
        template: String,
        known: &'static str,
    },
    #[error("unterminated ${{ in {0:?}")]
    Unterminated(String),
    #[error("profile name {0:?} must be non-empty and use only letters, digits, '_', '-', '.'")]
    ProfileName(String),
    #[error("empty value: omit `value` for a profile without value")]
    EmptyProfileValue,
    #[error("timeout must be at least 1 second")]
    ZeroTimeout,
    #[error("flag {0} is out of range 0..=31")]
    Flag(u32),
    #[error("variable name must not be empty")]
    EmptyVarName,
    #[error("trigger name {0:?} must be 1 to 64 characters of letters, digits, '_', '-', '.'")]
    TriggerName(String),
    #[error("{0} is not in 1..=86400 seconds")]
    KeepaliveInterval(u64),
    #[error("{0:?} is not a sip: or sips: URI with a host")]
    NextHop(String),
    #[error("code {0} is not a final error response (400..=699)")]
    RejectCode(u16),
    #[error("reason {0:?} must be non-empty and on one line")]
    RejectReason(String),
    #[error("rule name {0:?} must be non-empty and on one line")]
    RuleName(String),
    #[error("rule name {name:?} is already used by rules[{first}]")]
    DuplicateName { name: String, first: usize },
}
