//! [`ProxyContext`]: what every part of the running proxy shares — transports, the transaction
//! table, the dialog registry, the profile store, the policy, the event bus, the trigger sink
//! and the settings.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dialogd_dialog::{Admission, TriggerSink};
use dialogd_sip::ParseLimits;
use dialogd_sip::transaction::TimerConfig;

use crate::dns::{DnsConfig, Resolver};
use crate::events::EventBus;
use crate::flood::{FloodConfig, SharedFloodGuard};
use crate::limits::{Limits, Load};
use crate::message_path::did::DidCodec;
use crate::message_path::relay::RelayPolicy;
use crate::message_path::routing::LocalIdentity;
use crate::owner_link::OwnerLink;
use crate::policy::Policy;
use crate::registry::Registry;
use crate::transaction::finished::FinishedTransactions;
use crate::transaction::table::TransactionTable;
use crate::transport::{TransportConfig, Transports};

/// How in-dialog requests are matched to dialogs (Kamailio `dlg_match_mode`).
pub use dialogd_dialog::MatchMode;

/// Settings of the proxy, already validated by the node's config.
#[derive(Debug, Clone)]
pub struct ProxySettings {
    /// This node's id (top 16 bits of its dialog ids).
    pub node_id: u16,
    /// Address written in Via/Record-Route and recognised in Routes.
    pub local: LocalIdentity,
    /// RFC 3261 T1/T2/T4.
    pub timers: TimerConfig,
    /// Dialog timeout when no rule sets one.
    pub default_timeout: Duration,
    /// How in-dialog requests find their dialog.
    pub match_mode: MatchMode,
    /// Send BYE to both legs on timeout unless a rule says otherwise.
    pub bye_on_timeout: bool,
    /// Header lines added to the BYEs the proxy sends.
    pub bye_extra_headers: Vec<String>,
    /// Reply when a profile limit is reached.
    pub limit_reject: (u16, String),
    /// Max-Forwards of requests the proxy generates.
    pub max_forwards: u32,
    /// Bounds on live transactions, dialogs and pending admissions.
    pub limits: Limits,
    /// TCP and UDP tunables (timeouts, connection caps, write queues).
    pub transport: TransportConfig,
    /// Bounds of a received message: size, header count, header line length.
    pub parse: ParseLimits,
    /// Per-source flood control of received requests.
    pub flood: FloodConfig,
    /// The resolver of next-hop host names.
    pub dns: DnsConfig,
    /// Where initial requests and call-control targets may be relayed without a rule's
    /// `next_hop` ([`crate::message_path::relay`]).
    pub relay: RelayPolicy,
    /// How long a confirmed dialog with nothing under way waits for a message before it
    /// parks (its actor stops, its state stays in the registry); `None`: never
    /// ([`crate::registry`]).
    pub passivate_after: Option<Duration>,
}

/// Everything the proxy's tasks and actors share.
pub struct ProxyContext {
    pub settings: ProxySettings,
    pub transports: Transports,
    pub transactions: TransactionTable,
    /// Transactions past their final response, kept as data to absorb retransmissions
    /// ([`crate::transaction::finished`]).
    pub finished: FinishedTransactions,
    pub registry: Arc<Registry>,
    pub admission: Arc<dyn Admission>,
    pub policy: Policy,
    pub did: DidCodec,
    /// What is live now, against [`ProxySettings::limits`].
    pub load: Arc<Load>,
    /// Requests per source address ([`crate::flood`]); a blocked source's are dropped unread.
    pub flood: SharedFloodGuard,
    /// Host names of next hops ([`crate::dns`]).
    pub dns: Resolver,
    /// Dialog events for watchers ([`crate::events`]).
    pub events: EventBus,
    /// Where dialogs with trigger names send `on_answer`, `on_timeout` and `on_hangup`; set
    /// once by the node ([`crate::proxy::Proxy::set_trigger_sink`]). Unset: no notification,
    /// and `on_timeout` expires the dialog at once.
    pub trigger_sink: OnceLock<Arc<dyn TriggerSink>>,
    /// How this node asks other members' dialog actors about requests it received for their
    /// dialogs ([`crate::owner_link`]); set once by the node. Unset: owners are unreachable.
    pub owner_link: OnceLock<Arc<dyn OwnerLink>>,
    /// Held while a dialog is adopted, so the takeover watcher and a claim never start two
    /// actors for one dialog ([`crate::adoption`]).
    pub adoptions: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for ProxyContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyContext")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}
