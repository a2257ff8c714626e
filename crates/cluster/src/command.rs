//! The Raft commands and their results. Each is one log entry; the state
//! machine ([`crate::ClusterState`]) applies them deterministically on every node.
//!
//! | command | written when | effect |
//! |---|---|---|
//! | `Admit` | a new INVITE, before it is forwarded | every limit checked, record + memberships inserted, or nothing |
//! | `AdmitForced` | quorum back after `admit_local` admissions | inserted whatever the limits; overshoot reported |
//! | `Update` | confirmed, timeout / vars / flags changed | the record replaced (owner and profiles kept) |
//! | `AddProfile` / `RemoveProfile` | API on a live dialog | one membership, limit enforced |
//! | `Release` | the dialog ended (or failed) | record and memberships removed, counters bumped |
//! | `Reassign` | the leader saw a node gone longer than the grace | owners changed |

use std::fmt;

use dialogd_dialog::{DialogId, DialogRecord, EndCause, ProfileKey, ProfileMembership};

/// One replicated change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Command {
    Admit {
        did: DialogId,
        owner: u64,
        profiles: Vec<ProfileMembership>,
        record: Option<Box<DialogRecord>>,
    },
    /// An admission a node made on its own while it had no quorum (`on_no_quorum =
    /// "admit_local"`), committed afterwards: inserted whatever the limits say; the profiles
    /// it overshoots are reported.
    AdmitForced {
        did: DialogId,
        owner: u64,
        profiles: Vec<ProfileMembership>,
        record: Option<Box<DialogRecord>>,
    },
    Update {
        record: Box<DialogRecord>,
    },
    AddProfile {
        did: DialogId,
        membership: ProfileMembership,
    },
    RemoveProfile {
        did: DialogId,
        key: ProfileKey,
    },
    Release {
        did: DialogId,
        cause: EndCause,
    },
    /// Moves dialogs to new owners: `(dialog, from, to)`; a move whose dialog is no longer
    /// owned by `from` is skipped (the dialog ended or moved meanwhile).
    Reassign {
        moves: Vec<(DialogId, u64, u64)>,
    },
    /// Several commands applied in order as one entry (batched releases).
    Batch(Vec<Command>),
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Admit { did, profiles, .. } => {
                write!(f, "admit {did} ({} profiles)", profiles.len())
            }
            Command::AdmitForced { did, profiles, .. } => {
                write!(f, "admit-forced {did} ({} profiles)", profiles.len())
            }
            Command::Update { record } => write!(f, "update {} ({})", record.did, record.state),
            Command::AddProfile { did, membership } => {
                write!(f, "add-profile {did} {}", membership.key)
            }
            Command::RemoveProfile { did, key } => write!(f, "remove-profile {did} {key}"),
            Command::Release { did, cause } => write!(f, "release {did} ({})", cause.as_str()),
            Command::Reassign { moves } => write!(f, "reassign {} dialogs", moves.len()),
            Command::Batch(cmds) => write!(f, "batch of {}", cmds.len()),
        }
    }
}

/// What applying a command answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CommandResult {
    #[default]
    Ok,
    /// A profile is full; nothing changed.
    LimitReached { key: ProfileKey, limit: u32 },
    /// `Admit` of a dialog already admitted.
    Duplicate,
    /// The dialog is not (or no longer) in the cluster.
    Unknown,
    /// `Reassign`: how many dialogs moved.
    Moved(usize),
    /// `AdmitForced`: admitted, over the limit of these profiles.
    Overshoot(Vec<ProfileKey>),
    /// `Batch`: one result per command.
    Batch(Vec<CommandResult>),
}
