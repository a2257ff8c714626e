//! [`refusal`]: with the cluster's mutual TLS on, a call is a node's only over a connection
//! whose client presented a certificate the cluster CA signed. The API's auth layer
//! (`auth.rs`) asks it first, on each request's path, headers and connection:
//!
//! | request                                         | admitted when                          |
//! |-------------------------------------------------|----------------------------------------|
//! | `/dialogd.cluster.v1.*` (Raft, writes, joins)   | the client presented a node certificate |
//! | `/dialogd.v1.NodeForward/*`                     | the client presented a node certificate |
//! | any call carrying `x-dialogd-cluster-secret`    | the client presented a node certificate |
//! | anything else                                   | always (`auth.rs` decides)             |
//!
//! The certificate was verified in the handshake (`tls.rs` accepts no certificate the
//! cluster CA did not sign), so here it is enough that there is one; tonic puts the peer's
//! certificates in the request's extensions (`TlsConnectInfo`). The cluster secret stays a
//! second factor: the services and `auth.rs` still check it. Refusals are UNAUTHENTICATED
//! saying a node certificate is needed. Without cluster TLS nothing is asked here.

use tonic::Status;
use tonic::codegen::http::Request;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

use crate::server::auth::CLUSTER_SECRET_HEADER;

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

/// The refusal of a node-to-node request over a connection without a node certificate, if
/// this is one. Asked by `auth.rs`'s layer, before the policy, when the cluster's mutual TLS
/// is on.
pub(crate) fn refusal<B>(request: &Request<B>) -> Option<Status> {
    (is_node_call(request) && !has_node_certificate(request)).then(|| {
        Status::unauthenticated(
            "node-to-node call without a node certificate: present a certificate signed by \
             the cluster CA (cluster.tls_ca)",
        )
    })
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
