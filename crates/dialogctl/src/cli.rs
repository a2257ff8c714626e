//! The command line of `dialogctl` (clap derive): global options and one subcommand per RPC,
//! grouped like the API's services (`dialogs`, `profile`, `cluster`, `events`, `call`). Parses only: running a command is
//! `commands.rs`, printing it `output.rs`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use dialogd_api::EndSide;
use dialogd_dialog::{DialogState, EventKind};

/// Where dialogd's gRPC API listens by default.
pub const DEFAULT_ADDR: &str = "http://127.0.0.1:50051";

/// Operator CLI for dialogd's gRPC API.
#[derive(Debug, Parser)]
#[command(name = "dialogctl", version, about)]
pub struct Cli {
    /// gRPC address of a dialogd node.
    #[arg(long, global = true, env = "DIALOGCTL_ADDR", default_value = DEFAULT_ADDR)]
    pub addr: String,
    /// Print JSON for scripts instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Bound on connecting and on each call: `10s`, `500ms`, `2m` or plain seconds.
    #[arg(long, global = true, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// API token, sent as `authorization: Bearer <token>`.
    #[arg(long, global = true, env = "DIALOGCTL_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// PEM file of the CA that signed the node's certificate: talk TLS (an `https://` address;
    /// without a scheme, `https://` is assumed).
    #[arg(long, global = true, env = "DIALOGCTL_TLS_CA", value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Node counters: active, early, processed, expired, failed.
    Stats,
    /// The node's gRPC health check (open without the token): prints SERVING and exits 0, or
    /// exits non-zero. For container and orchestrator probes.
    Health(HealthArgs),
    /// List, show and end dialogs.
    #[command(subcommand)]
    Dialogs(DialogsCommand),
    /// Profile sizes, members and values.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Act inside a call: end it towards one side, REFER or transfer a leg, keep-alive,
    /// hold and resume, click-to-dial (bridge).
    #[command(subcommand)]
    Call(crate::call::CallCommand),
    /// Cluster members, leader and membership changes.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Follow the node's dialog events (created, early, confirmed, failed, deleted, ...).
    Events(EventsArgs),
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// A service to ask about (`dialogd.v1.Dialogs`); default: the node as a whole.
    #[arg(long, default_value = "")]
    pub service: String,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only events of this kind (repeatable): created, early, confirmed, failed, deleted,
    /// timeout_changed, vars_changed, transfer, hold.
    #[arg(long = "kind", value_name = "KIND", value_parser = parse_event_kind)]
    pub kinds: Vec<EventKind>,
    /// Only events of dialogs with this Call-ID.
    #[arg(long)]
    pub call_id: Option<String>,
    /// Only events of dialogs in this profile.
    #[arg(long)]
    pub profile: Option<String>,
    /// ...with this profile value.
    #[arg(long, requires = "profile")]
    pub value: Option<String>,
    /// Only events of this dialog (hex id).
    #[arg(long = "dialog", value_name = "ID")]
    pub dialog: Option<String>,
    /// Exit after this many events (a `lagged` notice counts as one).
    #[arg(long)]
    pub count: Option<u64>,
}

/// Parses an event kind name (`timeout_changed`).
pub fn parse_event_kind(text: &str) -> Result<EventKind, String> {
    EventKind::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("{text:?} is not an event kind ({})", names.join(", "))
    })
}

