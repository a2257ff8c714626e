//! The prepaid rules (the "Simple PrePaid" of the OpenSIPS dialog-triggers article), pure:
//! they read a dialog and the clock value they are given, change the [`Ledger`], and say what
//! to answer. No IO.
//!
//! ```text
//!  on_timeout ─▶ credit ≥ unit? ── yes ─▶ credit -= unit, charged += unit ─▶ Extend(unit)
//!                     └─────────── no (or unknown account, or too late) ──▶ Expire
//!  on_hangup ──▶ the call moves from `open` to `calls` with its duration and end cause
//! ```

use std::fmt;
use std::time::Duration;

use dialogd_dialog::{DialogSnapshot, TimeoutDecision};

use crate::ledger::{CallRecord, Ledger, OpenCall};

/// The dialog var naming the account to charge.
pub const ACCOUNT_VAR: &str = "account";

/// The account of a dialog: its var `account` if set, else the user part of the caller URI
/// (`sip:alice@host` → `alice`).
pub fn account_of(dialog: &DialogSnapshot) -> Option<String> {
    if let Some(account) = dialog.vars.get(ACCOUNT_VAR).filter(|a| !a.is_empty()) {
        return Some(account.clone());
    }
    user_part(&dialog.caller.uri).map(str::to_owned)
}

/// The user part of a SIP URI, with or without `<>` and display name.
fn user_part(uri: &str) -> Option<&str> {
    let uri = uri.split_once('<').map_or(uri, |(_, inner)| inner);
    let rest = ["sip:", "sips:", "tel:"]
        .iter()
        .find_map(|scheme| uri.strip_prefix(scheme))?;
    let (user, _host) = rest.split_once('@')?;
    let user = user.split([';', ':']).next().unwrap_or_default();
    (!user.is_empty()).then_some(user)
}

/// What `on_timeout` decided, and why (one log line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeoutOutcome {
    pub decision: TimeoutDecision,
    pub account: Option<String>,
    /// Charged to this call so far (this extension included).
    pub charged_secs: u64,
    /// The account's credit after the decision.
    pub credit_secs: Option<u64>,
    pub reason: &'static str,
}

impl fmt::Display for TimeoutOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.decision {
            TimeoutDecision::Extend(d) => write!(f, "extend {} s", d.as_secs())?,
            TimeoutDecision::Expire => write!(f, "expire")?,
        }
        write!(
            f,
            " ({}); account={} charged={} s credit=",
            self.reason,
            self.account.as_deref().unwrap_or("-"),
            self.charged_secs
        )?;
        match self.credit_secs {
            Some(c) => write!(f, "{c} s"),
            None => write!(f, "-"),
        }
    }
}

/// `on_timeout`: charges one `unit_secs` and extends by it if the account has the credit, else
/// lets the dialog expire. A trigger already past its `deadline_unix_ms` at `now_unix_ms` is
/// not charged (dialogd has expired the dialog already).
pub fn on_timeout(
    ledger: &mut Ledger,
    dialog: &DialogSnapshot,
    unit_secs: u32,
    now_unix_ms: u64,
    deadline_unix_ms: Option<u64>,
) -> TimeoutOutcome {
    let key = dialog.did.to_string();
    let account = account_of(dialog);
    let charged = ledger.open.get(&key).map_or(0, |c| c.charged_secs);
    let credit = account
        .as_ref()
        .and_then(|a| ledger.accounts.get(a).copied());
    let expire = |reason| TimeoutOutcome {
        decision: TimeoutDecision::Expire,
        account: account.clone(),
        charged_secs: charged,
        credit_secs: credit,
        reason,
    };
    if deadline_unix_ms.is_some_and(|d| now_unix_ms > d) {
        return expire("past the deadline");
    }
    let (Some(name), Some(credit)) = (&account, credit) else {
        return expire("unknown account");
    };
    let unit = u64::from(unit_secs);
    if credit < unit {
        return expire("credit below one unit");
    }
    let left = credit - unit;
    ledger.accounts.insert(name.clone(), left);
    let open = ledger.open.entry(key).or_insert_with(|| OpenCall {
        account: name.clone(),
        charged_secs: 0,
    });
    open.charged_secs += unit;
    TimeoutOutcome {
        decision: TimeoutDecision::Extend(Duration::from_secs(unit)),
        account: account.clone(),
        charged_secs: open.charged_secs,
        credit_secs: Some(left),
        reason: "charged one unit",
    }
}

/// `on_hangup`: closes the call and appends its record to the ledger's calls.
pub fn on_hangup(ledger: &mut Ledger, dialog: &DialogSnapshot, now_unix_ms: u64) -> CallRecord {
    let key = dialog.did.to_string();
    let open = ledger.open.remove(&key);
    let record = CallRecord {
        dialog: key,
        call_id: dialog.call_id.clone(),
        account: open
            .as_ref()
            .map(|o| o.account.clone())
            .or_else(|| account_of(dialog)),
        charged_secs: open.map_or(0, |o| o.charged_secs),
        duration_secs: dialog.answer_unix_ms.map_or(0, |answered| {
            now_unix_ms.saturating_sub(answered).saturating_add(500) / 1000
        }),
        end_cause: dialog.end_cause.map(|c| c.to_string()),
    };
    ledger.calls.push(record.clone());
    record
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
