//! The tonic implementation of `dialogd.v1.Cluster` over an `Arc<dyn ClusterBackend>`: each RPC
//! validates its arguments (`validate.rs`), asks the backend, sorts the members by node
//! id and converts the view (`convert.rs`). Errors become `Status` only through
//! `status.rs`. Must not hold cluster logic: how membership changes is the backend's business.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::cluster::backend::{ClusterBackend, ClusterView};
use crate::cluster::validate;
use crate::pb;
use crate::pb::cluster_server::{Cluster, ClusterServer};

/// The `Cluster` service.
#[derive(Clone)]
pub struct ClusterService {
    backend: Arc<dyn ClusterBackend>,
}

impl ClusterService {
    /// A service answering from `backend`.
    pub fn new(backend: Arc<dyn ClusterBackend>) -> ClusterService {
        ClusterService { backend }
    }

    /// The service wrapped for `tonic::transport::Server::add_service`.
    pub fn into_server(self) -> ClusterServer<ClusterService> {
        ClusterServer::new(self)
    }
}

impl std::fmt::Debug for ClusterService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterService").finish_non_exhaustive()
    }
}

/// The reply for a view: members in ascending node id order, whatever the backend did.
fn reply(mut view: ClusterView) -> Response<pb::ClusterView> {
    view.members.sort_by_key(|m| m.node_id);
    Response::new(pb::ClusterView::from(&view))
}

#[tonic::async_trait]
impl Cluster for ClusterService {
    async fn members(
        &self,
        _request: Request<pb::MembersRequest>,
    ) -> Result<Response<pb::ClusterView>, Status> {
        Ok(reply(self.backend.members().await?))
    }

    async fn leader(
        &self,
        _request: Request<pb::LeaderRequest>,
    ) -> Result<Response<pb::ClusterView>, Status> {
        Ok(reply(self.backend.members().await?))
    }

    async fn add_node(
        &self,
        request: Request<pb::AddNodeRequest>,
    ) -> Result<Response<pb::ClusterView>, Status> {
        let req = request.into_inner();
        let node_id = validate::node_id("node_id", req.node_id)?;
        let addr = validate::node_addr("addr", &req.addr)?;
        tracing::info!(
            node_id,
            addr = %addr,
            learner_only = req.learner_only,
            "cluster api: add node"
        );
        let view = self
            .backend
            .add_node(node_id, addr, req.learner_only)
            .await?;
        Ok(reply(view))
    }

    async fn remove_node(
        &self,
        request: Request<pb::RemoveNodeRequest>,
    ) -> Result<Response<pb::ClusterView>, Status> {
        let node_id = validate::node_id("node_id", request.get_ref().node_id)?;
        tracing::info!(node_id, "cluster api: remove node");
        Ok(reply(self.backend.remove_node(node_id).await?))
    }
}
