//! Unit tests of `validate.rs`.

use super::*;

fn message(e: BackendError) -> String {
    match e {
        BackendError::InvalidArgument(m) => m,
        other => panic!("not INVALID_ARGUMENT: {other:?}"),
    }
}

fn by_id(hex: &str) -> Option<pb::DialogRef> {
    Some(pb::DialogRef {
        key: Some(pb::dialog_ref::Key::Id(hex.into())),
    })
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
    let long = format!("sip:{}@example.com", "a".repeat(MAX_URI_LEN));
    assert!(message(refer_to(&long).unwrap_err()).contains("bytes, at most 1024"));
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
    assert!(message(dialog_ref(by_id("xyz").as_ref()).unwrap_err()).starts_with("dialog.id: "));
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

fn blind(side: pb::CallSide, destination: &str) -> pb::TransferRequest {
    pb::TransferRequest {
        dialog: by_id("1f"),
        side: side.into(),
        destination: destination.into(),
        replaces: None,
        link_mode: 0,
        extra_headers: vec![],
    }
}

fn attended(other: Option<pb::DialogRef>, side: pb::CallSide) -> pb::TransferRequest {
    pb::TransferRequest {
        replaces: Some(pb::ReplacesRef {
            dialog: other,
            side: side.into(),
        }),
        ..blind(pb::CallSide::Callee, "")
    }
}

#[test]
fn a_blind_transfer_needs_one_leg_and_a_destination_uri() {
    let t = transfer(&blind(pb::CallSide::Caller, "<sip:carol@example.com>")).unwrap();
    assert_eq!(
        t,
        Transfer {
            leg: Leg::Caller,
            to: TransferTo::Blind("sip:carol@example.com".into()),
            mode: LinkMode::Param,
            extra_headers: vec![],
        }
    );
    let tel = transfer(&blind(pb::CallSide::Callee, "tel:+15551234")).unwrap();
    assert_eq!(tel.to, TransferTo::Blind("tel:+15551234".into()));

    let cases = [
        (blind(pb::CallSide::Both, "sip:c@x"), "side: "),
        (blind(pb::CallSide::Unspecified, "sip:c@x"), "side: "),
        (blind(pb::CallSide::Caller, ""), "destination: required"),
        (blind(pb::CallSide::Caller, "carol"), "destination: "),
        (
            pb::TransferRequest {
                link_mode: 9,
                ..blind(pb::CallSide::Caller, "sip:c@x")
            },
            "link_mode: ",
        ),
        (
            pb::TransferRequest {
                extra_headers: vec!["Via: x".into()],
                ..blind(pb::CallSide::Caller, "sip:c@x")
            },
            "extra_headers[0]: ",
        ),
    ];
    for (req, want) in cases {
        let m = message(transfer(&req).unwrap_err());
        assert!(m.starts_with(want), "{want}: {m}");
    }
}

#[test]
fn an_attended_transfer_names_the_other_dialog_and_its_leg() {
    let t = transfer(&attended(by_id("2a"), pb::CallSide::Callee)).unwrap();
    assert_eq!(t.leg, Leg::Callee);
    assert_eq!(
        t.to,
        TransferTo::Attended {
            other: DialogRef::Id(DialogId(0x2a)),
            leg: Leg::Callee,
            destination: None,
        }
    );
    let with_uri = pb::TransferRequest {
        destination: "sips:dave@example.com".into(),
        link_mode: pb::LinkMode::Manual.into(),
        ..attended(by_id("2a"), pb::CallSide::Caller)
    };
    let t = transfer(&with_uri).unwrap();
    assert_eq!(
        t.to,
        TransferTo::Attended {
            other: DialogRef::Id(DialogId(0x2a)),
            leg: Leg::Caller,
            destination: Some("sips:dave@example.com".into()),
        }
    );
    assert_eq!(t.mode, LinkMode::Manual);

    let cases = [
        (attended(None, pb::CallSide::Callee), "replaces.dialog: "),
        (
            attended(by_id("zz"), pb::CallSide::Callee),
            "replaces.dialog.id: ",
        ),
        (attended(by_id("2a"), pb::CallSide::Both), "replaces.side: "),
        (
            pb::TransferRequest {
                destination: "http://x".into(),
                ..attended(by_id("2a"), pb::CallSide::Callee)
            },
            "destination: ",
        ),
    ];
    for (req, want) in cases {
        let m = message(transfer(&req).unwrap_err());
        assert!(m.starts_with(want), "{want}: {m}");
    }
}

#[test]
fn link_and_hold_modes_default_and_refuse_unknown_numbers() {
    assert_eq!(link_mode(0).unwrap(), LinkMode::Param);
    assert_eq!(link_mode(2).unwrap(), LinkMode::CallId);
    assert!(message(link_mode(4).unwrap_err()).starts_with("link_mode: "));
    assert_eq!(hold_mode(0).unwrap(), HoldMode::SendOnly);
    assert_eq!(hold_mode(1).unwrap(), HoldMode::SendOnly);
    assert_eq!(hold_mode(2).unwrap(), HoldMode::Inactive);
    assert!(message(hold_mode(3).unwrap_err()).starts_with("mode: "));
    let m = message(dialog_ref_at("new_dialog", None).unwrap_err());
    assert!(m.starts_with("new_dialog: give new_dialog.id"), "{m}");
}

#[test]
fn a_bridge_calls_a_sip_uri_and_sends_it_to_any_uri() {
    let req = |from: &str, to: &str, proxy: &str| pb::BridgeRequest {
        from: from.into(),
        to: to.into(),
        outbound_proxy: proxy.into(),
        extra_headers: vec!["X-Campaign: 7".into()],
    };
    assert_eq!(
        bridge(&req("sip:alice@a.example", "tel:+15551234", "")).unwrap(),
        BridgeRequest {
            from: "sip:alice@a.example".into(),
            to: "tel:+15551234".into(),
            outbound_proxy: None,
            extra_headers: vec!["X-Campaign: 7".into()],
        }
    );
    let via = bridge(&req("sips:a@x", "sip:b@y", " <sip:10.0.0.2:5060> ")).unwrap();
    assert_eq!(via.outbound_proxy.as_deref(), Some("sip:10.0.0.2:5060"));

    let cases = [
        (
            req("tel:+1555", "sip:b@y", ""),
            "from: \"tel:+1555\" is not a sip: or sips: URI",
        ),
        (req("", "sip:b@y", ""), "from: "),
        (req("sip:a@x", "", ""), "to: "),
        (
            req("sip:a@x", "b", ""),
            "to: \"b\" is not a sip:, sips: or tel: URI",
        ),
        (req("sip:a@x", "sip:b@y", "tel:+1"), "outbound_proxy: "),
        (req("sip:a@x", "sip:b@y", "10.0.0.2"), "outbound_proxy: "),
    ];
    for (r, want) in cases {
        let m = message(bridge(&r).unwrap_err());
        assert!(m.starts_with(want), "{want}: {m}");
    }
    let bad_header = pb::BridgeRequest {
        extra_headers: vec!["no colon".into()],
        ..req("sip:a@x", "sip:b@y", "")
    };
    assert!(message(bridge(&bad_header).unwrap_err()).starts_with("extra_headers[0]: "));
}
