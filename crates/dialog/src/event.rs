//! Dialog events ([`DialogEvent`]): what happened to a dialog, as told to watchers (the API's
//! `Events` stream, the event routes of Kamailio and `E_DLG_STATE_CHANGED` of OpenSIPS). A plain
//! value: the proxy builds one at each transition and broadcasts it; it never drives anything.
//!
//! | kind | when (proxy) | extra data |
//! |---|---|---|
//! | `Created` | the initial INVITE was admitted and its dialog started | |
//! | `Early` | state 2: a provisional reply with a To tag | |
//! | `Confirmed` | state 3: the first 2xx | |
//! | `Failed` | ended before answer (non-2xx, timer B, CANCEL) | `failed_code` (487 for CANCEL) |
//! | `Deleted` | the dialog ended, whatever the reason (after `Failed` for a failure) | `end_cause` |
//! | `TimeoutChanged` | the dialog timeout was changed by a command | `timeout` |
//! | `VarsChanged` | a dialog variable was set or unset | |
//! | `Transfer` | a transfer by the proxy moved on (OpenSIPS `E_CALL_TRANSFER`) | [`ControlEvent`] |
//! | `Hold` | a hold or unhold by the proxy moved on for one leg (OpenSIPS `E_CALL_HOLD`) | [`ControlEvent`] |

use std::fmt;
use std::time::Duration;

use crate::id::DialogId;
use crate::profile::ProfileKey;
use crate::state::{DialogState, EndCause, Leg};

/// SIP code reported for a dialog CANCELled before answer (487 Request Terminated).
pub const CANCELLED_CODE: u16 = 487;

/// What kind of thing happened to a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The dialog was admitted and started (state 1).
    Created,
    /// A provisional reply with a To tag arrived (state 2).
    Early,
    /// The first 2xx arrived (state 3).
    Confirmed,
    /// The dialog ended before answer.
    Failed,
    /// The dialog ended (state 5).
    Deleted,
    /// The dialog timeout was changed.
    TimeoutChanged,
    /// A dialog variable was set or unset.
    VarsChanged,
    /// A transfer started by the proxy moved on ([`ControlEvent`]: start, notify, ok, fail).
    Transfer,
    /// A hold or unhold by the proxy moved on for one leg ([`ControlEvent`]: start, ok, fail).
    Hold,
}

impl EventKind {
    /// Every kind, in life order.
    pub const ALL: [EventKind; 9] = [
        EventKind::Created,
        EventKind::Early,
        EventKind::Confirmed,
        EventKind::Failed,
        EventKind::Deleted,
        EventKind::TimeoutChanged,
        EventKind::VarsChanged,
        EventKind::Transfer,
        EventKind::Hold,
    ];

    /// Lower-case name used in logs, the CLI and JSON (`timeout_changed`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Early => "early",
            EventKind::Confirmed => "confirmed",
            EventKind::Failed => "failed",
            EventKind::Deleted => "deleted",
            EventKind::TimeoutChanged => "timeout_changed",
            EventKind::VarsChanged => "vars_changed",
            EventKind::Transfer => "transfer",
            EventKind::Hold => "hold",
        }
    }

    /// The kind named `name` ([`EventKind::as_str`]).
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing that happened to one dialog on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogEvent {
    /// Per-node sequence number: rises by one per event the node emits (0 if not assigned).
    pub id: u64,
    /// Wall-clock Unix milliseconds of the event.
    pub unix_ms: u64,
    /// The node that emitted it.
    pub node_id: u64,
    /// The dialog.
    pub did: DialogId,
    /// The dialog's Call-ID.
    pub call_id: String,
    /// What happened.
    pub kind: EventKind,
    /// For `Failed`: the final SIP code (0 for a timeout without code, 487 for CANCEL).
    pub failed_code: Option<u16>,
    /// For `Deleted`: why the dialog ended.
    pub end_cause: Option<EndCause>,
    /// The dialog's state after the event.
    pub state: DialogState,
    /// The dialog's profiles.
    pub profiles: Vec<ProfileKey>,
    /// The dialog timeout (for `TimeoutChanged`, the new one).
    pub timeout: Duration,
    /// For `Transfer` and `Hold`: what the proxy did and how far it got.
    pub control: Option<ControlEvent>,
}

/// The details of a `Transfer` or `Hold` event (OpenSIPS callops `E_CALL_TRANSFER`,
/// `E_CALL_HOLD` parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlEvent {
    /// The leg transferred, or put on hold / resumed.
    pub leg: Leg,
    /// `transfer`, `hold` or `unhold`.
    pub action: &'static str,
    /// `start`, `notify`, `ok` or `fail`.
    pub state: &'static str,
    /// More about the state: the NOTIFY's sipfrag status (`180`), the failure
    /// (`refer refused (403)`), the re-INVITE's final status; empty when there is nothing.
    pub status: String,
    /// Transfer: where the leg is sent (the Refer-To URI, without the link parameter).
    pub destination: String,
    /// Transfer: the Call-ID of the new call that replaces this one, once known (linked);
    /// attended: the other call's Call-ID.
    pub other_call_id: String,
}

impl DialogEvent {
    /// The code a failure reports: the final reply's, or [`CANCELLED_CODE`] for a CANCEL.
    pub fn failed_code_of(cause: EndCause) -> Option<u16> {
        match cause {
            EndCause::Failed(code) => Some(code),
            EndCause::Cancelled => Some(CANCELLED_CODE),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::from_name("lagged"), None);
    }

    #[test]
    fn failures_report_a_code_and_other_ends_do_not() {
        assert_eq!(
            DialogEvent::failed_code_of(EndCause::Failed(486)),
            Some(486)
        );
        assert_eq!(DialogEvent::failed_code_of(EndCause::Cancelled), Some(487));
        assert_eq!(DialogEvent::failed_code_of(EndCause::ByeCaller), None);
    }
}
