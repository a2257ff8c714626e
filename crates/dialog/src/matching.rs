//! Matching in-dialog requests to dialogs (Kamailio `dlg_match_mode`, RFC 3261 §12.2.2):
//! pure functions over the facts of a request, so the proxy's lookup and the dialog's own
//! check agree by construction. They never look a dialog up nor check a `did`'s MAC: the
//! proxy's registry and `did` codec do, and pass the result in ([`DidCookie`]).
//!
//! ```text
//!  our Record-Route `did` cookie ──▶ lookup(mode, cookie) ──▶ ByDid / ByCallId / NoDialog / Reject
//!  candidate dialog + request    ──▶ match_request(...)   ──▶ Matched(leg) / NotMatched / Forged
//! ```
//!
//! | mode | cookie valid | cookie absent | cookie forged (bad MAC) |
//! |---|---|---|---|
//! | `DidOnly` | that dialog | no dialog | 403 |
//! | `DidFallback` | that dialog (Call-ID if it is gone) | Call-ID + tags | 403 |
//! | `DidNone` | Call-ID + tags (cookie ignored) | Call-ID + tags | Call-ID + tags |
//!
//! The tight check always follows: the Call-ID and both tags must belong to the dialog. A
//! dialog named by a valid cookie that fails it is a forgery (481, the request never reaches
//! the peers; Kamailio would only log and fall back, we reject so a forged BYE cannot end a
//! call); a dialog found by Call-ID that fails it is simply another dialog.

use crate::config::MatchMode;
use crate::facts::RequestFacts;
use crate::id::DialogId;
use crate::state::Leg;

/// What the `did` cookie in our Record-Route (now the request's Route) said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DidCookie {
    /// No cookie in the request.
    Absent,
    /// A cookie whose MAC checks out.
    Valid(DialogId),
    /// A cookie whose MAC is wrong, or that does not decode: a forgery.
    Invalid,
}

/// Where the proxy looks the request's dialog up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Ask the dialog with this id; if there is none and `fallback`, look up by Call-ID.
    ByDid { did: DialogId, fallback: bool },
    /// Ask the dialogs with the request's Call-ID.
    ByCallId,
    /// The request has no dialog: route it as any in-dialog request we do not track.
    NoDialog,
    /// Answer with this and do not forward.
    Reject { code: u16, reason: &'static str },
}

/// Reply to a request whose cookie is forged.
pub const FORGED_COOKIE: (u16, &str) = (403, "Forbidden");
/// Reply to a request whose dialog does not exist (or whose tags do not fit it).
pub const NO_SUCH_DIALOG: (u16, &str) = (481, "Call/Transaction Does Not Exist");

/// Where to look a request up, given the mode and the cookie.
pub fn lookup(mode: MatchMode, cookie: DidCookie) -> Lookup {
    match (mode, cookie) {
        (MatchMode::DidNone, _) => Lookup::ByCallId,
        (_, DidCookie::Invalid) => Lookup::Reject {
            code: FORGED_COOKIE.0,
            reason: FORGED_COOKIE.1,
        },
        (MatchMode::DidOnly, DidCookie::Valid(did)) => Lookup::ByDid {
            did,
            fallback: false,
        },
        (MatchMode::DidFallback, DidCookie::Valid(did)) => Lookup::ByDid {
            did,
            fallback: true,
        },
        (MatchMode::DidOnly, DidCookie::Absent) => Lookup::NoDialog,
        (MatchMode::DidFallback, DidCookie::Absent) => Lookup::ByCallId,
    }
}

/// What identifies a dialog for the tight check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialogKey<'a> {
    pub did: DialogId,
    pub call_id: &'a str,
    /// The From tag of the initial INVITE.
    pub caller_tag: &'a str,
}

/// The outcome of matching one request against one dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOutcome {
    /// The request belongs to the dialog and was sent by this leg.
    Matched(Leg),
    /// Another dialog's request (or none's).
    NotMatched,
    /// It names this dialog (by a valid cookie) but does not fit it, or its cookie is forged.
    Forged,
}

/// A tag as the dialog compares it: a missing tag is the empty tag (RFC 2543 peers).
pub fn tag_of(tag: &Option<String>) -> &str {
    tag.as_deref().unwrap_or("")
}

/// The tight check: the leg that sent `req` and the callee-side tag it names (To tag of a
/// caller's request, From tag of a callee's), if the Call-ID is the dialog's and one of its
/// tags is the caller's. Whether the callee-side tag is known is the caller's to decide.
pub fn direction<'r>(key: &DialogKey<'_>, req: &'r RequestFacts) -> Option<(Leg, &'r str)> {
    if req.call_id != key.call_id {
        return None;
    }
    let (from, to) = (tag_of(&req.from_tag), tag_of(&req.to_tag));
    if from == key.caller_tag {
        Some((Leg::Caller, to))
    } else if to == key.caller_tag {
        Some((Leg::Callee, from))
    } else {
        None
    }
}

/// Decides whether `req` belongs to the dialog `key`, whose callee-side tags (the answering
/// branch and any other branch it heard from) `knows_callee_tag` recognises.
pub fn match_request(
    mode: MatchMode,
    cookie: DidCookie,
    key: &DialogKey<'_>,
    knows_callee_tag: impl Fn(&str) -> bool,
    req: &RequestFacts,
) -> MatchOutcome {
    let by_did = match lookup(mode, cookie) {
        Lookup::Reject { .. } => return MatchOutcome::Forged,
        Lookup::NoDialog => return MatchOutcome::NotMatched,
        Lookup::ByDid { did, .. } if did != key.did => return MatchOutcome::NotMatched,
        Lookup::ByDid { .. } => true,
        Lookup::ByCallId => false,
    };
    match direction(key, req) {
        Some((leg, tag)) if knows_callee_tag(tag) => MatchOutcome::Matched(leg),
        _ if by_did => MatchOutcome::Forged,
        _ => MatchOutcome::NotMatched,
    }
}

#[cfg(test)]
#[path = "matching_tests.rs"]
mod tests;
