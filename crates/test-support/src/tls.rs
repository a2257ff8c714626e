//! [`TestCa`]: a certificate authority made in the test (rcgen), and the certificates it signs:
//! node certificates for cluster mutual TLS ([`TestCa::node_cert`]: the node name
//! `dialogd-node`, `localhost` and `127.0.0.1`, usable as server and client certificate) and
//! leaf certificates of any names and usages ([`TestCa::leaf`]). [`NodeTlsFiles`] writes a
//! CA, a certificate and its key as PEM files, and gives the `[cluster]` keys naming them.
//!
//! Must not: touch anything outside the directory it is given.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// Extended key usages of [`TestCa::leaf`].
pub use rcgen::ExtendedKeyUsagePurpose;

/// The DNS name every node certificate carries (dialogd's default `cluster.tls_server_name`).
pub const NODE_NAME: &str = "dialogd-node";

/// A certificate and its private key, PEM.
#[derive(Debug, Clone)]
pub struct CertPair {
    pub cert_pem: String,
    pub key_pem: String,
}

/// A CA of its own: a self-signed CA certificate and the key that signs.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl TestCa {
    /// A new CA whose common name is `name`.
    pub fn new(name: &str) -> Result<TestCa> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate()?;
        let cert = params
            .self_signed(&key)
            .context("self-signing the test CA")?;
        Ok(TestCa {
            issuer: Issuer::new(params, key),
            cert_pem: cert.pem(),
        })
    }

    /// PEM of the CA certificate (what a peer trusts).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A node certificate: [`NODE_NAME`], `localhost` and `127.0.0.1`, serverAuth and
    /// clientAuth.
    pub fn node_cert(&self) -> Result<CertPair> {
        self.leaf(
            &[NODE_NAME, "localhost", "127.0.0.1"],
            &[
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
        )
    }

    /// A certificate for `names` (DNS names or IP addresses) with these extended key usages,
    /// signed by this CA.
    pub fn leaf(&self, names: &[&str], usages: &[ExtendedKeyUsagePurpose]) -> Result<CertPair> {
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
        if let Some(first) = names.first() {
            params.distinguished_name.push(DnType::CommonName, *first);
        }
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = usages.to_vec();
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate()?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("signing a test certificate")?;
        Ok(CertPair {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// A CA certificate, a certificate and its key written as `ca.pem`, `cert.pem`, `key.pem`.
#[derive(Debug, Clone)]
pub struct NodeTlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl NodeTlsFiles {
    /// Writes `ca`'s certificate and `pair` into `dir` (created if missing).
    pub fn write(dir: &Path, ca: &TestCa, pair: &CertPair) -> Result<NodeTlsFiles> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let files = NodeTlsFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        for (path, text) in [
            (&files.ca, ca.cert_pem()),
            (&files.cert, pair.cert_pem.as_str()),
            (&files.key, pair.key_pem.as_str()),
        ] {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(files)
    }

    /// The `[cluster]` keys naming these files (`tls_cert`, `tls_key`, `tls_ca`), one a line.
    pub fn cluster_keys(&self) -> String {
        format!(
            "tls_cert = \"{}\"\ntls_key = \"{}\"\ntls_ca = \"{}\"\n",
            self.cert.display(),
            self.key.display(),
            self.ca.display()
        )
    }
}
