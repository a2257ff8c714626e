//! Dialog states (OpenSIPS/Kamailio numbering) and why a dialog ended.

use std::fmt;

/// The state of a dialog. Numbers follow OpenSIPS/Kamailio (`dlg_list` shows the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DialogState {
    /// 1: initial INVITE proxied, no reply with a To tag yet.
    Unconfirmed = 1,
    /// 2: a provisional reply with a To tag arrived.
    Early = 2,
    /// 3: 2xx seen, ACK not yet.
    ConfirmedNoAck = 3,
    /// 4: ACK for the 2xx seen.
    Confirmed = 4,
    /// 5: ended (BYE, timeout, API, keep-alive) or failed before answer.
    Deleted = 5,
}

impl DialogState {
    /// The OpenSIPS/Kamailio state number.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// Lower-case name used in logs, metrics labels and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            DialogState::Unconfirmed => "unconfirmed",
            DialogState::Early => "early",
            DialogState::ConfirmedNoAck => "confirmed_na",
            DialogState::Confirmed => "confirmed",
            DialogState::Deleted => "deleted",
        }
    }

    /// True for states 3 and 4 (the call is up).
    pub fn is_confirmed(self) -> bool {
        matches!(self, DialogState::ConfirmedNoAck | DialogState::Confirmed)
    }
}

impl fmt::Display for DialogState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a dialog reached state 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum EndCause {
    /// BYE from the caller side.
    ByeCaller,
    /// BYE from the callee side.
    ByeCallee,
    /// The dialog timeout fired (counted as expired).
    Timeout,
    /// Ended through the API.
    Api,
    /// A keep-alive probe failed.
    Keepalive,
    /// Lost during a takeover.
    TakeoverLost,
    /// Transferred by the proxy: the new call was answered, the old one ended.
    Transfer,
    /// CANCELled before answer (counted as failed).
    Cancelled,
    /// A final non-2xx reply or a transaction timeout before answer (counted as failed).
    Failed(u16),
}

impl EndCause {
    /// Lower-case name used in logs, metrics labels and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            EndCause::ByeCaller => "bye_caller",
            EndCause::ByeCallee => "bye_callee",
            EndCause::Timeout => "timeout",
            EndCause::Api => "api",
            EndCause::Keepalive => "keepalive",
            EndCause::TakeoverLost => "takeover_lost",
            EndCause::Transfer => "transfer",
            EndCause::Cancelled => "cancelled",
            EndCause::Failed(_) => "failed",
        }
    }

    /// True if the dialog never got confirmed (counted in `failed`).
    pub fn is_failure(self) -> bool {
        matches!(self, EndCause::Cancelled | EndCause::Failed(_))
    }
}

impl fmt::Display for EndCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndCause::Failed(code) => write!(f, "failed({code})"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// A side of the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Leg {
    /// The side that sent the initial INVITE.
    Caller,
    /// The side that answered it.
    Callee,
}

impl Leg {
    /// `caller` / `callee`, as logs, events, the API and the CLI name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Leg::Caller => "caller",
            Leg::Callee => "callee",
        }
    }

    /// The other side.
    pub fn other(self) -> Leg {
        match self {
            Leg::Caller => Leg::Callee,
            Leg::Callee => Leg::Caller,
        }
    }
}
