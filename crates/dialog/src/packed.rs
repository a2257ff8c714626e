//! [`PackedDialog`]: a parked dialog's [`Dialog`] and [`Media`] as one buffer.
//!
//! A confirmed call that is idle parks (its actor stops, its state stays in the node's
//! registry). Kept as they run, a `Dialog` and its `Media` are some 30 heap allocations —
//! the INVITE's headers and URIs, tags, route sets, contacts, vars, both legs' SDP — about
//! 1.9 KB per call as the allocator counts it. Packed with postcard they are their bytes in one
//! allocation (about 750 bytes for a SIPp call).
//!
//! Most of those bytes repeat the dialog's record, which the cluster's state machine keeps
//! packed on the same node ([`RecordBytes`]). [`PackedDialog::pack_sharing`] takes a
//! reference to that buffer when it says what the dialog holds, and packs only
//! what the dialog holds beyond it (CSeq orders and marks, branches, clock,
//! Call-ID, profiles, state, media): about 370 bytes for a SIPp call, mostly its two SDPs.
//!
//! Packing keeps everything the dialog holds, so a revived dialog behaves exactly as the
//! parked one would have: same CSeq orders and marks (no takeover jump), same branches, same
//! timeout deadline. Two things stay out of the bytes: the deadline (an `Instant` has no
//! portable encoding; it is kept beside them) and the pending outputs, which are drained after
//! every input and so are empty when a dialog parks.
//!
//! | operation | cost |
//! |---|---|
//! | [`PackedDialog::pack`] (once per idle spell) | one encode, one allocation |
//! | [`PackedDialog::pack_sharing`] | one encode, one check decode and compare |
//! | [`PackedDialog::unpack`] (revival) | one decode |
//! | [`PackedDialog::snapshot`] (the API's view of a parked call) | one decode, nothing kept |

use std::time::Instant;

use crate::dialog::{BeyondRecord, Dialog};
use crate::media::Media;
use crate::record_bytes::RecordBytes;
use crate::snapshot::DialogSnapshot;

/// A dialog and its media packed; see the module doc.
pub struct PackedDialog(Repr);

enum Repr {
    Packed {
        bytes: Box<[u8]>,
        deadline: Option<Instant>,
    },
    /// The state machine's record, shared, and what the dialog holds beyond it.
    Shared {
        record: RecordBytes,
        beyond: Box<[u8]>,
        deadline: Option<Instant>,
    },
    /// What postcard refused to encode (never seen: every field is plain data) is kept as it
    /// is, never lost.
    Plain(Box<(Dialog, Media)>),
}

/// The packed bytes could not be read back (a bug, never input: only [`PackedDialog::pack`]
/// writes them).
#[derive(Debug, thiserror::Error)]
#[error("parked dialog unreadable: {0}")]
pub struct UnpackError(#[from] postcard::Error);

impl PackedDialog {
    /// Packs `dialog` and `media`.
    pub fn pack(dialog: &Dialog, media: &Media) -> PackedDialog {
        debug_assert!(
            dialog.out.is_empty(),
            "a dialog packs with its outputs drained"
        );
        match postcard::to_allocvec(&(dialog, media)) {
            Ok(bytes) => PackedDialog(Repr::Packed {
                bytes: bytes.into_boxed_slice(),
                deadline: dialog.clock.deadline(),
            }),
            Err(_) => PackedDialog(Repr::Plain(Box::new((dialog.clone(), media.clone())))),
        }
    }

    /// Packs `dialog` and `media`, sharing `record` — the cluster's copy of the dialog's record —
    /// so only what the dialog holds beyond it is packed here. Shared only if unpacking gives
    /// back exactly this dialog and media, which a record that lags the dialog does not;
    /// otherwise (and when the cluster keeps no record) as [`PackedDialog::pack`].
    pub fn pack_sharing(
        dialog: &Dialog,
        media: &Media,
        record: Option<RecordBytes>,
    ) -> PackedDialog {
        record
            .and_then(|record| share(dialog, media, record))
            .unwrap_or_else(|| PackedDialog::pack(dialog, media))
    }

    /// True when the record's bytes are shared with the cluster's copy.
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared { .. })
    }

    /// The dialog and media as they were packed.
    pub fn unpack(self) -> Result<(Dialog, Media), UnpackError> {
        match self.0 {
            Repr::Packed { bytes, deadline } => decode(&bytes, deadline),
            Repr::Shared {
                record,
                beyond,
                deadline,
            } => decode_shared(&record, &beyond, deadline),
            Repr::Plain(parts) => Ok(*parts),
        }
    }

    /// The dialog's view for the API at `now`, as its actor would give it.
    pub fn snapshot(&self, now: Instant, node_id: u64) -> Result<DialogSnapshot, UnpackError> {
        match &self.0 {
            Repr::Packed { bytes, deadline } => {
                decode(bytes, *deadline).map(|(d, _)| d.snapshot(now, node_id))
            }
            Repr::Shared {
                record,
                beyond,
                deadline,
            } => decode_shared(record, beyond, *deadline).map(|(d, _)| d.snapshot(now, node_id)),
            Repr::Plain(parts) => Ok(parts.0.snapshot(now, node_id)),
        }
    }

    /// Bytes of the packed form held here alone (a shared record's bytes not counted);
    /// `None` when kept unpacked.
    pub fn packed_len(&self) -> Option<usize> {
        match &self.0 {
            Repr::Packed { bytes, .. } => Some(bytes.len()),
            Repr::Shared { beyond, .. } => Some(beyond.len()),
            Repr::Plain(_) => None,
        }
    }
}

/// The shared form, if it gives back exactly `dialog` and `media`. The state and the clock
/// are kept beyond the record (it is written at the 2xx, not at the ACK, and its deadline is
/// the replicated one), so those never stop a record from being shared; any other field
/// the record lags in does.
fn share(dialog: &Dialog, media: &Media, record: RecordBytes) -> Option<PackedDialog> {
    let beyond = postcard::to_allocvec(&(dialog.beyond_record(), media)).ok()?;
    let deadline = dialog.clock.deadline();
    let (back, back_media) = decode_shared(&record, &beyond, deadline).ok()?;
    (back == *dialog && back_media == *media).then(|| {
        PackedDialog(Repr::Shared {
            record,
            beyond: beyond.into_boxed_slice(),
            deadline,
        })
    })
}

fn decode_shared(
    record: &RecordBytes,
    beyond: &[u8],
    deadline: Option<Instant>,
) -> Result<(Dialog, Media), UnpackError> {
    let (beyond, media): (BeyondRecord, Media) = postcard::from_bytes(beyond)?;
    Ok((Dialog::from_parts(record, beyond, deadline)?, media))
}

fn decode(bytes: &[u8], deadline: Option<Instant>) -> Result<(Dialog, Media), UnpackError> {
    let (mut dialog, media): (Dialog, Media) = postcard::from_bytes(bytes)?;
    dialog.clock.set_deadline(deadline);
    Ok((dialog, media))
}

impl std::fmt::Debug for PackedDialog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Repr::Packed { bytes, .. } => write!(f, "PackedDialog({} bytes)", bytes.len()),
            Repr::Shared { record, beyond, .. } => write!(
                f,
                "PackedDialog({} bytes beyond a shared {record:?})",
                beyond.len()
            ),
            Repr::Plain(parts) => write!(f, "PackedDialog(plain {})", parts.0.did()),
        }
    }
}

#[cfg(test)]
#[path = "packed_tests.rs"]
mod tests;
