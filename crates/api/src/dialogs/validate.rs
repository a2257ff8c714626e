//! Argument checks for the `Dialogs` RPCs: each turns a raw request field into a domain value or
//! an [`BackendError::InvalidArgument`] whose message names the field and the bad value
//! (`id: dialog id "xyz" is not 1 to 16 hex digits`). Pure functions; must not call the backend.

use dialogd_dialog::{DialogId, DialogState, ProfileKey};

use crate::dialogs::backend::{BackendError, DialogFilter, EndSide};
use crate::dialogs::convert::{end_side_from_proto, state_from_proto};
use crate::pb;

/// Page size used when a `ListDialogs` request gives 0.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// Largest page size a `ListDialogs` request may ask for.
pub const MAX_PAGE_SIZE: usize = 1000;
/// Most extra headers one `EndDialog` may add.
pub const MAX_EXTRA_HEADERS: usize = 16;
/// Longest extra header line, in bytes.
pub const MAX_HEADER_LEN: usize = 1024;
/// Longest profile name or value, in bytes.
pub const MAX_PROFILE_LEN: usize = 256;
/// Longest dialog variable or trigger name, in characters.
pub const MAX_NAME_LEN: usize = 64;
/// Longest dialog variable value, in bytes.
pub const MAX_VAR_VALUE_LEN: usize = 1024;
/// Highest dialog flag number (32 flags).
pub const MAX_FLAG: u32 = 31;
/// Longest timeout, in seconds (what a signed 32-bit timer holds).
pub const MAX_SECONDS: u32 = i32::MAX as u32;

type Result<T> = std::result::Result<T, BackendError>;

/// An `InvalidArgument` error whose message names the field: `{field}: {what}`.
pub fn invalid(field: &str, what: impl std::fmt::Display) -> BackendError {
    BackendError::InvalidArgument(format!("{field}: {what}"))
}

/// A dialog id in hex.
pub fn dialog_id(field: &str, hex: &str) -> Result<DialogId> {
    hex.parse().map_err(|e| invalid(field, e))
}

/// A text field that, when given, must not be empty or hold control characters.
pub fn optional_text(field: &str, value: Option<&str>) -> Result<Option<String>> {
    value.map(|v| required_text(field, v)).transpose()
}

/// A text field that must not be empty or hold control characters.
pub fn required_text(field: &str, value: &str) -> Result<String> {
    if value.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(
            field,
            format_args!("{value:?} holds control characters"),
        ));
    }
    Ok(value.to_owned())
}

/// A profile name.
pub fn profile_name(field: &str, name: &str) -> Result<String> {
    let name = required_text(field, name)?;
    if name.len() > MAX_PROFILE_LEN {
        return Err(invalid(
            field,
            format_args!("{name:?} is longer than {MAX_PROFILE_LEN} bytes"),
        ));
    }
    Ok(name)
}

/// An optional profile value.
pub fn profile_value(field: &str, value: Option<&str>) -> Result<Option<String>> {
    let Some(value) = optional_text(field, value)? else {
        return Ok(None);
    };
    if value.len() > MAX_PROFILE_LEN {
        return Err(invalid(
            field,
            format_args!("{value:?} is longer than {MAX_PROFILE_LEN} bytes"),
        ));
    }
    Ok(Some(value))
}

/// A state filter: 0 means any state.
pub fn state_filter(value: i32) -> Result<Option<DialogState>> {
    match (value, state_from_proto(value)) {
        (0, _) => Ok(None),
        (_, Some(state)) => Ok(Some(state)),
        (_, None) => Err(invalid(
            "state",
            format_args!("{value} is not a dialog state (1 to 5)"),
        )),
    }
}

/// The side of an `EndDialog`: 0 means both.
pub fn end_side(value: i32) -> Result<EndSide> {
    end_side_from_proto(value)
        .ok_or_else(|| invalid("side", format_args!("{value} is not an end side (0 to 3)")))
}

/// A page size: 0 means [`DEFAULT_PAGE_SIZE`], above [`MAX_PAGE_SIZE`] is refused.
pub fn page_size(value: u32) -> Result<usize> {
    match usize::try_from(value) {
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(n) if n <= MAX_PAGE_SIZE => Ok(n),
        _ => Err(invalid(
            "page_size",
            format_args!("{value} is above the maximum of {MAX_PAGE_SIZE}"),
        )),
    }
}

/// A page token: empty for the first page, else the last dialog id of the previous page.
pub fn page_token(token: &str) -> Result<Option<DialogId>> {
    if token.is_empty() {
        return Ok(None);
    }
    token.parse().map(Some).map_err(|_| {
        invalid(
            "page_token",
            format_args!("{token:?} is not a token from a previous page"),
        )
    })
}

/// The filter and page size of a `ListDialogs` request.
pub fn list_request(req: &pb::ListDialogsRequest) -> Result<(DialogFilter, usize)> {
    let profile = match (req.profile.as_deref(), req.profile_value.as_deref()) {
        (None, None) => None,
        (None, Some(value)) => {
            return Err(invalid(
                "profile_value",
                format_args!("{value:?} is given without profile"),
            ));
        }
        (Some(name), value) => Some(ProfileKey {
            name: profile_name("profile", name)?,
            value: profile_value("profile_value", value)?,
        }),
    };
    let size = page_size(req.page_size)?;
    let filter = DialogFilter {
        call_id: optional_text("call_id", req.call_id.as_deref())?,
        from_tag: optional_text("from_tag", req.from_tag.as_deref())?,
        state: state_filter(req.state)?,
        profile,
        owner_node: req.owner_node,
        after: page_token(&req.page_token)?,
        // One more than the page, to know whether another page follows.
        limit: Some(size + 1),
    };
    Ok((filter, size))
}

