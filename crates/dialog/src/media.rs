//! What a dialog knows of its media, for hold and unhold by the proxy (OpenSIPS callops
//! `call_hold` / `call_unhold`): the last SDP each leg sent (offer or answer, in the INVITE,
//! a 1xx/2xx, an ACK, a re-INVITE, an UPDATE or their 2xx) and which legs the proxy holds.
//! Sans-IO: the proxy feeds it bodies with [`Media::note`] and sends the re-INVITEs whose
//! bodies [`Media::hold`] and [`Media::unhold`] return.
//!
//! ```text
//!  note(leg, sdp) ─▶ last SDP of leg            (the peer's offer for a re-INVITE to the other)
//!  hold(mode)     ─▶ for each leg L: peer SDP of L held (sendonly/inactive), o= version + 1
//!                    Held { L: body sent, original directions }   Err(AlreadyHeld, NoSdp)
//!  answered(L, ok)─▶ a leg that refused is not held; none held: not on hold any more
//!  unhold()       ─▶ for each held leg: the body sent, directions restored, o= version + 1
//!                    Err(NotHeld)
//! ```
//!
//! A leg is offered the SDP **its peer** last sent: that is the media it is talking to, so
//! the re-INVITE changes nothing but the direction. The session version is raised over the
//! peer's, as RFC 3264 §8 asks of a changed offer. Open: when the peer later sends its own
//! re-INVITE, its version may not be above the one the proxy used (the held leg may then
//! ignore the change); no version rewriting is done. The bodies stay in the actor only (not
//! in the replicated record): a node that adopts the dialog knows no SDP until the next
//! offer or answer, and a hold there is refused with [`MediaError::NoSdp`].

use std::fmt;

use dialogd_sip::sdp::{self, Direction, HoldMode};

use crate::state::Leg;

/// Bodies larger than this are not kept (a 16 KiB SDP is not a call the proxy holds).
pub const MAX_SDP_LEN: usize = 16 * 1024;

/// Why a hold or unhold cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaError {
    /// A hold of a call the proxy holds already.
    AlreadyHeld,
    /// An unhold of a call the proxy does not hold.
    NotHeld,
    /// No leg could be offered a held SDP: no SDP seen from the peer, or it is not SDP the
    /// proxy can edit (the reason given).
    NoSdp(String),
}

impl fmt::Display for MediaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaError::AlreadyHeld => f.write_str("the call is already on hold"),
            MediaError::NotHeld => f.write_str("the call is not on hold"),
            MediaError::NoSdp(why) => write!(f, "no SDP to offer: {why}"),
        }
    }
}

/// One leg put on hold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct HeldLeg {
    leg: Leg,
    /// The body of the hold re-INVITE.
    sent: Vec<u8>,
    /// Each media section's direction before.
    #[serde(with = "direction_codes")]
    original: Vec<Direction>,
}

/// The media side of one dialog.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Media {
    caller_sdp: Option<Vec<u8>>,
    callee_sdp: Option<Vec<u8>>,
    /// `Some` from a hold until its unhold (or until every leg refused it).
    held: Option<Vec<HeldLeg>>,
}

impl Media {
    /// `from` sent this SDP body (ignored when empty or over [`MAX_SDP_LEN`]).
    pub fn note(&mut self, from: Leg, body: &[u8]) {
        if body.is_empty() || body.len() > MAX_SDP_LEN {
            return;
        }
        *self.sdp_mut(from) = Some(body.to_vec());
    }

    /// The last SDP `leg` sent.
    pub fn sdp(&self, leg: Leg) -> Option<&[u8]> {
        match leg {
            Leg::Caller => self.caller_sdp.as_deref(),
            Leg::Callee => self.callee_sdp.as_deref(),
        }
    }

    fn sdp_mut(&mut self, leg: Leg) -> &mut Option<Vec<u8>> {
        match leg {
            Leg::Caller => &mut self.caller_sdp,
            Leg::Callee => &mut self.callee_sdp,
        }
    }

    /// True from a hold until its unhold.
    pub fn is_held(&self) -> bool {
        self.held.is_some()
    }

    /// The hold re-INVITE bodies, caller first: each leg gets its peer's SDP held with
    /// `mode`. A leg whose peer SDP is unknown or not editable is left out (the other is
    /// still held); `Err` if neither can be offered or the call is held already.
    pub fn hold(&mut self, mode: HoldMode) -> Result<Vec<(Leg, Vec<u8>)>, MediaError> {
        if self.held.is_some() {
            return Err(MediaError::AlreadyHeld);
        }
        let mut held = Vec::new();
        let mut why = Vec::new();
        for leg in [Leg::Caller, Leg::Callee] {
            let Some(peer) = self.sdp(leg.other()) else {
                why.push(format!("no SDP seen from the {}", leg.other().as_str()));
                continue;
            };
            match sdp::hold(peer, mode) {
                Ok(h) => held.push(HeldLeg {
                    leg,
                    sent: h.body,
                    original: h.original,
                }),
                Err(e) => why.push(format!("the {}'s SDP: {e}", leg.other().as_str())),
            }
        }
        if held.is_empty() {
            return Err(MediaError::NoSdp(why.join("; ")));
        }
        let bodies = held.iter().map(|h| (h.leg, h.sent.clone())).collect();
        self.held = Some(held);
        Ok(bodies)
    }

    /// A leg answered its hold re-INVITE: a leg that refused (or did not answer) is not
    /// held; when no leg is held the call is not on hold any more.
    pub fn hold_answered(&mut self, leg: Leg, accepted: bool) {
        if accepted {
            return;
        }
        if let Some(held) = self.held.as_mut() {
            held.retain(|h| h.leg != leg);
            if held.is_empty() {
                self.held = None;
            }
        }
    }

    /// The unhold re-INVITE bodies for the held legs: the hold body with the original
    /// directions and the session version raised again. The call is not held afterwards.
    pub fn unhold(&mut self) -> Result<Vec<(Leg, Vec<u8>)>, MediaError> {
        let held = self.held.take().ok_or(MediaError::NotHeld)?;
        let mut bodies = Vec::new();
        for h in held {
            // The body was produced by `sdp::hold`, so it edits again; a leg whose body
            // would not is left out of the answer (the caller reports it as not resumed).
            if let Ok(body) = sdp::unhold(&h.sent, &h.original) {
                bodies.push((h.leg, body));
            }
        }
        Ok(bodies)
    }
}

/// [`Direction`]s as one byte each (the SDP crate's type carries no serde), for the packed
/// form of a held call ([`crate::PackedDialog`]).
mod direction_codes {
    use dialogd_sip::sdp::Direction;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    const ALL: [Direction; 4] = [
        Direction::SendRecv,
        Direction::SendOnly,
        Direction::RecvOnly,
        Direction::Inactive,
    ];

    fn code(d: Direction) -> u8 {
        match d {
            Direction::SendRecv => 0,
            Direction::SendOnly => 1,
            Direction::RecvOnly => 2,
            Direction::Inactive => 3,
        }
    }

    pub fn serialize<S: Serializer>(dirs: &[Direction], s: S) -> Result<S::Ok, S::Error> {
        let codes: Vec<u8> = dirs.iter().map(|d| code(*d)).collect();
        codes.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Direction>, D::Error> {
        Vec::<u8>::deserialize(d)?
            .into_iter()
            .map(|c| {
                ALL.get(usize::from(c))
                    .copied()
                    .ok_or_else(|| serde::de::Error::custom(format!("no direction {c}")))
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "media_tests.rs"]
mod tests;
