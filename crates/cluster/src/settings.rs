//! [`ClusterSettings`]: how a node takes part in the cluster (from the node's `[cluster]`
//! config section; defaults suit a cluster on one LAN).

use std::path::PathBuf;
use std::time::Duration;

use crate::network::ClusterTls;
use crate::store::Fsync;

/// What to do with a new INVITE when the cluster cannot commit its admission.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoQuorum {
    /// 503 with Retry-After, no dialog (the limit can never be exceeded).
    #[default]
    Reject,
    /// Admit on this node's own view and commit when quorum returns; the overshoot is
    /// counted in `dialogd_admission_overshoot_total`.
    AdmitLocal,
}

/// One node's cluster settings. `Debug` shows whether the secret is set, never its value.
#[derive(Clone)]
pub struct ClusterSettings {
    pub node_id: u64,
    /// The gRPC URL other nodes reach this one at (`http://10.0.0.1:50051`).
    pub advertise: String,
    /// Where the Raft log, vote, snapshots and the release queue live.
    pub data_dir: PathBuf,
    pub fsync: Fsync,
    /// Members to join through (any member's gRPC URL); empty: start (or restart) alone.
    pub join: Vec<String>,
    /// Shared by every node; sent on every node-to-node call.
    pub secret: String,
    /// Mutual TLS of node-to-node calls (`[cluster] tls_*`); `None`: clear text. The node's
    /// channels to members are made with it (`network::tcp_connector`, the API's forwarding).
    pub tls: Option<ClusterTls>,
    /// Raft heartbeat interval.
    pub heartbeat: Duration,
    /// Raft election timeout range.
    pub election_timeout: (Duration, Duration),
    /// How long a write (admission, release) may wait for a commit before it fails.
    pub write_timeout: Duration,
    /// A node silent for longer than this loses its dialogs to live nodes.
    pub takeover_grace: Duration,
    pub on_no_quorum: NoQuorum,
}

impl std::fmt::Debug for ClusterSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterSettings")
            .field("node_id", &self.node_id)
            .field("advertise", &self.advertise)
            .field("data_dir", &self.data_dir)
            .field("fsync", &self.fsync)
            .field("join", &self.join)
            .field("secret", &(!self.secret.is_empty()).then_some("<redacted>"))
            .field("tls", &self.tls)
            .field("heartbeat", &self.heartbeat)
            .field("election_timeout", &self.election_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("takeover_grace", &self.takeover_grace)
            .field("on_no_quorum", &self.on_no_quorum)
            .finish()
    }
}

impl ClusterSettings {
    /// Defaults for node `node_id` advertised at `advertise`, data in `data_dir`.
    pub fn new(node_id: u64, advertise: String, data_dir: PathBuf) -> ClusterSettings {
        ClusterSettings {
            node_id,
            advertise,
            data_dir,
            fsync: Fsync::default(),
            join: Vec::new(),
            secret: String::new(),
            tls: None,
            heartbeat: Duration::from_millis(100),
            election_timeout: (Duration::from_millis(400), Duration::from_millis(800)),
            write_timeout: Duration::from_secs(2),
            takeover_grace: Duration::from_secs(5),
            on_no_quorum: NoQuorum::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let mut s = ClusterSettings::new(1, "http://127.0.0.1:1".into(), PathBuf::from("/d"));
        s.secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0".into();
        let text = format!("{s:?}");
        assert!(!text.contains("0f1e2d3c"), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
    }
}
