//! The encoding of everything the cluster writes to disk (log entries, snapshots, the vote)
//! or sends to another node (Raft RPCs, forwarded writes and reads).
//!
//! New bytes are [postcard] (a compact, non-self-describing serde format) behind one tag byte,
//! [`BINARY`]. Bytes without the tag are read as JSON, the encoding of earlier builds, so a
//! data dir written by them still opens and a node can still read their messages (they cannot
//! read ours: upgrade a cluster member by member, with the whole cluster on one build before
//! it takes load).
//!
//! ```text
//!  value ──encode──▶ [0xB1][postcard bytes]
//!  bytes ──decode──▶ 0xB1 … → postcard;  anything else → JSON (earlier builds)
//! ```
//!
//! Types encoded here must not depend on a self-describing format: no `skip_serializing_if`,
//! `flatten`, untagged or internally tagged enums (`#[serde(default)]` on a field is fine for
//! JSON; postcard always writes every field).

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The first byte of a postcard encoding. Never the first byte of JSON text (which is ASCII).
pub const BINARY: u8 = 0xB1;

/// Encoding or decoding failed.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("binary encoding: {0}")]
    Binary(#[from] postcard::Error),
    #[error("json encoding: {0}")]
    Json(#[from] serde_json::Error),
}

/// `value` as [`BINARY`] followed by its postcard bytes.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(128);
    out.push(BINARY);
    Ok(postcard::to_extend(value, out)?)
}

/// Reads what [`encode`] wrote, or the JSON of earlier builds.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    match bytes.split_first() {
        Some((&BINARY, rest)) => Ok(postcard::from_bytes(rest)?),
        _ => Ok(serde_json::from_slice(bytes)?),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::command::Command;
    use dialogd_dialog::{DialogId, EndCause, ProfileKey, ProfileMembership};

    fn commands() -> Vec<Command> {
        vec![
            Command::Admit {
                did: DialogId(7),
                owner: 2,
                profiles: vec![ProfileMembership {
                    key: ProfileKey::with_value("caller", "alice"),
                    limit: Some(5),
                }],
                record: None,
            },
            Command::Release {
                did: DialogId(7),
                cause: EndCause::ByeCallee,
            },
            Command::Reassign {
                moves: vec![(DialogId(1), 1, 2)],
            },
        ]
    }

    #[test]
    fn binary_round_trip_starts_with_the_tag() {
        let cmd = Command::Batch(commands());
        let bytes = encode(&cmd).unwrap();
        assert_eq!(bytes[0], BINARY);
        assert_eq!(decode::<Command>(&bytes).unwrap(), cmd);
    }

    #[test]
    fn json_of_earlier_builds_still_decodes() {
        let cmd = Command::Batch(commands());
        let json = serde_json::to_vec(&cmd).unwrap();
        assert_eq!(decode::<Command>(&json).unwrap(), cmd);
    }

    #[test]
    fn binary_is_smaller_than_json() {
        let cmd = Command::Batch(commands());
        assert!(encode(&cmd).unwrap().len() * 2 < serde_json::to_vec(&cmd).unwrap().len());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [
            &[][..],
            &[BINARY][..],
            &[BINARY, 0xff, 0xff][..],
            b"{\"Admit\":",
        ] {
            assert!(decode::<Command>(bytes).is_err());
        }
    }
}
