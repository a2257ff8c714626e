//! What [`crate::serve`] needs besides its listener and backends ([`ApiOptions`]): the API
//! token and cluster secret the auth layer checks (`auth.rs`), the TLS certificate and key
//! ([`TlsFiles`]), the node's extra public services that sit behind the token
//! ([`ExternalServices`]: `Triggers`, `NodeForward`) and its internal node-to-node routes
//! (Raft), which check their own secret. Plain data: must not read files or config itself.

use tonic::service::Routes;

/// A PEM certificate chain and its private key, for serving TLS.
#[derive(Clone)]
pub struct TlsFiles {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFiles")
            .field("cert_pem", &self.cert_pem.len())
            .field("key_pem", &"<hidden>")
            .finish()
    }
}

/// Public services the caller adds to the API: each name (`dialogd.v1.Triggers`) is routed to
/// `routes` and reported SERVING by the health service; the auth layer guards them by path
/// like the API's own (`/dialogd.v1.*` needs the token, `NodeForward` the cluster secret).
#[derive(Debug, Clone)]
pub struct ExternalServices {
    pub routes: Routes,
    /// The full names of the services in `routes`; calls to other names do not reach them.
    pub names: Vec<String>,
}

/// Options of [`crate::serve`]; `Default` is a plain-text API open to every caller.
#[derive(Clone, Default)]
pub struct ApiOptions {
    /// With a token, every `dialogd.v1` call and reflection needs `authorization: Bearer
    /// <token>` (or the cluster secret). Empty counts as none.
    pub token: Option<String>,
    /// The cluster's shared secret (`x-dialogd-cluster-secret`): opens the API to other nodes
    /// and is the only key of `NodeForward`. Empty counts as none.
    pub cluster_secret: Option<String>,
    /// Serve TLS with this certificate and key.
    pub tls: Option<TlsFiles>,
    /// The node's public services beside the API.
    pub external: Option<ExternalServices>,
    /// The node's internal services (Raft), passed through untouched by the auth layer. They
    /// must not reuse a name of the API's services: two routes for one name panic.
    pub internal: Option<Routes>,
    /// Whether the node serves: while `false` the health service reports NOT_SERVING for the
    /// server as a whole (`""`) and every service it names. None: always SERVING.
    pub serving: Option<tokio::sync::watch::Receiver<bool>>,
}

impl std::fmt::Debug for ApiOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiOptions")
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field(
                "cluster_secret",
                &self.cluster_secret.as_ref().map(|_| "<set>"),
            )
            .field("tls", &self.tls)
            .field("external", &self.external.as_ref().map(|e| &e.names))
            .field("internal", &self.internal.is_some())
            .field("serving", &self.serving.as_ref().map(|s| *s.borrow()))
            .finish()
    }
}
