//! Calls to other nodes: [`Peers`] keeps one lazily connected tonic channel per peer URL and
//! sends the payloads of `proto/dialogd/cluster/v1` ([`crate::codec`]); [`Network`] is openraft's network
//! on top of it. How a channel is made is a [`Connector`], so the deterministic simulation
//! can route the same code over turmoil's network.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::auth::AddSecret;
use super::pb;
use super::pb::cluster_internal_client::ClusterInternalClient;
use super::tls::{ClusterTls, peer_endpoint};
use crate::raft_types::{Node, NodeId, TypeConfig};

/// Makes a channel to a peer's gRPC URL.
pub type Connector = Arc<dyn Fn(&str) -> Result<Channel, String> + Send + Sync>;

/// A channel that connects on first use (1 s connect timeout), over real TCP; with `tls`,
/// mutual TLS to every member whatever its URL's scheme ([`super::tls::peer_endpoint`]).
pub fn tcp_connector(tls: Option<ClusterTls>) -> Connector {
    Arc::new(move |addr: &str| {
        let ep = peer_endpoint(addr, tls.as_ref())?
            .connect_timeout(Duration::from_secs(1))
            .tcp_nodelay(true)
            // A peer that went silent (frozen, cut off) is noticed and reconnected.
            .http2_keep_alive_interval(Duration::from_secs(5))
            .keep_alive_timeout(Duration::from_secs(5))
            .keep_alive_while_idle(true);
        Ok(ep.connect_lazy())
    })
}

/// Raft RPCs get at least this long: openraft's own TTL follows the heartbeat (100 ms), too
/// short for a catch-up batch on a loaded machine.
const MIN_RPC_TIMEOUT: Duration = Duration::from_millis(500);

type Client = ClusterInternalClient<InterceptedService<Channel, AddSecret>>;

/// The node-to-node rpcs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rpc {
    AppendEntries,
    Vote,
    InstallSnapshot,
    Write,
    Read,
    Join,
    Heartbeat,
}

/// Why a call to a peer failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Not connected, refused, timed out: try later.
    #[error("peer {0} unreachable: {1}")]
    Unreachable(String, String),
    /// The peer answered with an error status.
    #[error("peer {0} answered {1}")]
    Status(String, tonic::Status),
    /// The payload could not be encoded or decoded.
    #[error("bad payload from/to {0}: {1}")]
    Payload(String, String),
}

/// Clients for every peer, by URL.
#[derive(Clone)]
pub struct Peers {
    connector: Connector,
    secret: AddSecret,
    clients: Arc<Mutex<HashMap<String, Client>>>,
}

impl Peers {
    /// Peers reached through `connector`, sending `secret` on every call.
    pub fn new(connector: Connector, secret: &str) -> Peers {
        let secret = tonic::metadata::MetadataValue::try_from(secret).ok();
        Peers {
            connector,
            secret: AddSecret(secret),
            clients: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn client(&self, addr: &str) -> Result<Client, CallError> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = clients.get(addr) {
            return Ok(c.clone());
        }
        let channel =
            (self.connector)(addr).map_err(|e| CallError::Unreachable(addr.to_owned(), e))?;
        let c = ClusterInternalClient::with_interceptor(channel, self.secret.clone())
            .max_decoding_message_size(256 << 20)
            .max_encoding_message_size(256 << 20);
        clients.insert(addr.to_owned(), c.clone());
        Ok(c)
    }

    /// Sends `req` to `addr` and decodes the answer, within `timeout`.
    pub async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        addr: &str,
        rpc: Rpc,
        req: &Req,
        timeout: Duration,
    ) -> Result<Resp, CallError> {
        let json = crate::codec::encode(req)
            .map_err(|e| CallError::Payload(addr.to_owned(), e.to_string()))?;
        let mut client = self.client(addr)?;
        let mut request = tonic::Request::new(pb::Payload { json });
        request.set_timeout(timeout);
        let fut = async {
            match rpc {
                Rpc::AppendEntries => client.append_entries(request).await,
                Rpc::Vote => client.vote(request).await,
                Rpc::InstallSnapshot => client.install_snapshot(request).await,
                Rpc::Write => client.write(request).await,
                Rpc::Read => client.read(request).await,
                Rpc::Join => client.join(request).await,
                Rpc::Heartbeat => client.heartbeat(request).await,
            }
        };
        let reply = match tokio::time::timeout(timeout, fut).await {
            Err(_) => {
                return Err(CallError::Unreachable(
                    addr.to_owned(),
                    format!("no answer within {timeout:?}"),
                ));
            }
            Ok(Err(status)) => {
                return Err(match status.code() {
                    tonic::Code::Unavailable
                    | tonic::Code::DeadlineExceeded
                    | tonic::Code::Cancelled => {
                        CallError::Unreachable(addr.to_owned(), status.message().to_owned())
                    }
                    _ => CallError::Status(addr.to_owned(), status),
                });
            }
            Ok(Ok(r)) => r.into_inner(),
        };
        crate::codec::decode(&reply.json)
            .map_err(|e| CallError::Payload(addr.to_owned(), e.to_string()))
    }
}

/// openraft's network: one [`PeerNetwork`] per target.
#[derive(Clone)]
pub struct Network {
    pub peers: Peers,
}

/// The connection to one target.
pub struct PeerNetwork {
    target: NodeId,
    addr: String,
    peers: Peers,
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = PeerNetwork;

    async fn new_client(&mut self, target: NodeId, node: &Node) -> PeerNetwork {
        PeerNetwork {
            target,
            addr: node.addr.clone(),
            peers: self.peers.clone(),
        }
    }
}

impl PeerNetwork {
    async fn send<Req, Resp, E>(
        &self,
        rpc: Rpc,
        req: &Req,
        option: &RPCOption,
    ) -> Result<Resp, RPCError<NodeId, Node, RaftError<NodeId, E>>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let answer: Result<Resp, RaftError<NodeId, E>> = self
            .peers
            .call(&self.addr, rpc, req, option.hard_ttl().max(MIN_RPC_TIMEOUT))
            .await
            .map_err(|e| match e {
                CallError::Unreachable(..) => RPCError::Unreachable(Unreachable::new(&e)),
                other => RPCError::Network(NetworkError::new(&other)),
            })?;
        answer.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl RaftNetwork<TypeConfig> for PeerNetwork {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, Node, RaftError<NodeId>>> {
        self.send(Rpc::AppendEntries, &rpc, &option).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<NodeId>,
        RPCError<NodeId, Node, RaftError<NodeId, InstallSnapshotError>>,
    > {
        self.send(Rpc::InstallSnapshot, &rpc, &option).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, Node, RaftError<NodeId>>> {
        self.send(Rpc::Vote, &rpc, &option).await
    }
}
