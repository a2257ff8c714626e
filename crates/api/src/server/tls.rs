//! TLS of the gRPC port ([`server_config`], [`tls_incoming`]): one rustls configuration for
//! every client of the port — operators and applications of the API, and the other members
//! of the cluster (Raft, forwarded calls), which share it.
//!
//! - **Which certificate.** A client sending the cluster's node name as SNI
//!   ([`NodeTls::server_name`], `dialogd-node` by default: what members send) gets the node
//!   certificate (`[cluster] tls_cert`); every other client (no SNI, as when dialling an IP
//!   address, or the API's DNS name) gets the API certificate (`[api] tls_cert`), or the node
//!   certificate when the API has none. The API certificate may so come from any CA while
//!   members verify each other against the cluster CA only.
//! - **Client certificates.** With node TLS they are requested and verified against the
//!   cluster CA (`WebPkiClientVerifier` with `allow_unauthenticated`): API clients without a
//!   certificate connect as before; a client presenting a certificate the CA did not sign (or
//!   an expired one) fails the handshake. Which calls need a verified certificate is decided
//!   per request by `node_identity.rs`, from the certificates tonic puts in the request's
//!   extensions (`TlsConnectInfo`).
//! - **Handshakes never hold up the accept loop.** Each runs in its own task, within
//!   [`HANDSHAKE_TIMEOUT`], at most [`MAX_HANDSHAKES`] at once: past that bound a new
//!   connection is closed at once, so a peer that opens connections and never finishes a
//!   handshake costs its own connections only.
//!
//! Must not decide who may call what (`auth.rs`, `node_identity.rs`) or read files.

use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, ServerConfig, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;

use crate::error::Error;
use crate::server::options::{NodeTls, TlsFiles};

/// A client must finish its TLS handshake within this after its connection is accepted.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// At most this many handshakes run at once; past it new connections are closed.
pub const MAX_HANDSHAKES: usize = 1024;

/// The crypto of the port: rustls with ring, as tonic's `tls-ring`.
fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// `what`'s certificate chain and key as rustls presents them, checked to belong together.
fn certified_key(what: &str, files: &TlsFiles) -> Result<Arc<CertifiedKey>, Error> {
    let bad = |reason: String| Error::Tls(format!("{what}: {reason}"));
    let chain = CertificateDer::pem_slice_iter(&files.cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("certificate is not PEM: {e}")))?;
    if chain.is_empty() {
        return Err(bad("no PEM certificate".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(&files.key_pem)
        .map_err(|e| bad(format!("no usable PEM private key: {e}")))?;
    let signing = crypto_provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| bad(format!("key type not supported: {e}")))?;
    let certified = CertifiedKey::new(chain, signing);
    certified
        .keys_match()
        .map_err(|e| bad(format!("the certificate is not the key's: {e}")))?;
    Ok(Arc::new(certified))
}

/// The certificate a client gets, by the server name it sends ([module docs](self)).
#[derive(Debug)]
struct ByServerName {
    node_name: String,
    node: Option<Arc<CertifiedKey>>,
    default: Arc<CertifiedKey>,
}

impl ResolvesServerCert for ByServerName {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        match (&self.node, hello.server_name()) {
            (Some(node), Some(name)) if name.eq_ignore_ascii_case(&self.node_name) => {
                Some(node.clone())
            }
            _ => Some(self.default.clone()),
        }
    }
}

/// The port's TLS configuration: `None` (clear text) without `api` and `node`. Errors name
/// which certificate is unusable.
pub fn server_config(
    api: Option<&TlsFiles>,
    node: Option<&NodeTls>,
) -> Result<Option<Arc<ServerConfig>>, Error> {
    let api_key = api
        .map(|f| certified_key("api certificate", f))
        .transpose()?;
    let node_key = node
        .map(|n| certified_key("node certificate", &n.identity))
        .transpose()?;
    let Some(default) = api_key.or_else(|| node_key.clone()) else {
        return Ok(None);
    };
    let builder = ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?;
    let builder = match node {
        Some(n) => {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&n.ca_pem) {
                let cert = cert.map_err(|e| Error::Tls(format!("cluster CA is not PEM: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| Error::Tls(format!("cluster CA: {e}")))?;
            }
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), crypto_provider())
                    .allow_unauthenticated()
                    .build()
                    .map_err(|e| Error::Tls(format!("cluster CA: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(Arc::new(ByServerName {
        node_name: node.map(|n| n.server_name.clone()).unwrap_or_default(),
        node: node_key,
        default,
    }));
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Some(Arc::new(config)))
}

/// The TLS connections of `listener`, handshaken with `config` ([module docs](self)). The
/// listener is closed when the stream is dropped.
pub fn tls_incoming(
    listener: TcpListener,
    config: Arc<ServerConfig>,
) -> impl Stream<Item = Result<TlsStream<TcpStream>, std::io::Error>> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(accept_loop(listener, TlsAcceptor::from(config), tx));
    ReceiverStream::new(rx)
}

type Handshaken = mpsc::Sender<Result<TlsStream<TcpStream>, std::io::Error>>;

async fn accept_loop(listener: TcpListener, acceptor: TlsAcceptor, tx: Handshaken) {
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let accepted = tokio::select! {
            _ = tx.closed() => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: do not spin on the error.
                tracing::debug!(error = %e, "grpc: accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let Ok(permit) = handshakes.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "grpc: {MAX_HANDSHAKES} TLS handshakes running, connection closed");
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await;
            drop(permit);
            match handshake {
                Ok(Ok(tls)) => {
                    let _ = tx.send(Ok(tls)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "grpc: TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "grpc: TLS handshake timed out"),
            }
        });
    }
}
