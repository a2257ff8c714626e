//! [`Owners`]: where an API call about a dialog is carried out. A dialog's actor runs on one
//! node, its owner; every node knows every owner from the replicated state.
//! A call on another node is forwarded to the owner's gRPC port with the cluster secret and
//! the `forwarded` mark (over the cluster's mutual TLS when it is on), so the owner answers it locally and never forwards it again (no
//! loops while ownership moves). Channels to the members are opened lazily and kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dialogd_api::BackendError;
use dialogd_cluster::ClusterNode;
use dialogd_cluster::network::peer_endpoint;
use dialogd_dialog::DialogId;
use dialogd_proxy::proxy::Proxy;
use tonic::transport::Channel;

/// How long a forwarded call may take (connection included) before it is UNAVAILABLE.
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a dialog is driven.
pub enum Target {
    /// Here: ask the proxy.
    Local,
    /// On this member, through this client (cluster secret, forwarded mark).
    Remote(u64, Box<dialogd_api::Client>),
}

/// The members' channels and the owner lookup.
pub struct Owners {
    node_id: u64,
    cluster: Arc<ClusterNode>,
    /// The node-to-node secret, sent on forwarded calls.
    secret: String,
    channels: Mutex<HashMap<u64, (String, Channel)>>,
}

impl Owners {
    pub fn new(node_id: u64, cluster: Arc<ClusterNode>, secret: String) -> Owners {
        Owners {
            node_id,
            cluster,
            secret,
            channels: Mutex::new(HashMap::new()),
        }
    }

    pub fn node_id(&self) -> u64 {
        self.node_id
    }

    /// The node-to-node secret (forwarded calls carry it).
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The owner of `did` in this node's copy of the cluster state, if the dialog is known.
    pub fn owner_of(&self, did: DialogId) -> Option<u64> {
        let state = self.cluster.state();
        let s = state.read().unwrap_or_else(|e| e.into_inner());
        s.dialog(did).map(|e| e.owner)
    }

    /// Where to carry out a call about `did`: here if this node's proxy drives it (or the
    /// call was forwarded here already, or the state says this node owns it), else at its
    /// owner. NOT_FOUND if no node knows it.
    pub fn target(&self, proxy: &Proxy, did: DialogId) -> Result<Target, BackendError> {
        if proxy.context().registry.get(did).is_some() || dialogd_api::is_forwarded() {
            return Ok(Target::Local);
        }
        match self.owner_of(did) {
            None => Err(BackendError::NotFound(format!("dialog {did} not found"))),
            Some(owner) if owner == self.node_id => Ok(Target::Local),
            Some(owner) => Ok(Target::Remote(owner, Box::new(self.client(owner)?))),
        }
    }

    /// The other members' ids, rotated so that successive callers start at different ones.
    pub fn peers(&self, start: usize) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .cluster
            .view()
            .members
            .into_iter()
            .map(|m| m.node_id)
            .filter(|&n| n != self.node_id)
            .collect();
        if !ids.is_empty() {
            let k = start % ids.len();
            ids.rotate_left(k);
        }
        ids
    }

    /// A client to member `node` whose calls carry the cluster secret and the forwarded mark
    /// (the member answers them itself, never forwarding again).
    pub fn client(&self, node: u64) -> Result<dialogd_api::Client, BackendError> {
        let options = dialogd_api::ClientOptions {
            cluster_secret: Some(self.secret.clone()),
            forwarded: true,
            ..Default::default()
        };
        let interceptor = options
            .interceptor()
            .map_err(|e| BackendError::Internal(e.to_string()))?;
        Ok(dialogd_api::Client::with_interceptor(
            self.channel(node)?,
            interceptor,
        ))
    }

    /// A (lazily connecting) channel to member `node`, re-made if its address changed.
    pub fn channel(&self, node: u64) -> Result<Channel, BackendError> {
        let addr = self
            .cluster
            .view()
            .members
            .into_iter()
            .find(|m| m.node_id == node)
            .map(|m| m.addr)
            .ok_or_else(|| {
                BackendError::Unavailable(format!("node {node} is not a cluster member"))
            })?;
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((a, ch)) = channels.get(&node)
            && *a == addr
        {
            return Ok(ch.clone());
        }
        // The cluster's mutual TLS when it is on, as every node-to-node channel.
        let channel = peer_endpoint(&addr, self.cluster.settings().tls.as_ref())
            .map_err(|e| BackendError::Internal(format!("node {node}: {e}")))?
            .connect_timeout(FORWARD_TIMEOUT)
            .timeout(FORWARD_TIMEOUT)
            .connect_lazy();
        channels.insert(node, (addr, channel.clone()));
        Ok(channel)
    }
}

/// An error of a call forwarded to `node`, as this node's caller sees it.
pub fn remote_error(node: u64, e: dialogd_api::Error) -> BackendError {
    use tonic::Code;
    let msg = match &e {
        dialogd_api::Error::Status(s) => s.message().to_owned(),
        other => other.to_string(),
    };
    match e.code() {
        Code::NotFound => BackendError::NotFound(msg),
        Code::InvalidArgument => BackendError::InvalidArgument(msg),
        Code::FailedPrecondition => BackendError::FailedPrecondition(msg),
        Code::ResourceExhausted => BackendError::ResourceExhausted(msg),
        Code::Unavailable | Code::DeadlineExceeded | Code::Unknown => {
            BackendError::Unavailable(format!("owner node {node}: {msg}"))
        }
        _ => BackendError::Internal(format!("owner node {node}: {msg}")),
    }
}
