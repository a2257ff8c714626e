//! [`Error`]: what a command on a dialog can refuse (the crate's one error enum). Requests
//! from the network are never errors here: a bad in-dialog request is a
//! [`crate::RequestVerdict::Reject`] the proxy answers with, a bad response is ignored.

use crate::id::DialogId;
use crate::state::DialogState;

/// A refused dialog command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Dialog flags are numbered 0 to 31.
    #[error("flag index {0} is out of range (0 to 31)")]
    FlagOutOfRange(u32),
    /// A dialog variable needs a name.
    #[error("dialog variable name is empty")]
    EmptyVarName,
    /// A keep-alive interval below [`crate::keepalive::MIN_KEEPALIVE_INTERVAL`].
    #[error("keep-alive interval {0:?} is below the minimum of 1 s")]
    KeepaliveInterval(std::time::Duration),
    /// The command needs an answered dialog (state 3 or 4).
    #[error("dialog {did} is {state}, not confirmed")]
    NotConfirmed { did: DialogId, state: DialogState },
}
