//! Secrets and the keys derived from them.
//!
//! [`Secret`]: a configured secret (`dialog.secret`, `cluster.secret`, the API tokens). It
//! deserializes from a plain string and never shows in `Debug` output (configs, logs,
//! panics), only whether it is set.
//!
//! [`NodeKeys`]: one secret never does two jobs. The node derives, with HKDF-SHA256
//! (RFC 5869), one key per job from its root secrets:
//!
//! | key | root | HKDF `info` | used for |
//! |---|---|---|---|
//! | did key | `dialog.secret`, else `<data_dir>/node.secret` | `dialogd did-mac v1` | the HMAC of the `did` in Record-Route (never leaves the node) |
//! | cluster key | `cluster.secret`, else the did root | `dialogd node-to-node v1` | node-to-node calls (Raft, forwarding): sent to peers, so a peer or a wire tap learns this key and not the did key |
//!
//! API tokens are the operator's own and not derived: each is compared as configured. A
//! root must be at least [`MIN_SECRET_LEN`] bytes and not one of the example values shipped
//! in docs and deploy files ([`is_example_secret`]).

use hkdf::Hkdf;
use sha2::Sha256;

/// Shortest secret or token accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 16;

/// Bytes of each derived key.
pub const KEY_LEN: usize = 32;

const SALT: &[u8] = b"dialogd";
const DID_INFO: &[u8] = b"dialogd did-mac v1";
const CLUSTER_INFO: &[u8] = b"dialogd node-to-node v1";

/// A configured secret; see the module doc.
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The secret if it is set.
    pub fn get(&self) -> Option<String> {
        Some(self.0.clone()).filter(|s| !s.is_empty())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "<empty>"
        } else {
            "<redacted>"
        })
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_owned())
    }
}

/// True for the placeholder values of the shipped examples (deploy files, docs), which
/// anyone can read: a node refuses to start with one.
pub fn is_example_secret(value: &str) -> bool {
    const EXAMPLES: &[&str] = &[
        "compose-demo-secret-change-me",
        "example-secret-replace-me-0123456789",
    ];
    let lower = value.to_ascii_lowercase();
    EXAMPLES.contains(&value)
        || ["change-me", "changeme", "replace-me", "replaceme"]
            .iter()
            .any(|p| lower.contains(p))
}

/// Why a secret or token was refused (the caller names the key).
pub fn secret_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    if value.len() < MIN_SECRET_LEN {
        return Some(format!(
            "{} bytes is too short: use at least {MIN_SECRET_LEN} random bytes \
             (e.g. `openssl rand -hex 32`)",
            value.len()
        ));
    }
    if is_example_secret(value) {
        return Some(
            "is an example value from the documentation: generate your own \
             (e.g. `openssl rand -hex 32`)"
                .to_owned(),
        );
    }
    None
}

/// The keys a node derives; see the module doc. `Debug` shows neither.
#[derive(Clone)]
pub struct NodeKeys {
    /// Key of the `did` HMAC.
    pub did: [u8; KEY_LEN],
    /// Key of node-to-node calls, hex-encoded (it travels in a header).
    pub cluster: String,
}

impl std::fmt::Debug for NodeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NodeKeys { .. }")
    }
}

impl NodeKeys {
    /// Derives both keys from the did root and the cluster root (`None`: the did root).
    pub fn derive(did_root: &[u8], cluster_root: Option<&[u8]>) -> NodeKeys {
        let did = expand(did_root, DID_INFO);
        let cluster = expand(cluster_root.unwrap_or(did_root), CLUSTER_INFO);
        NodeKeys {
            did,
            cluster: cluster.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

fn expand(root: &[u8], info: &[u8]) -> [u8; KEY_LEN] {
    let mut out = [0u8; KEY_LEN];
    // HKDF-SHA256 can expand up to 255 * 32 bytes; 32 always fits.
    if Hkdf::<Sha256>::new(Some(SALT), root)
        .expand(info, &mut out)
        .is_err()
    {
        unreachable!("32 bytes is within HKDF-SHA256's output bound");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_per_job_and_are_stable() {
        let a = NodeKeys::derive(b"0123456789abcdef-root", None);
        let b = NodeKeys::derive(b"0123456789abcdef-root", None);
        assert_eq!(a.did, b.did);
        assert_eq!(a.cluster, b.cluster);
        let cluster_hex: String = a.did.iter().map(|b| format!("{b:02x}")).collect();
        assert_ne!(cluster_hex, a.cluster, "the did key is the cluster key");
        assert!(!a.cluster.contains("0123456789abcdef"));
        let c = NodeKeys::derive(b"0123456789abcdef-root", Some(b"another-cluster-secret"));
        assert_eq!(a.did, c.did);
        assert_ne!(a.cluster, c.cluster);
        // RFC 5869 test vectors are the hkdf crate's; here: the output is what HKDF gives.
        let mut want = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"dialogd"), b"0123456789abcdef-root")
            .expand(b"dialogd did-mac v1", &mut want)
            .unwrap();
        assert_eq!(a.did, want);
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let s = Secret::from("s3cret-value-0123456789");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Secret::default()), "<empty>");
        let keys = NodeKeys::derive(b"0123456789abcdef-root", None);
        assert_eq!(format!("{keys:?}"), "NodeKeys { .. }");
    }

    #[test]
    fn short_and_example_secrets_are_refused() {
        assert_eq!(secret_problem(""), None);
        assert!(secret_problem("short").unwrap().contains("too short"));
        assert!(
            secret_problem("compose-demo-secret-change-me")
                .unwrap()
                .contains("example value")
        );
        assert!(secret_problem("example-secret-replace-me-0123456789").is_some());
        assert!(secret_problem("my-CHANGEME-secret-000000").is_some());
        assert_eq!(secret_problem("f3a9c1d2e4b5a6978877665544332211"), None);
    }
}
