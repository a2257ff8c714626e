//! [`InternalService`]: the server side of `proto/dialogd/cluster/v1`, feeding Raft RPCs to
//! openraft and carrying out writes, reads and membership changes sent to the leader.

use std::sync::Arc;

use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::{Request, Response, Status};

use super::auth::CheckSecret;
use super::messages::{ForwardError, Heartbeat, MembershipChange, ReadRequest};
use super::pb::Payload;
use super::pb::cluster_internal_server::{ClusterInternal, ClusterInternalServer};
use crate::cluster_node::ClusterNode;
use crate::command::Command;
use crate::raft_types::{NodeId, TypeConfig};

/// The node-to-node service of one node.
pub struct InternalService {
    node: Arc<ClusterNode>,
}

/// The service wrapped with the cluster-secret check, ready to add to a tonic server.
pub fn service(
    node: Arc<ClusterNode>,
) -> tonic::service::interceptor::InterceptedService<
    ClusterInternalServer<InternalService>,
    CheckSecret,
> {
    let secret = node.settings().secret.clone();
    let server = ClusterInternalServer::new(InternalService { node })
        .max_decoding_message_size(256 << 20)
        .max_encoding_message_size(256 << 20);
    tonic::service::interceptor::InterceptedService::new(server, CheckSecret(secret))
}

fn decode<T: DeserializeOwned>(req: Request<Payload>) -> Result<T, Status> {
    crate::codec::decode(&req.into_inner().json)
        .map_err(|e| Status::invalid_argument(format!("payload does not decode: {e}")))
}

fn encode<T: Serialize>(v: &T) -> Result<Response<Payload>, Status> {
    crate::codec::encode(v)
        .map(|json| Response::new(Payload { json }))
        .map_err(|e| Status::internal(format!("reply does not encode: {e}")))
}

#[tonic::async_trait]
impl ClusterInternal for InternalService {
    async fn append_entries(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        let rpc: AppendEntriesRequest<TypeConfig> = decode(req)?;
        encode(&self.node.raft().append_entries(rpc).await)
    }

    async fn vote(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        let rpc: VoteRequest<NodeId> = decode(req)?;
        encode(&self.node.raft().vote(rpc).await)
    }

    async fn install_snapshot(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        let rpc: InstallSnapshotRequest<TypeConfig> = decode(req)?;
        encode(&self.node.raft().install_snapshot(rpc).await)
    }

    async fn write(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        let cmd: Command = decode(req)?;
        encode(&self.node.write_as_leader(cmd).await)
    }

    async fn read(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        let read: ReadRequest = decode(req)?;
        let r = if self.node.is_leader() {
            self.node.read_as_leader(&read).await
        } else {
            Err(ForwardError::NotLeader {
                leader: self.node.leader(),
            })
        };
        encode(&r)
    }

    async fn join(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        let change: MembershipChange = decode(req)?;
        let r = if self.node.is_leader() {
            self.node.change_as_leader(change).await
        } else {
            // Forward once to the leader this node knows.
            self.node
                .change_membership(change)
                .await
                .map_err(|e| ForwardError::Unavailable(e.to_string()))
        };
        encode(&r)
    }

    async fn heartbeat(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        let hb: Heartbeat = decode(req)?;
        let r: Result<(), ForwardError> = if self.node.is_leader() {
            self.node.heard_from(hb.node_id);
            Ok(())
        } else {
            Err(ForwardError::NotLeader {
                leader: self.node.leader(),
            })
        };
        encode(&r)
    }
}
