//! Media directions (RFC 4566 §6, RFC 3264 §5.1) and putting a call on hold and back
//! (RFC 3264 §8.4, RFC 6337 §5.3).
//!
//! A media section's direction is its own `a=sendrecv|sendonly|recvonly|inactive`, else the
//! session-level one, else `sendrecv`. To hold the peer, the party whose SDP is re-offered
//! changes its direction as the RFCs say, per media section:
//!
//! | before | [`HoldMode::SendOnly`] | [`HoldMode::Inactive`] |
//! |---|---|---|
//! | sendrecv | sendonly | inactive |
//! | sendonly | sendonly | inactive |
//! | recvonly | inactive | inactive |
//! | inactive | inactive | inactive |
//!
//! Disabled streams (port 0) keep their direction. How a direction is written:
//!
//! | media section has | new direction | edit |
//! |---|---|---|
//! | its own attribute(s) | different | each attribute's name replaced in place |
//! | none | equal to the session-level default | nothing |
//! | none | different | `a=<direction>` added as the section's last line |
//!
//! The session-level attribute is never changed, so after [`unhold`] a media section that had
//! none keeps the `a=` line [`hold`] added, with the original direction: the same meaning,
//! one line more. [`hold`] and [`unhold`] also add one to the `o=` session version
//! ([`super::origin`]): pass them the body the peer last received, and send what they return.

use std::fmt;

use super::layout::{Edit, Layout, apply};
use super::origin;
use crate::error::ParseError;

/// The direction of a media stream, from the point of view of the SDP's author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `a=sendrecv`, also the default when nothing is written.
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

/// How a held party's streams are offered: `sendonly` (music on hold still flows) or
/// `inactive` (nothing flows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum HoldMode {
    /// `sendrecv` becomes `sendonly`, `recvonly` becomes `inactive` (RFC 3264 §8.4).
    #[default]
    SendOnly,
    /// Every stream becomes `inactive`.
    Inactive,
}

impl HoldMode {
    /// Lower-case name for logs and the CLI (`sendonly`, `inactive`).
    pub fn as_str(self) -> &'static str {
        match self {
            HoldMode::SendOnly => "sendonly",
            HoldMode::Inactive => "inactive",
        }
    }
}

impl Direction {
    /// The direction of a media section that says nothing, at either level.
    pub const DEFAULT: Direction = Direction::SendRecv;

    /// The direction an attribute (`sendonly`, without `a=`) names; case-sensitive.
    pub fn parse(attribute: &str) -> Option<Direction> {
        match attribute {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    /// The attribute name, as written after `a=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction offered to hold the peer (module table).
    pub fn held(self, mode: HoldMode) -> Direction {
        match (self, mode) {
            (Direction::SendRecv | Direction::SendOnly, HoldMode::SendOnly) => Direction::SendOnly,
            _ => Direction::Inactive,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A body put on hold, and what to restore on unhold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldSdp {
    /// The body to send: directions held, session version + 1.
    pub body: Vec<u8>,
    /// The effective direction of each media section before, for [`unhold`].
    pub original: Vec<Direction>,
}

/// The effective direction of each media section, in order. Errors: not SDP, a garbage line,
/// no `m=` line.
pub fn directions(body: &[u8]) -> Result<Vec<Direction>, ParseError> {
    let layout = media_layout(body)?;
    Ok(effective(&layout))
}

/// `body` with media section `i` set to `directions[i]` (module table); the session version is
/// left alone. Errors as [`directions`], and [`ParseError::SdpMediaCount`] if the counts differ.
pub fn set_directions(body: &[u8], directions: &[Direction]) -> Result<Vec<u8>, ParseError> {
    let layout = media_layout(body)?;
    Ok(apply(body, direction_edits(&layout, directions)?))
}

/// `body` put on hold with `mode` (module table) and its session version raised by one.
/// Errors as [`directions`], and [`ParseError::SdpOrigin`] without a usable `o=` line.
pub fn hold(body: &[u8], mode: HoldMode) -> Result<HeldSdp, ParseError> {
    let layout = media_layout(body)?;
    let original = effective(&layout);
    let held: Vec<Direction> = original
        .iter()
        .zip(&layout.media)
        .map(|(d, m)| if m.disabled { *d } else { d.held(mode) })
        .collect();
    let mut edits = direction_edits(&layout, &held)?;
    edits.push(origin::version_edit(body, &layout)?);
    Ok(HeldSdp {
        body: apply(body, edits),
        original,
    })
}

/// `body` (the held one the peer last received) with the directions [`hold`] remembered and
/// its session version raised by one. Errors as [`hold`], and [`ParseError::SdpMediaCount`]
/// if the body's media sections are not the ones remembered.
pub fn unhold(body: &[u8], original: &[Direction]) -> Result<Vec<u8>, ParseError> {
    let layout = media_layout(body)?;
    let mut edits = direction_edits(&layout, original)?;
    edits.push(origin::version_edit(body, &layout)?);
    Ok(apply(body, edits))
}

fn media_layout(body: &[u8]) -> Result<Layout, ParseError> {
    let layout = Layout::parse(body)?;
    layout.require_media()?;
    Ok(layout)
}

fn session_default(layout: &Layout) -> Direction {
    layout.session.direction().unwrap_or(Direction::DEFAULT)
}

fn effective(layout: &Layout) -> Vec<Direction> {
    let default = session_default(layout);
    layout
        .media
        .iter()
        .map(|m| m.direction().unwrap_or(default))
        .collect()
}

fn direction_edits(layout: &Layout, wanted: &[Direction]) -> Result<Vec<Edit>, ParseError> {
    if wanted.len() != layout.media.len() {
        return Err(ParseError::SdpMediaCount {
            expected: wanted.len(),
            found: layout.media.len(),
        });
    }
    let default = session_default(layout);
    let mut edits = Vec::new();
    for (media, &want) in layout.media.iter().zip(wanted) {
        if media.directions.is_empty() {
            if want != default {
                let line = format!("a={want}");
                edits.push(layout.append(media, line.as_bytes()));
            }
            continue;
        }
        for (range, have) in &media.directions {
            if *have != want {
                edits.push((range.clone(), want.as_str().as_bytes().to_vec()));
            }
        }
    }
    Ok(edits)
}