#[derive(Debug, Subcommand)]
pub enum DialogsCommand {
    /// List dialogs (every filter given must match), in id order.
    List(ListArgs),
    /// Show one dialog, by id or by Call-ID and From tag.
    Show(ShowArgs),
    /// End a dialog: BYE to both legs, or to one.
    End(EndArgs),
    /// Set a dialog's timeout: it fires SECONDS from now.
    SetTimeout {
        /// The dialog id (hex).
        id: String,
        /// Seconds from now, at least 1.
        seconds: u32,
    },
    /// End every confirmed dialog with a Call-ID (BYE to both legs).
    Terminate {
        /// The Call-ID.
        #[arg(long)]
        call_id: String,
        /// Extra header for the BYEs, `Name: value` (repeatable).
        #[arg(long = "header", value_name = "NAME: VALUE")]
        headers: Vec<String>,
    },
    /// Set the timeout of every dialog in a profile (with --value: that value only).
    SetTimeoutByProfile {
        /// The profile name.
        name: String,
        /// Only the dialogs with this profile value.
        #[arg(long)]
        value: Option<String>,
        /// Seconds from now, at least 1.
        seconds: u32,
    },
    /// Set a dialog variable.
    SetVar {
        /// The dialog id (hex).
        id: String,
        /// Variable name: letters, digits, `_`, `.`, `-`.
        name: String,
        /// The value (at most 1024 bytes, one line).
        value: String,
    },
    /// Show a dialog's variables (with --name: that one only).
    Vars {
        /// The dialog id (hex).
        id: String,
        /// Only this variable (fails if it is not set).
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a dialog variable.
    UnsetVar {
        /// The dialog id (hex).
        id: String,
        /// The variable name.
        name: String,
    },
    /// Set one of the 32 dialog flags; prints all flags after the change.
    SetFlag {
        /// The dialog id (hex).
        id: String,
        /// The flag number, 0 to 31.
        flag: u32,
    },
    /// Clear one of the 32 dialog flags; prints all flags after the change.
    ResetFlag {
        /// The dialog id (hex).
        id: String,
        /// The flag number, 0 to 31.
        flag: u32,
    },
    /// Add a live dialog to a profile (with --limit: only if it holds fewer dialogs).
    SetProfile {
        /// The dialog id (hex).
        id: String,
        /// The profile name.
        name: String,
        /// The profile value.
        #[arg(long)]
        value: Option<String>,
        /// Refuse if the profile (value) already holds this many dialogs.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Remove a live dialog from a profile.
    UnsetProfile {
        /// The dialog id (hex).
        id: String,
        /// The profile name.
        name: String,
        /// The profile value.
        #[arg(long)]
        value: Option<String>,
    },
    /// Replace the trigger names of a dialog (none given: remove them all).
    SetTriggers {
        /// The dialog id (hex).
        id: String,
        /// Trigger names: letters, digits, `_`, `.`, `-`.
        names: Vec<String>,
    },
}

impl DialogsCommand {
    /// The dialog id the command names, if any (checked before connecting).
    pub fn dialog_id(&self) -> Option<&str> {
        match self {
            DialogsCommand::List(_) | DialogsCommand::Terminate { .. } => None,
            DialogsCommand::SetTimeoutByProfile { .. } => None,
            DialogsCommand::Show(args) => args.id.as_deref(),
            DialogsCommand::End(args) => Some(&args.id),
            DialogsCommand::SetTimeout { id, .. }
            | DialogsCommand::SetVar { id, .. }
            | DialogsCommand::Vars { id, .. }
            | DialogsCommand::UnsetVar { id, .. }
            | DialogsCommand::SetFlag { id, .. }
            | DialogsCommand::ResetFlag { id, .. }
            | DialogsCommand::SetProfile { id, .. }
            | DialogsCommand::UnsetProfile { id, .. }
            | DialogsCommand::SetTriggers { id, .. } => Some(id),
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only dialogs with this Call-ID.
    #[arg(long)]
    pub call_id: Option<String>,
    /// Only dialogs whose caller (From) tag is this.
    #[arg(long)]
    pub from_tag: Option<String>,
    /// Only dialogs in this state: unconfirmed, early, confirmed_na, confirmed, deleted, or 1-5.
    #[arg(long, value_parser = parse_state)]
    pub state: Option<DialogState>,
    /// Only dialogs in this profile.
    #[arg(long)]
    pub profile: Option<String>,
    /// ...with this profile value.
    #[arg(long, requires = "profile")]
    pub value: Option<String>,
    /// Only dialogs driven by this node.
    #[arg(long)]
    pub owner_node: Option<u64>,
    /// At most this many dialogs (default: all).
    #[arg(long)]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("key").required(true).args(["id", "call_id"]))]
pub struct ShowArgs {
    /// Dialog id (hex).
    pub id: Option<String>,
    /// Call-ID of the dialog (with --from-tag).
    #[arg(long, requires = "from_tag")]
    pub call_id: Option<String>,
    /// The caller's From tag (with --call-id).
    #[arg(long, requires = "call_id")]
    pub from_tag: Option<String>,
}

#[derive(Debug, Args)]
pub struct EndArgs {
    /// Dialog id (hex).
    pub id: String,
    /// Which leg(s) get the BYE.
    #[arg(long, value_enum, default_value_t = Side::Both)]
    pub side: Side,
    /// Extra header for the BYE, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
}

/// `--side` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Side {
    Both,
    Caller,
    Callee,
}

impl From<Side> for EndSide {
    fn from(side: Side) -> EndSide {
        match side {
            Side::Both => EndSide::Both,
            Side::Caller => EndSide::Caller,
            Side::Callee => EndSide::Callee,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Number of dialogs in a profile (with VALUE: that value only).
    Size {
        name: String,
        value: Option<String>,
        /// Accept a possibly stale local count (cluster mode).
        #[arg(long)]
        stale_ok: bool,
    },
    /// Ids of the dialogs in a profile (with VALUE: that value only).
    List { name: String, value: Option<String> },
    /// Every value of a profile with its count.
    Values { name: String },
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Every member: role, leader, reachability, last contact, replicated index.
    Members,
    /// The leader's id and address.
    Leader,
    /// Add a node (a voter once caught up, unless --learner).
    Add {
        /// The new node's id (1 to 65535).
        node_id: u64,
        /// The new node's gRPC address, http://host:port. (Not named `addr`: that id is the
        /// global `--addr` and clap would merge the two.)
        #[arg(value_name = "ADDR")]
        node_addr: String,
        /// Keep the node a learner: it replicates but does not vote.
        #[arg(long)]
        learner: bool,
    },
    /// Remove a node from the membership.
    Remove {
        /// The id of the node to remove.
        node_id: u64,
    },
}

/// Parses `10s`, `500ms`, `2m` or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration like 10s, 500ms, 2m or 5");
    let (number, unit_ms) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000)
    } else {
        (text, 1000)
    };
    let n: u64 = number.trim().parse().map_err(|_| bad())?;
    let ms = n
        .checked_mul(unit_ms)
        .filter(|ms| *ms > 0)
        .ok_or_else(bad)?;
    Ok(Duration::from_millis(ms))
}

/// Parses a state name (`confirmed`) or its OpenSIPS number (`4`).
pub fn parse_state(text: &str) -> Result<DialogState, String> {
    const STATES: [DialogState; 5] = [
        DialogState::Unconfirmed,
        DialogState::Early,
        DialogState::ConfirmedNoAck,
        DialogState::Confirmed,
        DialogState::Deleted,
    ];
    STATES
        .into_iter()
        .find(|s| s.as_str() == text || s.number().to_string() == text)
        .ok_or_else(|| {
            format!(
                "{text:?} is not a state (unconfirmed, early, confirmed_na, confirmed, deleted or 1-5)"
            )
        })
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
