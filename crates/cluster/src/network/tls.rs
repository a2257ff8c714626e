//! [`ClusterTls`]: this node's side of mutual TLS between members (`[cluster] tls_cert`,
//! `tls_key`, `tls_ca`, `tls_server_name`): the certificate and key it presents, the CA that
//! signs every member's certificate, and the name a member's certificate must carry; and
//! [`peer_endpoint`], how every node-to-node channel (Raft, forwarded writes and reads, joins,
//! the API calls forwarded to a dialog's owner) is made from a member's URL.
//!
//! **Name verification.** Members are dialled at the URL they advertise (an IP address, a
//! pod's DNS name), which belongs to the deployment and changes with it. A node certificate is
//! not bound to it: every node certificate carries one fixed DNS name, [`DEFAULT_SERVER_NAME`]
//! (`dialogd-node`, or `tls_server_name`), which a node sends as SNI and verifies the answering
//! node's certificate against, whatever address it dialled. What makes a peer a member is a
//! certificate signed by `tls_ca` carrying that name; the CA must sign node certificates only.
//! Nodes may share one certificate or each have their own, and a new address needs no new
//! certificate. (The server side, `dialogd_api::server::tls`, presents the node certificate to
//! a client sending that SNI and requires a verified client certificate on node-to-node
//! services.)
//!
//! **No downgrade.** With cluster TLS every member is dialled with TLS whatever the scheme of
//! its URL (`http://` URLs of a membership made before TLS was turned on keep working); without
//! it, an `https://` member URL is an error naming the missing keys.
//!
//! Must not read files: the node reads them and names the config key of an error
//! ([`TlsError::part`]).

use std::sync::Arc;

use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

/// The DNS name every node certificate carries unless `[cluster] tls_server_name` says another.
pub const DEFAULT_SERVER_NAME: &str = "dialogd-node";

/// Which part of the TLS settings an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsPart {
    /// `tls_ca`.
    Ca,
    /// `tls_cert`.
    Cert,
    /// `tls_key`.
    Key,
    /// `tls_server_name`.
    ServerName,
}

/// Why the TLS settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct TlsError {
    pub part: TlsPart,
    pub reason: String,
}

fn error(part: TlsPart, reason: impl Into<String>) -> TlsError {
    TlsError {
        part,
        reason: reason.into(),
    }
}

/// The node's certificate, its key and the cluster CA (PEM), and the node name; checked when
/// made ([`ClusterTls::new`]).
#[derive(Clone)]
pub struct ClusterTls {
    ca_pem: Vec<u8>,
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
    server_name: String,
}

impl std::fmt::Debug for ClusterTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterTls")
            .field("ca_pem", &self.ca_pem.len())
            .field("cert_pem", &self.cert_pem.len())
            .field("key_pem", &"<hidden>")
            .field("server_name", &self.server_name)
            .finish()
    }
}

/// The certificates of a PEM text (at least one).
fn pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not PEM certificates: {e}"))?;
    if certs.is_empty() {
        return Err("holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certs)
}

/// The crypto of node-to-node TLS: rustls with ring, as tonic's `tls-ring`.
fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificate chain and key as rustls presents them, checked to belong together.
fn certified_key(cert_pem: &[u8], key_pem: &[u8]) -> Result<CertifiedKey, TlsError> {
    let chain = pem_certificates(cert_pem).map_err(|e| error(TlsPart::Cert, e))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| {
        error(
            TlsPart::Key,
            format!("holds no usable PEM private key: {e}"),
        )
    })?;
    let signing = crypto_provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| error(TlsPart::Key, format!("key type not supported: {e}")))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|e| {
        error(
            TlsPart::Cert,
            format!("is not the certificate of the key: {e}"),
        )
    })?;
    Ok(certified)
}

/// The trust store of a CA's PEM (every certificate in it is a trust anchor).
fn root_store(ca_pem: &[u8]) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in pem_certificates(ca_pem).map_err(|e| error(TlsPart::Ca, e))? {
        roots
            .add(cert)
            .map_err(|e| error(TlsPart::Ca, format!("not a usable CA certificate: {e}")))?;
    }
    Ok(roots)
}

