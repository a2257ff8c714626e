//! [`StoredRecord`]: a dialog record as the state machine keeps it in memory, for every dialog
//! of the cluster on every member.
//!
//! A [`DialogRecord`] is some 25 heap allocations (URIs, tags, headers, route sets, vars):
//! about 2.4 KB per dialog as the allocator counts it. Kept packed — the Call-ID apart,
//! because lookups by Call-ID scan it, and the rest as one shared postcard buffer
//! ([`RecordBytes`], which a parked dialog on the owner shares) — the same record costs its
//! bytes plus two allocations, a third of that. It is unpacked only when read (takeover, the
//! record view of a dialog whose owner cannot answer, a lookup whose Call-ID matched), which
//! is rare next to the writes.
//!
//! The owner and the profile memberships are not stored here: the entry holds them
//! ([`crate::DialogEntry`]) and [`StoredRecord::unpack`] puts them back, so a `Reassign` or a
//! profile change touches no packed bytes.
//!
//! Serialized (Raft snapshots) as the plain record, the format earlier builds wrote.

use dialogd_dialog::{DialogRecord, ProfileKey, RecordBytes};

use crate::codec::CodecError;

/// A dialog record kept packed; see the module doc.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredRecord(Repr);

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    Packed {
        call_id: Box<str>,
        rest: RecordBytes,
    },
    /// A record that could not be packed (postcard refused it): kept as it is, never lost.
    Plain(Box<DialogRecord>),
}

impl StoredRecord {
    /// Packs `record` (its owner and profiles are dropped: the entry has them).
    pub fn pack(mut record: DialogRecord) -> StoredRecord {
        match RecordBytes::pack(&mut record) {
            Ok(rest) => StoredRecord(Repr::Packed {
                call_id: record.call_id.into_boxed_str(),
                rest,
            }),
            Err(e) => {
                tracing::warn!(did = %record.did, error = %e, "dialog record kept unpacked");
                record.owner = 0;
                record.profiles = Vec::new();
                StoredRecord(Repr::Plain(Box::new(record)))
            }
        }
    }

    /// The packed bytes, to share (`None` for a record kept unpacked).
    pub fn bytes(&self) -> Option<&RecordBytes> {
        match &self.0 {
            Repr::Packed { rest, .. } => Some(rest),
            Repr::Plain(_) => None,
        }
    }

    /// The record's Call-ID, without unpacking it.
    pub fn call_id(&self) -> &str {
        match &self.0 {
            Repr::Packed { call_id, .. } => call_id,
            Repr::Plain(r) => &r.call_id,
        }
    }

    /// The record, with the owner and profiles its entry holds.
    pub fn unpack(&self, owner: u64, profiles: &[ProfileKey]) -> Result<DialogRecord, CodecError> {
        match &self.0 {
            Repr::Packed { call_id, rest } => Ok(rest.unpack(call_id, owner, profiles)?),
            Repr::Plain(r) => {
                let mut record = (**r).clone();
                record.owner = owner;
                record.profiles = profiles.to_vec();
                Ok(record)
            }
        }
    }

    /// Bytes held (the packed buffer and the Call-ID); `None` for a record kept unpacked.
    #[cfg(test)]
    pub(crate) fn packed_len(&self) -> Option<usize> {
        match &self.0 {
            Repr::Packed { call_id, rest } => Some(call_id.len() + rest.len()),
            Repr::Plain(_) => None,
        }
    }
}

impl std::fmt::Debug for StoredRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.unpack(0, &[]) {
            Ok(r) => r.fmt(f),
            Err(e) => write!(f, "StoredRecord(undecodable: {e})"),
        }
    }
}

impl serde::Serialize for StoredRecord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let record = self.unpack(0, &[]).map_err(serde::ser::Error::custom)?;
        record.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for StoredRecord {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        DialogRecord::deserialize(deserializer).map(StoredRecord::pack)
    }
}

#[cfg(test)]
#[path = "stored_record_tests.rs"]
mod tests;
