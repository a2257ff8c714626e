//! Call transfer by REFER (RFC 3515; attended with Replaces, RFC 3891, RFC 5589) as the
//! OpenSIPS callops module does it for a proxy (`call_transfer`, `E_CALL_TRANSFER`): the
//! Refer-To the proxy sends, the link between the old call and the new one, and the
//! transfer's progress ([`TransferState`]) as the NOTIFYs of the implicit subscription
//! report it. Sans-IO: the proxy sends the REFER, answers the NOTIFYs itself (they are not
//! forwarded), reads their sipfrag status with [`dialogd_sip::sipfrag::sipfrag_status`] and
//! emits a `transfer` event for every state this machine returns.
//!
//! | input | in `Start`, `Notify` | in `Ok`, `Fail` |
//! |---|---|---|
//! | REFER sent | `Start` (emit it as `start`) | |
//! | REFER 2xx (202 Accepted), 1xx | no event | ignored |
//! | REFER ≥ 300 / timeout | `Fail(Refused(code))` / `Fail(ReferTimeout)` | ignored |
//! | NOTIFY 1xx | `Notify(code)`, one event per NOTIFY | ignored |
//! | NOTIFY 2xx | `Ok` | ignored |
//! | NOTIFY 3xx–6xx | `Fail(CallFailed(code))` | ignored |
//! | subscription terminated, no final status yet | `Fail(SubscriptionEnded)` | ignored |
//! | [`abandon`](TransferState::abandon) (proxy timer, dialog ended) | `Fail(Abandoned)` | ignored |
//!
//! Linking (mode `param`): a blind transfer's Refer-To carries [`LINK_PARAM`] with a token the
//! proxy chooses (it names the old dialog, e.g. its `did` with an HMAC, so it cannot be
//! forged). The transferred party copies the Refer-To URI into its new INVITE's request-URI;
//! the proxy finds the token there with [`take_link`], links the new call to the old one and
//! forwards the request-URI without the parameter. Modes `callid` and `manual` send no
//! parameter ([`blind_refer_to`] with `None`).
//!
//! A NOTIFY body that is not a sipfrag status changes nothing here; the proxy still answers
//! the NOTIFY.

use std::fmt;

use dialogd_sip::refer_to::{Replaces, refer_to, refer_to_with_replaces};
use dialogd_sip::uri_edit::{set_uri_param, take_uri_param};

use crate::state::Leg;

/// The URI parameter that links a transferred party's new call to the old one (mode
/// `param`): `<sip:bob@example.com;dlgd_xfer=TOKEN>`. Prefixed so it never collides with a
/// parameter of the destination, nor with OpenSIPS' `osid`.
pub const LINK_PARAM: &str = "dlgd_xfer";

/// The Refer-To of a blind transfer to `destination` (a URI, brackets optional), with the
/// link token as [`LINK_PARAM`] (escaped; an old one replaced) when `token` is given.
pub fn blind_refer_to(destination: &str, token: Option<&str>) -> String {
    match token {
        Some(token) => refer_to(&set_uri_param(destination, LINK_PARAM, token)),
        None => refer_to(destination),
    }
}

/// A new INVITE's request-URI without [`LINK_PARAM`] (to forward), and the link token it
/// carried. `None`: not a linked call.
pub fn take_link(request_uri: &str) -> Option<(String, String)> {
    take_uri_param(request_uri, LINK_PARAM)
}

/// The leg of another dialog that an attended transfer replaces: the party that receives the
/// INVITE with Replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplacedLeg<'a> {
    /// The other dialog's Call-ID.
    pub call_id: &'a str,
    /// Its caller's tag (From tag of its initial INVITE).
    pub caller_tag: &'a str,
    /// Its callee's tag (To tag of its answer).
    pub callee_tag: &'a str,
    /// The side of that dialog that is the transfer target.
    pub leg: Leg,
}

impl<'a> ReplacedLeg<'a> {
    /// The Replaces value as the target sees its dialog: `to-tag` its own tag, `from-tag` its
    /// peer's (RFC 3891 §3).
    pub fn replaces(&self) -> Replaces<'a> {
        let (own, peer) = match self.leg {
            Leg::Caller => (self.caller_tag, self.callee_tag),
            Leg::Callee => (self.callee_tag, self.caller_tag),
        };
        Replaces {
            call_id: self.call_id,
            to_tag: own,
            from_tag: peer,
        }
    }
}

/// The Refer-To of an attended transfer: `target_uri` (the replaced leg's Contact, or its
/// address) with a Replaces header naming its dialog.
pub fn attended_refer_to(target_uri: &str, replaced: &ReplacedLeg<'_>) -> String {
    refer_to_with_replaces(target_uri, &replaced.replaces())
}

