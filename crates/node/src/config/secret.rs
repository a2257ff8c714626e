//! The `did` HMAC key: `dialog.secret` when set, else a random key generated on the node's
//! first start and kept, hex-encoded, in `<data_dir>/node.secret` (written atomically,
//! mode 0600 on Unix) so dialog ids stay valid across restarts. Reading the config never
//! creates it: only [`Config::did_secret`], called at start.

use std::io::Write;
use std::path::Path;

use rand::RngCore;

use crate::config::Config;
use crate::error::NodeError;

/// Bytes of a generated secret.
pub const GENERATED_SECRET_LEN: usize = 32;

impl Config {
    /// The key of the `did` HMAC: the configured secret, or the one in `data_dir`
    /// (generated and saved if missing).
    pub fn did_secret(&self) -> Result<Vec<u8>, NodeError> {
        if !self.dialog.secret.is_empty() {
            return Ok(self.dialog.secret.expose().as_bytes().to_vec());
        }
        let path = self.secret_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => decode_hex(text.trim()).ok_or_else(|| NodeError::BadFile {
                path: path.clone(),
                reason: format!(
                    "not a hex secret of at least {} bytes; delete it to generate a new one",
                    super::MIN_SECRET_LEN
                ),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = vec![0u8; GENERATED_SECRET_LEN];
                rand::rng().fill_bytes(&mut key);
                write_private(&path, encode_hex(&key).as_bytes())?;
                tracing::info!(path = %path.display(), "generated a new did secret");
                Ok(key)
            }
            Err(e) => Err(NodeError::io(path, e)),
        }
    }
}

impl Config {
    /// The node's derived keys ([`crate::keys`]): the did root is [`Config::did_secret`],
    /// the cluster root `cluster.secret` when set.
    pub fn node_keys(&self) -> Result<crate::keys::NodeKeys, NodeError> {
        let did_root = self.did_secret()?;
        let cluster = &self.cluster.secret;
        let cluster_root = (!cluster.is_empty()).then(|| cluster.expose().as_bytes());
        Ok(crate::keys::NodeKeys::derive(&did_root, cluster_root))
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), NodeError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| NodeError::io(dir, e))?;
    }
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp).map_err(|e| NodeError::io(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| NodeError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| NodeError::io(path, e))
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() < 2 * super::MIN_SECRET_LEN {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path, secret: &str) -> Config {
        let mut c = Config {
            data_dir: dir.join("data"),
            ..Config::default()
        };
        c.dialog.secret = secret.into();
        c
    }

    #[test]
    fn generated_once_then_kept() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "");
        let first = c.did_secret().unwrap();
        assert_eq!(first.len(), GENERATED_SECRET_LEN);
        let second = c.did_secret().unwrap();
        assert_eq!(first, second);
        let text = std::fs::read_to_string(c.secret_path()).unwrap();
        assert_eq!(text, encode_hex(&first));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(c.secret_path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn configured_secret_wins_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "0123456789abcdef-cluster");
        assert_eq!(
            c.did_secret().unwrap(),
            b"0123456789abcdef-cluster".to_vec()
        );
        assert!(!c.secret_path().exists());
    }

    #[test]
    fn unusable_secret_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "");
        std::fs::create_dir_all(&c.data_dir).unwrap();
        for bad in ["zz", "abcd", &"g".repeat(64)] {
            std::fs::write(c.secret_path(), bad).unwrap();
            let err = c.did_secret().unwrap_err().to_string();
            assert!(
                err.contains("node.secret") && err.contains("not a hex secret"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn hex_round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_hex(&encode_hex(&bytes)), Some(bytes));
    }
}
