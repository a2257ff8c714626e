//! What [`crate::serve`] needs besides its listener and backends ([`ApiOptions`]): the API
//! token and cluster secret the auth layer checks (`auth.rs`), the TLS certificate and key
//! ([`TlsFiles`]), the cluster's mutual TLS ([`NodeTls`], `tls.rs`), the node's extra public services that sit behind the token
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

/// The cluster's mutual TLS as the port serves it (`tls.rs`): the node certificate,
/// presented to clients that send `server_name` as SNI (the other members); the cluster CA,
/// against which client certificates are verified; and the node name. With it, node-to-node
/// calls need a verified client certificate (`node_identity.rs`).
#[derive(Clone)]
pub struct NodeTls {
    pub identity: TlsFiles,
    pub ca_pem: Vec<u8>,
    pub server_name: String,
}

impl std::fmt::Debug for NodeTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeTls")
            .field("identity", &self.identity)
            .field("ca_pem", &self.ca_pem.len())
            .field("server_name", &self.server_name)
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
    /// <token>` of a token whose role covers it (or the cluster secret): this one is the
    /// control token (the admin one too while `admin_token` is unset). Empty counts as none.
    pub token: Option<String>,
    /// The read-only token (stats, lists, views, events).
    pub read_token: Option<String>,
    /// The admin token (membership changes).
    pub admin_token: Option<String>,
    /// The cluster's shared secret (`x-dialogd-cluster-secret`): opens the API to other nodes
    /// and is the only key of `NodeForward`. Empty counts as none.
    pub cluster_secret: Option<String>,
    /// Serve TLS with this certificate and key (to every client but the members, which get
    /// the node certificate of `node_tls`).
    pub tls: Option<TlsFiles>,
    /// The cluster's mutual TLS: the port speaks TLS (with `tls` or alone), requests client
    /// certificates, and node-to-node calls need one.
    pub node_tls: Option<NodeTls>,
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
            .field("read_token", &self.read_token.as_ref().map(|_| "<set>"))
            .field("admin_token", &self.admin_token.as_ref().map(|_| "<set>"))
            .field(
                "cluster_secret",
                &self.cluster_secret.as_ref().map(|_| "<set>"),
            )
            .field("tls", &self.tls)
            .field("node_tls", &self.node_tls)
            .field("external", &self.external.as_ref().map(|e| &e.names))
            .field("internal", &self.internal.is_some())
            .field("serving", &self.serving.as_ref().map(|s| *s.borrow()))
            .finish()
    }
}
