//! Dialog ids: 64-bit, cluster-unique (the creating node's id in the top 16 bits, a per-node
//! sequence below), written as lower-case hex in our Record-Route's `did` parameter.

use std::fmt;
use std::str::FromStr;

/// A dialog id.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct DialogId(pub u64);

impl DialogId {
    /// Composes an id from the creating node and its sequence number (48 bits used).
    pub fn new(node: u16, seq: u64) -> DialogId {
        DialogId((u64::from(node) << 48) | (seq & 0xFFFF_FFFF_FFFF))
    }

    /// The node that created the dialog.
    pub fn node(self) -> u16 {
        (self.0 >> 48) as u16
    }
}

impl fmt::Display for DialogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Error for a dialog id that is not 1–16 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dialog id {0:?} is not 1 to 16 hex digits")]
pub struct BadDialogId(pub String);

impl FromStr for DialogId {
    type Err = BadDialogId;
    fn from_str(s: &str) -> Result<DialogId, BadDialogId> {
        if s.is_empty() || s.len() > 16 {
            return Err(BadDialogId(s.to_owned()));
        }
        u64::from_str_radix(s, 16)
            .map(DialogId)
            .map_err(|_| BadDialogId(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_node() {
        let id = DialogId::new(7, 42);
        assert_eq!(id.node(), 7);
        assert_eq!(id.to_string().parse::<DialogId>().unwrap(), id);
        assert!("xyz".parse::<DialogId>().is_err());
        assert!("".parse::<DialogId>().is_err());
    }
}
