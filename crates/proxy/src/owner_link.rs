//! [`OwnerLink`]: how a node that receives an in-dialog request for a dialog another member
//! drives asks that member's actor about it, without moving the SIP hop.
//!
//! With a shared Record-Route (`sip_record_route`: a name that resolves to every member) an
//! endpoint's in-dialog requests reach any member. The member that receives one keeps the SIP
//! side (its Via, the endpoint's TCP connection or NAT binding, the transaction, the
//! responses); the dialog's owner keeps the dialog: its actor judges the request (direction,
//! CSeq order, CSeq mapping, a BYE ends it, a re-INVITE refreshes its timeout) exactly as if
//! the request had reached it, over the authenticated node-to-node gRPC port:
//!
//! ```text
//!  endpoint ── BYE ──▶ member B (no actor) ── Judge(did, request) ──▶ owner A's actor
//!                      B proxies the BYE     ◀── Forward{cseq, leg} ──  (A ends the dialog,
//!  endpoint ◀── 200 ── B ◀── 200 ── peer                                  releases once)
//! ```
//!
//! An owner that does not answer (dead, cut off) or does not drive the dialog any more is
//! replaced: B claims the dialog in the cluster and drives it itself
//! ([`crate::message_path::in_dialog`]).

use bytes::Bytes;
use dialogd_dialog::{DialogId, Leg};
use futures::future::BoxFuture;

use crate::dialog_actor::DialogAnswer;

/// What the owner said about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerAnswer {
    /// Its actor judged the request.
    Judged(DialogAnswer),
    /// The member runs no actor for the dialog (it lost or ended it, or has not adopted it yet
    /// after a restart).
    NotDriving,
}

/// Why the owner could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("member {node} unreachable: {reason}")]
pub struct Unreachable {
    pub node: u64,
    pub reason: String,
}

/// Asks other members' dialog actors. Set once by the node
/// ([`crate::proxy::Proxy::set_owner_link`]); unset, every owner counts as unreachable.
pub trait OwnerLink: Send + Sync + 'static {
    /// The owner's verdict on `request` (the bytes as received) for dialog `did`.
    fn judge(
        &self,
        owner: u64,
        did: DialogId,
        request: Bytes,
    ) -> BoxFuture<'_, Result<OwnerAnswer, Unreachable>>;

    /// Tells the owner the SDP `leg` answered with (the 2xx to a re-INVITE or UPDATE), which
    /// its actor keeps for hold. Best effort: a lost note only makes a later hold offer the
    /// SDP it knew before.
    fn note_media(&self, owner: u64, did: DialogId, leg: Leg, sdp: Bytes) -> BoxFuture<'_, ()>;
}
