//! Unit tests of `validate.rs`.

use super::*;

fn message(r: Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(BackendError::InvalidArgument(m)) => m,
        other => panic!("expected invalid argument, got {other:?}"),
    }
}

#[test]
fn extra_header_table() {
    let ok = [
        ("Reason: Q.850;cause=16", "Reason: Q.850;cause=16"),
        ("  X-Why: operator  ", "X-Why: operator"),
        ("X-Empty:", "X-Empty:"),
        ("X-Tab:\tv", "X-Tab:\tv"),
    ];
    for (input, want) in ok {
        assert_eq!(extra_header("h", input).unwrap(), want, "{input:?}");
    }
    let bad = [
        ("Reason", "h: \"Reason\" is not \"Name: value\""),
        (
            "X: a\r\nVia: evil",
            "h: \"X: a\\r\\nVia: evil\" contains CR or LF",
        ),
        ("X: a\nb", "contains CR or LF"),
        (": v", "header name \"\" is not a token"),
        ("Bad Name: v", "header name \"Bad Name\" is not a token"),
        (
            "Via: SIP/2.0/UDP x",
            "header \"Via\" is written by the proxy",
        ),
        ("call-id: x", "header \"call-id\" is written by the proxy"),
        ("i: x", "header \"i\" is written by the proxy"),
        ("X: \u{0}", "holds control characters"),
    ];
    for (input, want) in bad {
        let m = message(extra_header("h", input));
        assert!(m.contains(want), "{input:?}: {m}");
    }
    let long = format!("X: {}", "a".repeat(MAX_HEADER_LEN));
    assert!(message(extra_header("h", &long)).contains("longer than"));
}

#[test]
fn extra_headers_name_the_index() {
    let headers = vec!["X-A: 1".to_owned(), "nope".to_owned()];
    assert_eq!(
        message(extra_headers(&headers)),
        "extra_headers[1]: \"nope\" is not \"Name: value\""
    );
    let many = vec!["X: 1".to_owned(); MAX_EXTRA_HEADERS + 1];
    assert!(message(extra_headers(&many)).starts_with("extra_headers: 17 headers given"));
    assert_eq!(extra_headers(&[]).unwrap(), Vec::<String>::new());
}

#[test]
fn ids_tokens_and_page_sizes() {
    assert_eq!(dialog_id("id", "ff").unwrap(), DialogId(0xff));
    assert_eq!(
        message(dialog_id("id", "xyz")),
        "id: dialog id \"xyz\" is not 1 to 16 hex digits"
    );
    assert_eq!(page_token("").unwrap(), None);
    assert_eq!(page_token("10").unwrap(), Some(DialogId(16)));
    assert!(message(page_token("nope")).starts_with("page_token: \"nope\""));
    let sizes = [
        (0, Some(DEFAULT_PAGE_SIZE)),
        (1, Some(1)),
        (1000, Some(1000)),
        (1001, None),
        (u32::MAX, None),
    ];
    for (input, want) in sizes {
        assert_eq!(page_size(input).ok(), want, "{input}");
    }
    assert_eq!(
        message(page_size(5000)),
        "page_size: 5000 is above the maximum of 1000"
    );
}

#[test]
fn states_and_sides() {
    assert_eq!(state_filter(0).unwrap(), None);
    assert_eq!(state_filter(4).unwrap(), Some(DialogState::Confirmed));
    assert_eq!(
        message(state_filter(9)),
        "state: 9 is not a dialog state (1 to 5)"
    );
    assert_eq!(end_side(0).unwrap(), EndSide::Both);
    assert_eq!(end_side(3).unwrap(), EndSide::Callee);
    assert_eq!(message(end_side(7)), "side: 7 is not an end side (0 to 3)");
}

#[test]
fn list_request_table() {
    let base = pb::ListDialogsRequest::default();
    let (filter, size) = list_request(&base).unwrap();
    assert_eq!(size, DEFAULT_PAGE_SIZE);
    assert_eq!(
        filter,
        DialogFilter {
            limit: Some(DEFAULT_PAGE_SIZE + 1),
            ..Default::default()
        }
    );

    let full = pb::ListDialogsRequest {
        call_id: Some("c1".into()),
        from_tag: Some("t1".into()),
        state: 2,
        profile: Some("caller".into()),
        profile_value: Some("alice".into()),
        owner_node: Some(4),
        page_size: 10,
        page_token: "0a".into(),
    };
    let (filter, size) = list_request(&full).unwrap();
    assert_eq!(size, 10);
    assert_eq!(
        filter,
        DialogFilter {
            call_id: Some("c1".into()),
            from_tag: Some("t1".into()),
            state: Some(DialogState::Early),
            profile: Some(ProfileKey::with_value("caller", "alice")),
            owner_node: Some(4),
            after: Some(DialogId(10)),
            limit: Some(11),
        }
    );

    let bad = [
        (
            pb::ListDialogsRequest {
                call_id: Some(String::new()),
                ..base.clone()
            },
            "call_id: must not be empty",
        ),
        (
            pb::ListDialogsRequest {
                from_tag: Some(String::new()),
                ..base.clone()
            },
            "from_tag: must not be empty",
        ),
        (
            pb::ListDialogsRequest {
                state: 8,
                ..base.clone()
            },
            "state: 8",
        ),
        (
            pb::ListDialogsRequest {
                profile: Some(String::new()),
                ..base.clone()
            },
            "profile: must not be empty",
        ),
        (
            pb::ListDialogsRequest {
                profile_value: Some("alice".into()),
                ..base.clone()
            },
            "profile_value: \"alice\" is given without profile",
        ),
        (
            pb::ListDialogsRequest {
                page_size: 1001,
                ..base.clone()
            },
            "page_size: 1001",
        ),
        (
            pb::ListDialogsRequest {
                page_token: "g".into(),
                ..base.clone()
            },
            "page_token: \"g\"",
        ),
    ];
    for (req, want) in bad {
        let m = message(list_request(&req));
        assert!(m.starts_with(want), "{req:?}: {m}");
    }
}

