//! Dialog triggers (the OpenSIPS 3.1 `on_answer`, `on_timeout`, `on_hangup` routes), as the
//! proxy hands them to whoever serves them: [`TriggerSink`]. The node implements it over the
//! controllers connected to the cluster (API `Triggers` service); without a sink, or without a
//! controller for the name, `on_timeout` expires the dialog as a plain timeout would.

use std::time::Duration;

use crate::admission::BoxFuture;
use crate::snapshot::DialogSnapshot;

/// Which trigger fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TriggerKind {
    /// The dialog was answered (first 2xx). A notification.
    OnAnswer,
    /// The dialog timeout fired; the answer decides whether it ends.
    OnTimeout,
    /// The dialog ended (its snapshot says why). A notification.
    OnHangup,
}

impl TriggerKind {
    /// Lower-case name (`on_answer`, `on_timeout`, `on_hangup`).
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerKind::OnAnswer => "on_answer",
            TriggerKind::OnTimeout => "on_timeout",
            TriggerKind::OnHangup => "on_hangup",
        }
    }
}

/// The answer to `on_timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutDecision {
    /// Keep the dialog: its timeout becomes this long from now.
    Extend(Duration),
    /// End it now, as the timeout would have.
    Expire,
}

/// Where the proxy sends a dialog's triggers. Called only for dialogs with trigger names
/// (`DialogSnapshot::triggers`, never empty here).
pub trait TriggerSink: Send + Sync + 'static {
    /// `on_answer` / `on_hangup`: delivered in the background; never blocks the dialog.
    fn notify(&self, kind: TriggerKind, dialog: DialogSnapshot);

    /// `on_timeout`: resolves to the controllers' decision, or `Expire` when nobody serves the
    /// dialog's names or no answer came before the deadline. Must resolve in bounded time.
    fn on_timeout(&self, dialog: DialogSnapshot) -> BoxFuture<'static, TimeoutDecision>;
}
