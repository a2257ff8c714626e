//! Read-only views of a [`Dialog`]: accessors, the matching key and the API snapshot
//! ([`DialogSnapshot`], every field filled from the dialog's own state).

use std::time::{Duration, Instant};

use crate::branches::Branches;
use crate::config::MatchMode;
use crate::dialog::Dialog;
use crate::facts::RequestFacts;
use crate::id::DialogId;
use crate::matching::{self, DialogKey, DidCookie, MatchOutcome};
use crate::snapshot::{DialogSnapshot, LegView};
use crate::state::{DialogState, EndCause, Leg};

impl Dialog {
    /// Whether a request naming this dialog belongs to it ([`matching::match_request`]).
    pub fn matches(&self, mode: MatchMode, cookie: DidCookie, req: &RequestFacts) -> MatchOutcome {
        matching::match_request(
            mode,
            cookie,
            &self.key(),
            |t| self.branches.role(t).is_some(),
            req,
        )
    }

    /// What identifies the dialog for matching.
    pub fn key(&self) -> DialogKey<'_> {
        DialogKey {
            did: self.did,
            call_id: &self.invite.call_id,
            caller_tag: &self.invite.from_tag,
        }
    }

    pub fn did(&self) -> DialogId {
        self.did
    }
    pub fn state(&self) -> DialogState {
        self.state
    }
    pub fn call_id(&self) -> &str {
        &self.invite.call_id
    }
    pub fn caller_tag(&self) -> &str {
        &self.invite.from_tag
    }
    /// The To tag of the answering branch, once answered.
    pub fn callee_tag(&self) -> Option<&str> {
        self.branches.answered()
    }
    /// The fork branches heard from.
    pub fn branches(&self) -> &Branches {
        &self.branches
    }
    pub fn end_cause(&self) -> Option<EndCause> {
        self.end_cause
    }
    pub fn timeout(&self) -> Duration {
        self.clock.timeout()
    }
    pub fn bye_on_timeout(&self) -> bool {
        self.bye_on_timeout
    }
    /// A leg's Contact URI (its remote target), once known: the caller's from the INVITE
    /// (or a later target refresh), the callee's from the 2xx.
    pub fn contact(&self, leg: Leg) -> Option<&str> {
        match leg {
            Leg::Caller => self.caller_contact.as_deref(),
            Leg::Callee => self.callee.as_ref().and_then(|c| c.contact.as_deref()),
        }
    }

    /// A view for the API; `owner_node` is the node driving the dialog now.
    pub fn snapshot(&self, now: Instant, owner_node: u64) -> DialogSnapshot {
        let callee = self.callee.as_ref();
        DialogSnapshot {
            did: self.did,
            call_id: self.invite.call_id.clone(),
            state: self.state,
            caller: LegView {
                uri: self.invite.from_uri.clone(),
                tag: Some(self.invite.from_tag.clone()),
                contact: self.caller_contact.clone(),
                cseq: self.caller_cseq.last().unwrap_or(self.invite.cseq),
                route_set: self.caller_routes.routes().to_vec(),
                source: self.invite.source.clone(),
            },
            callee: LegView {
                uri: self.invite.to_uri.clone(),
                tag: self.callee_tag().map(str::to_owned),
                contact: callee.and_then(|c| c.contact.clone()),
                cseq: self.callee_cseq.last().unwrap_or(0),
                route_set: callee
                    .map(|c| c.routes.routes().to_vec())
                    .unwrap_or_default(),
                source: callee.and_then(|c| c.source.clone()),
            },
            request_uri: self.invite.request_uri.clone(),
            start_unix_ms: self.start_unix_ms,
            answer_unix_ms: self.answer_unix_ms,
            timeout_secs: u32::try_from(self.clock.timeout().as_secs()).unwrap_or(u32::MAX),
            timeout_left_secs: self.clock.left(now).map(|d| d.as_secs()),
            bye_on_timeout: self.bye_on_timeout,
            timeout_noreset: self.clock.noreset(),
            flags: self.flags.bits(),
            vars: self.vars.clone(),
            profiles: self.profiles.clone(),
            triggers: self.triggers.clone(),
            owner_node,
            end_cause: self.end_cause,
        }
    }
}
