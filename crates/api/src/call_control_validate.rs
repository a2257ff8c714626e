//! Argument checks of the `CallControl` RPCs: each turns a raw field into a domain value or an
//! `InvalidArgument` whose message names the field (`refer_to: "x" is not a sip:, sips: or
//! tel: URI`). Pure functions; the dialog reference's Call-ID form is resolved by the service.

use std::time::Duration;

use dialogd_dialog::{
    DEFAULT_FAILED_LIMIT, DialogId, KeepaliveConfig, Leg, MAX_KEEPALIVE_INTERVAL,
};
use dialogd_sip::values::Uri;

use crate::backend::{BackendError, EndSide};
use crate::pb;
use crate::validate::{dialog_id, invalid, required_text};

type Result<T> = std::result::Result<T, BackendError>;

/// Longest Refer-To URI, in bytes.
pub const MAX_REFER_TO_LEN: usize = 1024;

/// How a request names its dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogRef {
    Id(DialogId),
    Call { call_id: String, from_tag: String },
}

/// The `dialog` field: an id, or a Call-ID and From tag.
pub fn dialog_ref(r: Option<&pb::DialogRef>) -> Result<DialogRef> {
    match r.and_then(|r| r.key.as_ref()) {
        None => Err(invalid(
            "dialog",
            "give dialog.id, or dialog.call.call_id and dialog.call.from_tag",
        )),
        Some(pb::dialog_ref::Key::Id(hex)) => dialog_id("dialog.id", hex).map(DialogRef::Id),
        Some(pb::dialog_ref::Key::Call(call)) => Ok(DialogRef::Call {
            call_id: required_text("dialog.call.call_id", &call.call_id)?,
            from_tag: required_text("dialog.call.from_tag", &call.from_tag)?,
        }),
    }
}

/// The side of an `End`: unspecified means both.
pub fn end_side(value: i32) -> Result<EndSide> {
    match pb::CallSide::try_from(value) {
        Ok(pb::CallSide::Unspecified | pb::CallSide::Both) => Ok(EndSide::Both),
        Ok(pb::CallSide::Caller) => Ok(EndSide::Caller),
        Ok(pb::CallSide::Callee) => Ok(EndSide::Callee),
        Err(_) => Err(invalid(
            "side",
            format_args!("{value} is not a call side (0 to 3)"),
        )),
    }
}

/// The leg of a `Refer`: CALLER or CALLEE.
pub fn one_leg(value: i32) -> Result<Leg> {
    match pb::CallSide::try_from(value) {
        Ok(pb::CallSide::Caller) => Ok(Leg::Caller),
        Ok(pb::CallSide::Callee) => Ok(Leg::Callee),
        _ => Err(invalid(
            "side",
            format_args!("{value} is not CALLER (1) or CALLEE (2): a REFER goes to one leg"),
        )),
    }
}

/// A Refer-To URI: `sip:`/`sips:` with a host, or `tel:`; angle brackets optional; returned
/// without them.
pub fn refer_to(value: &str) -> Result<String> {
    let field = "refer_to";
    let text = required_text(field, value.trim())?;
    if text.len() > MAX_REFER_TO_LEN {
        return Err(invalid(
            field,
            format_args!("{} bytes, at most {MAX_REFER_TO_LEN} allowed", text.len()),
        ));
    }
    let bare = text
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(&text);
    let bad = || {
        invalid(
            field,
            format_args!("{value:?} is not a sip:, sips: or tel: URI"),
        )
    };
    if bare.contains(['<', '>', ' ', '"']) {
        return Err(bad());
    }
    let lower = bare.to_ascii_lowercase();
    let ok = if lower.starts_with("tel:") {
        bare.len() > 4
    } else {
        Uri::parse(bare)
            .is_some_and(|u| matches!(u.scheme.as_str(), "sip" | "sips") && !u.host.is_empty())
    };
    if !ok {
        return Err(bad());
    }
    Ok(bare.to_owned())
}

/// The keep-alive of a `SetKeepalive`: `None` when neither leg is probed.
pub fn keepalive(req: &pb::SetKeepaliveRequest) -> Result<Option<KeepaliveConfig>> {
    if !req.caller && !req.callee {
        return Ok(None);
    }
    let max = MAX_KEEPALIVE_INTERVAL.as_secs();
    if req.interval_secs == 0 || u64::from(req.interval_secs) > max {
        return Err(invalid(
            "interval_secs",
            format_args!("{} is not in 1..={max}", req.interval_secs),
        ));
    }
    Ok(Some(KeepaliveConfig {
        caller: req.caller,
        callee: req.callee,
        interval: Duration::from_secs(u64::from(req.interval_secs)),
        failed_limit: DEFAULT_FAILED_LIMIT,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: BackendError) -> String {
        match e {
            BackendError::InvalidArgument(m) => m,
            other => panic!("not INVALID_ARGUMENT: {other:?}"),
        }
    }

    #[test]
    fn refer_to_takes_sip_sips_and_tel_uris_with_or_without_brackets() {
        for (input, want) in [
            ("sip:bob@example.com", "sip:bob@example.com"),
            (
                "<sips:bob@example.com;transport=tcp>",
                "sips:bob@example.com;transport=tcp",
            ),
            (" tel:+15551234 ", "tel:+15551234"),
        ] {
            assert_eq!(refer_to(input).unwrap(), want);
        }
        for bad in [
            "",
            "bob",
            "http://x",
            "sip:",
            "<sip:a@b",
            "sip:a@b>\r\nX: y",
            "tel:",
        ] {
            let m = message(refer_to(bad).unwrap_err());
            assert!(m.starts_with("refer_to: "), "{bad:?}: {m}");
        }
    }

    #[test]
    fn sides_legs_refs_and_intervals_name_their_field() {
        assert_eq!(end_side(0).unwrap(), EndSide::Both);
        assert_eq!(end_side(2).unwrap(), EndSide::Callee);
        assert!(message(end_side(9).unwrap_err()).starts_with("side: "));
        assert_eq!(one_leg(1).unwrap(), Leg::Caller);
        for bad in [0, 3, 7] {
            assert!(message(one_leg(bad).unwrap_err()).starts_with("side: "));
        }
        assert!(message(dialog_ref(None).unwrap_err()).starts_with("dialog: "));
        let by_id = pb::DialogRef {
            key: Some(pb::dialog_ref::Key::Id("xyz".into())),
        };
        assert!(message(dialog_ref(Some(&by_id)).unwrap_err()).starts_with("dialog.id: "));
        let by_call = pb::DialogRef {
            key: Some(pb::dialog_ref::Key::Call(pb::CallRef {
                call_id: "c".into(),
                from_tag: String::new(),
            })),
        };
        let m = message(dialog_ref(Some(&by_call)).unwrap_err());
        assert!(m.starts_with("dialog.call.from_tag: "), "{m}");

        let ka = |caller, callee, interval_secs| pb::SetKeepaliveRequest {
            dialog: None,
            caller,
            callee,
            interval_secs,
        };
        assert_eq!(keepalive(&ka(false, false, 0)).unwrap(), None);
        let on = keepalive(&ka(false, true, 2)).unwrap().unwrap();
        assert_eq!(
            (on.caller, on.callee, on.interval.as_secs()),
            (false, true, 2)
        );
        for bad in [0, 86_401] {
            let m = message(keepalive(&ka(true, false, bad)).unwrap_err());
            assert!(m.starts_with("interval_secs: "), "{m}");
        }
    }
}