impl ClusterTls {
    /// Checks the PEMs: they parse, the key is the certificate's, and the certificate is one
    /// a member accepts — signed by the CA, valid now, for `server_name`, usable as a server
    /// and as a client certificate (extended key usages serverAuth and clientAuth, or none).
    pub fn new(
        ca_pem: Vec<u8>,
        cert_pem: Vec<u8>,
        key_pem: Vec<u8>,
        server_name: String,
    ) -> Result<ClusterTls, TlsError> {
        let name = match ServerName::try_from(server_name.clone()) {
            Ok(n @ ServerName::DnsName(_)) => n,
            _ => {
                return Err(error(
                    TlsPart::ServerName,
                    format!("{server_name:?} is not a DNS name"),
                ));
            }
        };
        let roots = Arc::new(root_store(&ca_pem)?);
        let certified = certified_key(&cert_pem, &key_pem)?;
        let Some((end_entity, intermediates)) = certified.cert.split_first() else {
            return Err(error(TlsPart::Cert, "holds no certificate"));
        };
        let provider = crypto_provider();
        let now = UnixTime::now();
        let as_server =
            WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
                .build()
                .map_err(|e| error(TlsPart::Ca, e.to_string()))?;
        as_server
            .verify_server_cert(end_entity, intermediates, &name, &[], now)
            .map_err(|e| {
                error(
                    TlsPart::Cert,
                    format!("is not a node certificate for {server_name:?} under the CA: {e}"),
                )
            })?;
        let as_client = WebPkiClientVerifier::builder_with_provider(roots, provider)
            .build()
            .map_err(|e| error(TlsPart::Ca, e.to_string()))?;
        as_client
            .verify_client_cert(end_entity, intermediates, now)
            .map_err(|e| {
                error(
                    TlsPart::Cert,
                    format!("is not usable as a client certificate under the CA: {e}"),
                )
            })?;
        Ok(ClusterTls {
            ca_pem,
            cert_pem,
            key_pem,
            server_name,
        })
    }

    /// PEM of the cluster CA.
    pub fn ca_pem(&self) -> &[u8] {
        &self.ca_pem
    }

    /// PEM of this node's certificate chain.
    pub fn cert_pem(&self) -> &[u8] {
        &self.cert_pem
    }

    /// PEM of this node's private key.
    pub fn key_pem(&self) -> &[u8] {
        &self.key_pem
    }

    /// The name every node certificate carries (SNI of node-to-node connections).
    pub fn server_name(&self) -> &str {
        &self.server_name
    }

    /// TLS of a channel to a member: presents this node's certificate, trusts the cluster CA
    /// only, and verifies the member's certificate for [`ClusterTls::server_name`].
    pub fn client_config(&self) -> ClientTlsConfig {
        ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca_pem))
            .identity(Identity::from_pem(&self.cert_pem, &self.key_pem))
            .domain_name(self.server_name.clone())
    }
}

/// The endpoint of a member's gRPC URL (`http://10.0.0.2:50051`; a URL without a scheme is
/// `http://`): with `tls`, always TLS (`https://`, [`ClusterTls::client_config`]); without,
/// the URL as given, and an `https://` URL is an error.
pub fn peer_endpoint(url: &str, tls: Option<&ClusterTls>) -> Result<Endpoint, String> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let endpoint = match tls {
        Some(tls) => Endpoint::from_shared(format!("https://{rest}"))
            .and_then(|e| e.tls_config(tls.client_config())),
        None if scheme.eq_ignore_ascii_case("https") => {
            return Err(format!(
                "{url:?} is https:// but this node has no cluster TLS \
                 (cluster.tls_cert, cluster.tls_key, cluster.tls_ca)"
            ));
        }
        None => Endpoint::from_shared(format!("{scheme}://{rest}")),
    };
    endpoint.map_err(|e| format!("bad member address {url:?}: {e}"))
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