/// How a sipfrag status reads for a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyClass {
    /// 1xx: the new call is under way.
    Progress,
    /// 2xx: the new call was answered.
    Success,
    /// 3xx–6xx: the new call failed.
    Failure,
}

impl NotifyClass {
    /// The class of a status code; `None` outside 100–699.
    pub fn of(code: u16) -> Option<NotifyClass> {
        match code {
            100..=199 => Some(NotifyClass::Progress),
            200..=299 => Some(NotifyClass::Success),
            300..=699 => Some(NotifyClass::Failure),
            _ => None,
        }
    }
}

/// Why a transfer failed (the `status` of a `fail` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferFailure {
    /// The REFER got this final response (≥ 300).
    Refused(u16),
    /// The REFER got no final response.
    ReferTimeout,
    /// A NOTIFY reported this final status of the new call (3xx–6xx).
    CallFailed(u16),
    /// The subscription ended (`Subscription-State: terminated`) before a final status.
    SubscriptionEnded,
    /// Given up by the proxy: no final NOTIFY in time, or the dialog ended first.
    Abandoned,
}

impl fmt::Display for TransferFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransferFailure::Refused(code) => write!(f, "refer refused ({code})"),
            TransferFailure::ReferTimeout => f.write_str("refer timeout"),
            TransferFailure::CallFailed(code) => write!(f, "call failed ({code})"),
            TransferFailure::SubscriptionEnded => f.write_str("subscription ended"),
            TransferFailure::Abandoned => f.write_str("abandoned"),
        }
    }
}

/// A transfer's progress; `Ok` and `Fail` are final. Each method returns the new state when
/// the input is an event to emit, `None` when it is ignored (after the end, or meaningless).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferState {
    /// The REFER was sent (the state to emit as `start`), or accepted: no NOTIFY yet.
    Start,
    /// A NOTIFY reported this provisional status.
    Notify(u16),
    /// A NOTIFY reported a 2xx: done.
    Ok,
    /// Failed.
    Fail(TransferFailure),
}

impl TransferState {
    /// The event state name: `start`, `notify`, `ok`, `fail`.
    pub fn as_str(&self) -> &'static str {
        match self {
            TransferState::Start => "start",
            TransferState::Notify(_) => "notify",
            TransferState::Ok => "ok",
            TransferState::Fail(_) => "fail",
        }
    }

    /// True for `Ok` and `Fail`.
    pub fn is_final(&self) -> bool {
        matches!(self, TransferState::Ok | TransferState::Fail(_))
    }

    /// A response to the REFER: 2xx (202 Accepted) changes nothing, ≥ 300 fails the
    /// transfer, 1xx and codes outside 100–699 are ignored.
    pub fn on_refer_response(&mut self, code: u16) -> Option<TransferState> {
        match NotifyClass::of(code)? {
            NotifyClass::Failure => self.to(TransferState::Fail(TransferFailure::Refused(code))),
            NotifyClass::Progress | NotifyClass::Success => None,
        }
    }

    /// The REFER timed out (or could not be sent).
    pub fn on_refer_timeout(&mut self) -> Option<TransferState> {
        self.to(TransferState::Fail(TransferFailure::ReferTimeout))
    }

    /// A NOTIFY's sipfrag status: 1xx `Notify(code)` (every one an event), 2xx `Ok`,
    /// 3xx–6xx `Fail(CallFailed)`; codes outside 100–699 are ignored.
    pub fn on_notify(&mut self, code: u16) -> Option<TransferState> {
        let next = match NotifyClass::of(code)? {
            NotifyClass::Progress => TransferState::Notify(code),
            NotifyClass::Success => TransferState::Ok,
            NotifyClass::Failure => TransferState::Fail(TransferFailure::CallFailed(code)),
        };
        self.to(next)
    }

    /// The subscription was terminated (after the NOTIFY carrying the termination, if that
    /// one had a status, was given to [`on_notify`](TransferState::on_notify)).
    pub fn on_subscription_terminated(&mut self) -> Option<TransferState> {
        self.to(TransferState::Fail(TransferFailure::SubscriptionEnded))
    }

    /// The proxy gives up (its own timer, the dialog ended).
    pub fn abandon(&mut self) -> Option<TransferState> {
        self.to(TransferState::Fail(TransferFailure::Abandoned))
    }

    fn to(&mut self, next: TransferState) -> Option<TransferState> {
        if self.is_final() {
            return None;
        }
        *self = next;
        Some(next)
    }
}

#[cfg(test)]
#[path = "transfer_tests.rs"]
mod tests;
