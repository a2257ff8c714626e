//! [`NodeIdentityLayer`]: with the cluster's mutual TLS on, a call is a node's only over a
//! connection whose client presented a certificate the cluster CA signed. A tower layer in
//! front of every route, deciding on each request's path, headers and connection:
//!
//! | request                                         | admitted when                          |
//! |-------------------------------------------------|----------------------------------------|
//! | `/dialogd.cluster.v1.*` (Raft, writes, joins)   | the client presented a node certificate |
//! | `/dialogd.v1.NodeForward/*`                     | the client presented a node certificate |
//! | any call carrying `x-dialogd-cluster-secret`    | the client presented a node certificate |
//! | anything else                                   | always (`auth.rs` decides)             |
//!
//! The certificate was verified in the handshake (`server_tls.rs` accepts no certificate the
//! cluster CA did not sign), so here it is enough that there is one; tonic puts the peer's
//! certificates in the request's extensions (`TlsConnectInfo`). The cluster secret stays a
//! second factor: the services and `auth.rs` still check it. Refusals are UNAUTHENTICATED
//! saying a node certificate is needed. Without cluster TLS the layer admits everything.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::Status;
use tonic::codegen::Service;
use tonic::codegen::http::{Request, Response};
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

use crate::auth::CLUSTER_SECRET_HEADER;

/// Path prefixes of the node-to-node services.
const NODE_PATHS: [&str; 2] = ["/dialogd.cluster.v1.", "/dialogd.v1.NodeForward/"];

/// Whether a request must come from a node: by its path, or because it carries the secret.
fn is_node_call<B>(request: &Request<B>) -> bool {
    let path = request.uri().path();
    NODE_PATHS.iter().any(|p| path.starts_with(p))
        || request.headers().contains_key(CLUSTER_SECRET_HEADER)
}

/// Whether the connection's client presented a (verified) certificate.
fn has_node_certificate<B>(request: &Request<B>) -> bool {
    request
        .extensions()
        .get::<TlsConnectInfo<TcpConnectInfo>>()
        .and_then(TlsConnectInfo::peer_certs)
        .is_some_and(|certs| !certs.is_empty())
}

/// The tower layer; `required`: the cluster's mutual TLS is on.
#[derive(Debug, Clone)]
pub struct NodeIdentityLayer {
    required: bool,
}

impl NodeIdentityLayer {
    pub fn new(required: bool) -> NodeIdentityLayer {
        NodeIdentityLayer { required }
    }
}

impl<S> tower_layer::Layer<S> for NodeIdentityLayer {
    type Service = NodeIdentityService<S>;

    fn layer(&self, inner: S) -> NodeIdentityService<S> {
        NodeIdentityService {
            inner,
            required: self.required,
        }
    }
}

/// The service [`NodeIdentityLayer`] wraps around the routes.
#[derive(Debug, Clone)]
pub struct NodeIdentityService<S> {
    inner: S,
    required: bool,
}

type BoxedResponse<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send + 'static>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for NodeIdentityService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxedResponse<Response<ResBody>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if !self.required || !is_node_call(&request) || has_node_certificate(&request) {
            return Box::pin(self.inner.call(request));
        }
        let status = Status::unauthenticated(
            "node-to-node call without a node certificate: present a certificate signed by \
             the cluster CA (cluster.tls_ca)",
        );
        tracing::debug!(
            path = request.uri().path(),
            "grpc: node-to-node call refused, no node certificate"
        );
        Box::pin(std::future::ready(Ok(status.into_http())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, secret: bool) -> Request<()> {
        let mut r = Request::builder().uri(path);
        if secret {
            r = r.header(CLUSTER_SECRET_HEADER, "s");
        }
        r.body(()).unwrap()
    }

    #[test]
    fn node_calls_are_told_by_path_or_secret() {
        let table = [
            (
                "/dialogd.cluster.v1.ClusterInternal/AppendEntries",
                false,
                true,
            ),
            ("/dialogd.v1.NodeForward/OfferTrigger", false, true),
            ("/dialogd.v1.Dialogs/ListDialogs", true, true),
            ("/dialogd.v1.Dialogs/ListDialogs", false, false),
            ("/grpc.health.v1.Health/Check", false, false),
            ("/dialogd.v1.NodeForwardX/Y", false, false),
        ];
        for (path, secret, node) in table {
            assert_eq!(
                is_node_call(&request(path, secret)),
                node,
                "{path} {secret}"
            );
        }
    }

    #[test]
    fn a_request_without_tls_info_has_no_node_certificate() {
        assert!(!has_node_certificate(&request(
            "/dialogd.cluster.v1.ClusterInternal/Vote",
            true
        )));
    }
}
