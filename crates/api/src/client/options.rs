//! How a [`crate::Client`] reaches a server: the address, TLS (an `https://` address, with the
//! CA that signed the server's certificate, optionally the name to verify it for and a client
//! certificate to present), a timeout, and the credentials every call carries
//! ([`ClientOptions`]): the API token as `authorization: Bearer <token>`, or, between nodes,
//! the cluster secret as `x-dialogd-cluster-secret` and the forwarded marker
//! `x-dialogd-forwarded: 1`. The headers are added by an interceptor ([`AuthInterceptor`]) on
//! the channel, so every generated client shares them. Must not hold anything else.

use std::time::Duration;

use tonic::metadata::{AsciiMetadataValue, MetadataMap};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::error::{Error, Result};
use crate::server::auth::{CLUSTER_SECRET_HEADER, FORWARDED_HEADER};
use crate::server::options::TlsFiles;

/// A channel whose calls carry the [`ClientOptions`] credentials.
pub type AuthChannel = InterceptedService<Channel, AuthInterceptor>;

/// Connection options of a [`crate::Client`]. `Default` is a plain, unauthenticated client.
#[derive(Clone, Default)]
pub struct ClientOptions {
    /// The API token, sent as `authorization: Bearer <token>`.
    pub token: Option<String>,
    /// The cluster's shared secret, sent as `x-dialogd-cluster-secret` (node-to-node calls).
    pub cluster_secret: Option<String>,
    /// Mark calls as forwarded by another node (`x-dialogd-forwarded: 1`); the server only
    /// believes it with a valid cluster secret.
    pub forwarded: bool,
    /// PEM of the CA to trust for an `https://` address (implies `https://` when the address
    /// has no scheme). No system roots are built in: `https://` needs it.
    pub tls_ca_pem: Option<Vec<u8>>,
    /// The name the server's certificate must carry (and the SNI sent); default: the host of
    /// the address. A node certificate's name is `dialogd-node` (`cluster.tls_server_name`).
    pub tls_server_name: Option<String>,
    /// A client certificate and key to present over TLS (a node's, for node-to-node calls).
    pub tls_identity: Option<TlsFiles>,
    /// Bounds the connection set-up and every call.
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print credentials.
        f.debug_struct("ClientOptions")
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field(
                "cluster_secret",
                &self.cluster_secret.as_ref().map(|_| "<set>"),
            )
            .field("forwarded", &self.forwarded)
            .field("tls_ca_pem", &self.tls_ca_pem.as_ref().map(Vec::len))
            .field("tls_server_name", &self.tls_server_name)
            .field("tls_identity", &self.tls_identity)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ClientOptions {
    /// Connects a channel to `addr` (`http://` is added when no scheme is given, `https://`
    /// when a CA is), with TLS for `https://`.
    pub async fn connect_channel(&self, addr: &str) -> Result<Channel> {
        let uri = if addr.contains("://") {
            addr.to_owned()
        } else if self.tls_ca_pem.is_some() {
            format!("https://{addr}")
        } else {
            format!("http://{addr}")
        };
        let bad = |reason: String| Error::BadAddress {
            addr: addr.to_owned(),
            reason,
        };
        let mut endpoint = Endpoint::from_shared(uri.clone()).map_err(|e| bad(e.to_string()))?;
        if uri.starts_with("https://") {
            let mut tls = ClientTlsConfig::new();
            if let Some(pem) = &self.tls_ca_pem {
                tls = tls.ca_certificate(Certificate::from_pem(pem));
            }
            if let Some(name) = &self.tls_server_name {
                tls = tls.domain_name(name.clone());
            }
            if let Some(id) = &self.tls_identity {
                tls = tls.identity(Identity::from_pem(&id.cert_pem, &id.key_pem));
            }
            endpoint = endpoint
                .tls_config(tls)
                .map_err(|e| bad(format!("tls: {e}")))?;
        }
        if let Some(t) = self.timeout {
            endpoint = endpoint.connect_timeout(t).timeout(t);
        }
        endpoint
            .connect()
            .await
            .map_err(|source| Error::Connect { addr: uri, source })
    }

    /// The interceptor adding these options' headers to every call.
    pub fn interceptor(&self) -> Result<AuthInterceptor> {
        let header = |what: &'static str, text: String| {
            AsciiMetadataValue::try_from(text).map_err(|_| Error::BadCredential(what))
        };
        Ok(AuthInterceptor {
            authorization: self
                .token
                .as_ref()
                .map(|t| header("token", format!("Bearer {t}")))
                .transpose()?,
            cluster_secret: self
                .cluster_secret
                .as_ref()
                .map(|s| header("cluster secret", s.clone()))
                .transpose()?,
            forwarded: self.forwarded,
        })
    }
}

/// Adds the [`ClientOptions`] headers to each request.
#[derive(Clone, Default)]
pub struct AuthInterceptor {
    authorization: Option<AsciiMetadataValue>,
    cluster_secret: Option<AsciiMetadataValue>,
    forwarded: bool,
}

impl std::fmt::Debug for AuthInterceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthInterceptor")
            .field("token", &self.authorization.is_some())
            .field("cluster_secret", &self.cluster_secret.is_some())
            .field("forwarded", &self.forwarded)
            .finish()
    }
}

impl AuthInterceptor {
    /// Adds the headers to `metadata`.
    pub fn apply(&self, metadata: &mut MetadataMap) {
        if let Some(v) = &self.authorization {
            metadata.insert("authorization", v.clone());
        }
        if let Some(v) = &self.cluster_secret {
            metadata.insert(CLUSTER_SECRET_HEADER, v.clone());
        }
        if self.forwarded {
            metadata.insert(FORWARDED_HEADER, AsciiMetadataValue::from_static("1"));
        }
    }
}

impl Interceptor for AuthInterceptor {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        self.apply(request.metadata_mut());
        Ok(request)
    }
}