#[test]
fn get_keys() {
    use pb::get_dialog_request::Key;
    let by_id = pb::GetDialogRequest {
        key: Some(Key::Id("1f".into())),
    };
    assert_eq!(get_key(&by_id).unwrap(), DialogKey::Id(DialogId(0x1f)));
    let by_call = pb::GetDialogRequest {
        key: Some(Key::Call(pb::CallRef {
            call_id: "c".into(),
            from_tag: "t".into(),
        })),
    };
    assert_eq!(
        get_key(&by_call).unwrap(),
        DialogKey::Call {
            call_id: "c".into(),
            from_tag: "t".into()
        }
    );
    let no_tag = pb::GetDialogRequest {
        key: Some(Key::Call(pb::CallRef {
            call_id: "c".into(),
            from_tag: String::new(),
        })),
    };
    assert_eq!(
        message(get_key(&no_tag)),
        "call.from_tag: must not be empty"
    );
    assert!(message(get_key(&pb::GetDialogRequest { key: None })).starts_with("key: "));
    let bad_id = pb::GetDialogRequest {
        key: Some(Key::Id("-1".into())),
    };
    assert!(message(get_key(&bad_id)).starts_with("id: dialog id \"-1\""));
}

#[test]
fn profile_names_and_values() {
    assert_eq!(profile_name("name", "caller").unwrap(), "caller");
    assert_eq!(message(profile_name("name", "")), "name: must not be empty");
    assert!(message(profile_name("name", &"p".repeat(300))).contains("longer than 256"));
    assert_eq!(profile_value("value", None).unwrap(), None);
    assert_eq!(
        profile_value("value", Some("alice")).unwrap(),
        Some("alice".into())
    );
    assert_eq!(
        message(profile_value("value", Some(""))),
        "value: must not be empty"
    );
    assert!(message(profile_value("value", Some("a\u{7}"))).contains("control characters"));
}

#[test]
fn seconds_and_flags() {
    assert_eq!(seconds("seconds", 1).unwrap(), 1);
    assert_eq!(seconds("seconds", MAX_SECONDS).unwrap(), MAX_SECONDS);
    assert_eq!(
        message(seconds("seconds", 0)),
        "seconds: 0 is not in 1..=2147483647"
    );
    assert_eq!(
        message(seconds("seconds", u32::MAX)),
        "seconds: 4294967295 is not in 1..=2147483647"
    );
    assert_eq!(flag("flag", 0).unwrap(), 0);
    assert_eq!(flag("flag", 31).unwrap(), 31);
    assert_eq!(message(flag("flag", 32)), "flag: 32 is not in 0..=31");
}

#[test]
fn names_table() {
    for ok in ["a", "acct.id", "A-b_9", &"x".repeat(MAX_NAME_LEN)] {
        assert_eq!(name("name", ok).unwrap(), ok);
    }
    let bad = [
        ("", "name: must not be empty"),
        (
            "a b",
            "name: \"a b\" holds ' '; only A-Z a-z 0-9 _ . - are allowed",
        ),
        ("é", "holds 'é'"),
        ("a\n", "holds '\\n'"),
    ];
    for (input, want) in bad {
        let m = message(name("name", input));
        assert!(m.contains(want), "{input:?}: {m}");
    }
    let long = "x".repeat(MAX_NAME_LEN + 1);
    assert!(message(name("name", &long)).ends_with("is longer than 64 characters"));
}

#[test]
fn var_values_and_trigger_names() {
    assert_eq!(var_value("value", "").unwrap(), "");
    assert_eq!(var_value("value", "gold tier").unwrap(), "gold tier");
    let max = "v".repeat(MAX_VAR_VALUE_LEN);
    assert_eq!(var_value("value", &max).unwrap(), max);
    assert_eq!(
        message(var_value("value", "a\r\nb")),
        "value: \"a\\r\\nb\" contains CR or LF"
    );
    assert_eq!(
        message(var_value("value", &"v".repeat(MAX_VAR_VALUE_LEN + 1))),
        "value: 1025 bytes, at most 1024 allowed"
    );
    assert_eq!(trigger_names(&[]).unwrap(), Vec::<String>::new());
    let names = vec!["prepaid".to_owned(), "bad name".to_owned()];
    assert!(message(trigger_names(&names)).starts_with("names[1]: \"bad name\""));
}

#[test]
fn profile_keys() {
    assert_eq!(
        profile_key("caller", Some("alice")).unwrap(),
        ProfileKey::with_value("caller", "alice")
    );
    assert_eq!(
        profile_key("trunk", None).unwrap(),
        ProfileKey::plain("trunk")
    );
    assert_eq!(message(profile_key("", None)), "name: must not be empty");
    assert_eq!(
        message(profile_key("caller", Some(""))),
        "value: must not be empty"
    );
}
