//! [`RecordBytes`]: a [`DialogRecord`] packed, as the cluster's state machine keeps it for
//! every dialog and as a parked dialog shares it ([`crate::PackedDialog`]).
//!
//! A decoded record is some 25 heap allocations (URIs, tags, headers, route sets, vars).
//! Packed, it is one postcard buffer without the Call-ID, the owner and the profile
//! memberships — the state machine's entry keeps those apart, because lookups scan
//! Call-IDs and reassignments and profile changes must not touch the bytes. The buffer is
//! reference-counted: a parked dialog whose record the state machine holds as it is keeps a
//! second reference instead of a second copy.

use std::sync::Arc;

use crate::profile::ProfileKey;
use crate::record::DialogRecord;

/// A record's bytes; see the module doc.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordBytes(Arc<[u8]>);

impl RecordBytes {
    /// Packs `record` without its Call-ID, owner and profiles (left in place).
    pub fn pack(record: &mut DialogRecord) -> Result<RecordBytes, postcard::Error> {
        let call_id = std::mem::take(&mut record.call_id);
        let owner = std::mem::take(&mut record.owner);
        let profiles = std::mem::take(&mut record.profiles);
        let bytes = postcard::to_allocvec(&*record);
        record.call_id = call_id;
        record.owner = owner;
        record.profiles = profiles;
        Ok(RecordBytes(Arc::from(bytes?)))
    }

    /// The record, with the Call-ID, owner and profiles kept apart.
    pub fn unpack(
        &self,
        call_id: &str,
        owner: u64,
        profiles: &[ProfileKey],
    ) -> Result<DialogRecord, postcard::Error> {
        let mut record: DialogRecord = postcard::from_bytes(&self.0)?;
        record.call_id = call_id.to_owned();
        record.owner = owner;
        record.profiles = profiles.to_vec();
        Ok(record)
    }

    /// Length of the bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for an empty buffer (never a packed record).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for RecordBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecordBytes({} bytes)", self.0.len())
    }
}
