//! [`DialogConfig`]: the node-wide dialog settings the machine needs — the default dialog
//! timeout and how in-dialog requests find their dialog ([`MatchMode`], Kamailio's
//! `dlg_match_mode`). Plain values: reading them from a file or the environment is the node's
//! job (`dialogd_node::config`), not this crate's.

use std::time::Duration;

/// The dialog timeout when no rule or API call sets one: 12 hours, OpenSIPS' and Kamailio's
/// `default_timeout` (43200 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(43_200);

/// How in-dialog requests are matched to dialogs (Kamailio `dlg_match_mode`). Whatever the
/// mode, a candidate dialog is only accepted after the tight Call-ID / From tag / To tag check
/// ([`crate::matching`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum MatchMode {
    /// Only by our `did` (Kamailio 0, `DID_ONLY`): a request without one has no dialog.
    DidOnly,
    /// By `did`, else by Call-ID and tags (Kamailio 1, `DID_FALLBACK`).
    #[default]
    DidFallback,
    /// Only by Call-ID and tags (Kamailio 2, `DID_NONE`); no `did` is written.
    DidNone,
}

impl MatchMode {
    /// The name used in configuration files (`did_only`, `did_fallback`, `did_none`).
    pub fn as_str(self) -> &'static str {
        match self {
            MatchMode::DidOnly => "did_only",
            MatchMode::DidFallback => "did_fallback",
            MatchMode::DidNone => "did_none",
        }
    }

    /// True if our Record-Route carries a `did` in this mode.
    pub fn writes_did(self) -> bool {
        self != MatchMode::DidNone
    }
}

/// Node-wide dialog settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialogConfig {
    /// Timeout of dialogs whose [`crate::DialogSettings::timeout`] is `None`.
    pub default_timeout: Duration,
    pub match_mode: MatchMode,
}

impl Default for DialogConfig {
    fn default() -> DialogConfig {
        DialogConfig {
            default_timeout: DEFAULT_TIMEOUT,
            match_mode: MatchMode::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_reference_modules() {
        let c = DialogConfig::default();
        assert_eq!(c.default_timeout, Duration::from_secs(43_200));
        assert_eq!(c.match_mode, MatchMode::DidFallback);
    }

    #[test]
    fn mode_names_and_did_writing() {
        let table = [
            (MatchMode::DidOnly, "did_only", true),
            (MatchMode::DidFallback, "did_fallback", true),
            (MatchMode::DidNone, "did_none", false),
        ];
        for (mode, name, writes) in table {
            assert_eq!(mode.as_str(), name);
            assert_eq!(mode.writes_did(), writes, "{name}");
        }
    }
}
