//! The `did` parameter of our Record-Route: a dialog id plus an HMAC-SHA256 tag truncated to
//! 64 bits, keyed by the cluster's did key (`did=<16 hex id>.<16 hex mac>`), so a peer cannot
//! guess or forge a did that makes the proxy act on another dialog. A MAC can only be tried
//! online (each guess is a request this proxy checks, under flood control), so 64 bits put a
//! forgery at ~2^63 requests; the check is constant-time.
//!
//! A valid did is not an authorization: every party of a call sees its own in Record-Route.
//! It only names the dialog; the request must still carry the dialog's identifiers
//! (`crate::message_path::in_dialog`).

use dialogd_dialog::DialogId;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a `did` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidError {
    #[error("did {0:?} is not <id>.<mac>")]
    Malformed(String),
    #[error("did {0:?} has a wrong mac")]
    BadMac(String),
}

/// Bytes of the MAC kept in a `did` (64 bits).
pub const MAC_LEN: usize = 8;

/// Encodes and checks `did` values.
#[derive(Clone)]
pub struct DidCodec {
    key: HmacSha256,
}

impl std::fmt::Debug for DidCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DidCodec { .. }")
    }
}

impl DidCodec {
    /// A codec keyed by `secret` (any length; HMAC pads or hashes it): the did key derived
    /// for this purpose, never a secret that does another job.
    pub fn new(secret: &[u8]) -> DidCodec {
        // HMAC accepts keys of every length, so new_from_slice cannot fail.
        let key = match HmacSha256::new_from_slice(secret) {
            Ok(k) => k,
            Err(_) => unreachable!("hmac accepts keys of any length"),
        };
        DidCodec { key }
    }

    fn mac(&self, id: DialogId) -> HmacSha256 {
        let mut m = self.key.clone();
        m.update(&id.0.to_be_bytes());
        m
    }

    /// The parameter value for `id`.
    pub fn encode(&self, id: DialogId) -> String {
        let tag = self.mac(id).finalize().into_bytes();
        let mut out = format!("{id}.");
        for b in tag.iter().take(MAC_LEN) {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        out
    }

    /// Checks a parameter value and returns its dialog id.
    pub fn decode(&self, value: &str) -> Result<DialogId, DidError> {
        let malformed = || DidError::Malformed(value.to_owned());
        let (id, mac) = value.split_once('.').ok_or_else(malformed)?;
        let id: DialogId = id.parse().map_err(|_| malformed())?;
        // Bytes, not `str` slices: a MAC holding a multi-byte character has 8 bytes but no
        // char boundary at every second byte, and slicing the `str` there would panic.
        let mac = mac.as_bytes();
        if mac.len() != 2 * MAC_LEN {
            return Err(malformed());
        }
        let mut tag = [0u8; MAC_LEN];
        for (b, pair) in tag.iter_mut().zip(mac.chunks_exact(2)) {
            *b = (hex_digit(pair[0]).ok_or_else(malformed)? << 4)
                | hex_digit(pair[1]).ok_or_else(malformed)?;
        }
        self.mac(id)
            .verify_truncated_left(&tag)
            .map_err(|_| DidError::BadMac(value.to_owned()))?;
        Ok(id)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The value of one hexadecimal digit (either case).
fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_forgery() {
        let c = DidCodec::new(b"secret");
        let id = DialogId::new(1, 77);
        let v = c.encode(id);
        assert_eq!(c.decode(&v).unwrap(), id);
        let other = DidCodec::new(b"other");
        assert!(matches!(other.decode(&v), Err(DidError::BadMac(_))));
        let forged = format!("{}.{}", DialogId::new(1, 78), &v[17..]);
        assert!(matches!(c.decode(&forged), Err(DidError::BadMac(_))));
        // A 32-bit MAC (the earlier, guessable length) is not accepted.
        assert!(matches!(
            c.decode(&v[..v.len() - 8]),
            Err(DidError::Malformed(_))
        ));
        assert_eq!(v.len(), 16 + 1 + 16, "{v}");
        for bad in [
            "",
            "12",
            "zz.0000000000000000",
            "1.000000000000000",
            "1.zzzzzzzzzzzzzzzz",
            // 16 bytes with multi-byte characters: no char boundary at every second byte
            "0000000000000001.\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
            "0000000000000001.0\u{20ac}000000000000",
            "0000000000000001.+1+2+3+4+5+6+7+8",
        ] {
            assert!(
                matches!(c.decode(bad), Err(DidError::Malformed(_))),
                "{bad}"
            );
        }
    }

    proptest::proptest! {
        /// No input makes `decode` panic; only the value `encode` wrote decodes.
        #[test]
        fn decode_never_panics(value in "\\PC{0,40}", id in proptest::num::u64::ANY) {
            let c = DidCodec::new(b"secret");
            let _ = c.decode(&value);
            let own = c.encode(DialogId(id));
            proptest::prop_assert_eq!(c.decode(&own), Ok(DialogId(id)));
        }
    }
}