/// How a `GetDialog` names its dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogKey {
    Id(DialogId),
    Call { call_id: String, from_tag: String },
}

/// The key of a `GetDialog` request.
pub fn get_key(req: &pb::GetDialogRequest) -> Result<DialogKey> {
    match &req.key {
        None => Err(invalid("key", "give id, or call.call_id and call.from_tag")),
        Some(pb::get_dialog_request::Key::Id(hex)) => dialog_id("id", hex).map(DialogKey::Id),
        Some(pb::get_dialog_request::Key::Call(call)) => Ok(DialogKey::Call {
            call_id: required_text("call.call_id", &call.call_id)?,
            from_tag: required_text("call.from_tag", &call.from_tag)?,
        }),
    }
}

/// Extra headers for a BYE: each one `Name: value` on one line, the name a token the proxy
/// does not write itself. Returned trimmed.
pub fn extra_headers(headers: &[String]) -> Result<Vec<String>> {
    if headers.len() > MAX_EXTRA_HEADERS {
        return Err(invalid(
            "extra_headers",
            format_args!(
                "{} headers given, at most {MAX_EXTRA_HEADERS} allowed",
                headers.len()
            ),
        ));
    }
    headers
        .iter()
        .enumerate()
        .map(|(i, h)| extra_header(&format!("extra_headers[{i}]"), h))
        .collect()
}

fn extra_header(field: &str, header: &str) -> Result<String> {
    if header.contains(['\r', '\n']) {
        return Err(invalid(field, format_args!("{header:?} contains CR or LF")));
    }
    if header.len() > MAX_HEADER_LEN {
        return Err(invalid(
            field,
            format_args!("{header:?} is longer than {MAX_HEADER_LEN} bytes"),
        ));
    }
    if header.chars().any(|c| c.is_control() && c != '\t') {
        return Err(invalid(
            field,
            format_args!("{header:?} holds control characters"),
        ));
    }
    let header = header.trim();
    let Some((name, _value)) = header.split_once(':') else {
        return Err(invalid(
            field,
            format_args!("{header:?} is not \"Name: value\""),
        ));
    };
    let name = name.trim_end();
    if name.is_empty() || !name.chars().all(is_token_char) {
        return Err(invalid(
            field,
            format_args!("header name {name:?} is not a token"),
        ));
    }
    if dialogd_sip::HeaderName::parse(name).is_written_by_proxy() {
        return Err(invalid(
            field,
            format_args!("header {name:?} is written by the proxy"),
        ));
    }
    Ok(header.to_owned())
}

/// A timeout in seconds: 1..=[`MAX_SECONDS`].
pub fn seconds(field: &str, value: u32) -> Result<u32> {
    if value == 0 || value > MAX_SECONDS {
        return Err(invalid(
            field,
            format_args!("{value} is not in 1..={MAX_SECONDS}"),
        ));
    }
    Ok(value)
}

/// A dialog flag number: 0..=[`MAX_FLAG`].
pub fn flag(field: &str, value: u32) -> Result<u32> {
    if value > MAX_FLAG {
        return Err(invalid(
            field,
            format_args!("{value} is not in 0..={MAX_FLAG}"),
        ));
    }
    Ok(value)
}

/// A dialog variable or trigger name: 1..=[`MAX_NAME_LEN`] characters of `[A-Za-z0-9_.-]`.
pub fn name(field: &str, value: &str) -> Result<String> {
    if value.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if let Some(bad) = value.chars().find(|c| !is_name_char(*c)) {
        return Err(invalid(
            field,
            format_args!("{value:?} holds {bad:?}; only A-Z a-z 0-9 _ . - are allowed"),
        ));
    }
    if value.len() > MAX_NAME_LEN {
        return Err(invalid(
            field,
            format_args!("{value:?} is longer than {MAX_NAME_LEN} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// A dialog variable value: at most [`MAX_VAR_VALUE_LEN`] bytes, no CR or LF (may be empty).
pub fn var_value(field: &str, value: &str) -> Result<String> {
    if value.contains(['\r', '\n']) {
        return Err(invalid(field, format_args!("{value:?} contains CR or LF")));
    }
    if value.len() > MAX_VAR_VALUE_LEN {
        return Err(invalid(
            field,
            format_args!("{} bytes, at most {MAX_VAR_VALUE_LEN} allowed", value.len()),
        ));
    }
    Ok(value.to_owned())
}

/// Trigger names for `SetTriggers`, each a [`name`]; empty means none.
pub fn trigger_names(names: &[String]) -> Result<Vec<String>> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| name(&format!("names[{i}]"), n))
        .collect()
}

/// A profile named by `name` and optional `value` fields.
pub fn profile_key(name: &str, value: Option<&str>) -> Result<ProfileKey> {
    Ok(ProfileKey {
        name: profile_name("name", name)?,
        value: profile_value("value", value)?,
    })
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// RFC 3261 §25.1 `token` characters.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
