//! [`PackedDialog`]: a parked dialog's [`Dialog`] and [`Media`] as one buffer.
//!
//! A confirmed call that is idle parks (its actor stops, its state stays in the node's
//! registry). Kept as they run, a `Dialog` and its `Media` are some 30 heap allocations —
//! the INVITE's headers and URIs, tags, route sets, contacts, vars, both legs' SDP — about
//! 1.9 KB per call as the allocator counts it. Packed with postcard they are their bytes in one
//! allocation, a third of that, and a node holding 100,000 idle calls keeps that third.
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
//! | [`PackedDialog::unpack`] (revival) | one decode |
//! | [`PackedDialog::snapshot`] (the API's view of a parked call) | one decode, nothing kept |

use std::time::Instant;

use crate::dialog::Dialog;
use crate::media::Media;
use crate::snapshot::DialogSnapshot;

/// A dialog and its media packed; see the module doc.
pub struct PackedDialog(Repr);

enum Repr {
    Packed {
        bytes: Box<[u8]>,
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

    /// The dialog and media as they were packed.
    pub fn unpack(self) -> Result<(Dialog, Media), UnpackError> {
        match self.0 {
            Repr::Packed { bytes, deadline } => decode(&bytes, deadline),
            Repr::Plain(parts) => Ok(*parts),
        }
    }

    /// The dialog's view for the API at `now`, as its actor would give it.
    pub fn snapshot(&self, now: Instant, node_id: u64) -> Result<DialogSnapshot, UnpackError> {
        match &self.0 {
            Repr::Packed { bytes, deadline } => {
                decode(bytes, *deadline).map(|(d, _)| d.snapshot(now, node_id))
            }
            Repr::Plain(parts) => Ok(parts.0.snapshot(now, node_id)),
        }
    }

    /// Bytes of the packed form; `None` when kept unpacked.
    pub fn packed_len(&self) -> Option<usize> {
        match &self.0 {
            Repr::Packed { bytes, .. } => Some(bytes.len()),
            Repr::Plain(_) => None,
        }
    }
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
            Repr::Plain(parts) => write!(f, "PackedDialog(plain {})", parts.0.did()),
        }
    }
}

#[cfg(test)]
#[path = "packed_tests.rs"]
mod tests;
