//! Unit tests of `cli.rs`.

use super::*;

#[test]
fn durations() {
    let cases = [
        ("10s", Some(10_000)),
        ("500ms", Some(500)),
        ("2m", Some(120_000)),
        ("5", Some(5000)),
        ("0", None),
        ("-1s", None),
        ("abc", None),
        ("", None),
    ];
    for (input, want) in cases {
        assert_eq!(
            parse_duration(input).ok().map(|d| d.as_millis() as u64),
            want,
            "{input:?}"
        );
    }
}

#[test]
fn states() {
    let cases = [
        ("confirmed", Some(DialogState::Confirmed)),
        ("confirmed_na", Some(DialogState::ConfirmedNoAck)),
        ("2", Some(DialogState::Early)),
        ("5", Some(DialogState::Deleted)),
        ("6", None),
        ("up", None),
    ];
    for (input, want) in cases {
        assert_eq!(parse_state(input).ok(), want, "{input:?}");
    }
}

#[test]
fn command_lines() {
    use clap::CommandFactory;
    Cli::command().debug_assert();

    let cli = Cli::try_parse_from([
        "dialogctl",
        "dialogs",
        "end",
        "1f",
        "--side",
        "callee",
        "--header",
        "Reason: x",
        "--header",
        "X-A: 1",
        "--json",
    ])
    .unwrap();
    assert!(cli.json);
    let Command::Dialogs(DialogsCommand::End(end)) = cli.command else {
        panic!("{cli:?}")
    };
    assert_eq!((end.id.as_str(), end.side), ("1f", Side::Callee));
    assert_eq!(end.headers, ["Reason: x", "X-A: 1"]);

    let bad = [
        vec!["dialogctl", "dialogs", "show"],
        vec!["dialogctl", "dialogs", "show", "--call-id", "c"],
        vec![
            "dialogctl",
            "dialogs",
            "show",
            "1f",
            "--call-id",
            "c",
            "--from-tag",
            "t",
        ],
        vec!["dialogctl", "dialogs", "list", "--value", "alice"],
        vec!["dialogctl", "dialogs", "list", "--state", "up"],
        vec!["dialogctl", "--timeout", "soon", "stats"],
    ];
    for args in bad {
        assert!(Cli::try_parse_from(&args).is_err(), "{args:?}");
    }
    let ok = Cli::try_parse_from([
        "dialogctl",
        "dialogs",
        "show",
        "--call-id",
        "c",
        "--from-tag",
        "t",
    ]);
    assert!(ok.is_ok());
}

#[test]
fn cluster_command_lines() {
    let cli = Cli::try_parse_from([
        "dialogctl",
        "--addr",
        "http://10.0.0.1:50051",
        "cluster",
        "add",
        "4",
        "http://10.0.0.4:50051",
        "--learner",
    ])
    .unwrap();
    // The new node's address must not replace the server's.
    assert_eq!(cli.addr, "http://10.0.0.1:50051");
    let Command::Cluster(ClusterCommand::Add {
        node_id,
        node_addr,
        learner,
    }) = cli.command
    else {
        panic!("{cli:?}")
    };
    assert_eq!(
        (node_id, node_addr.as_str(), learner),
        (4, "http://10.0.0.4:50051", true)
    );

    let cli = Cli::try_parse_from(["dialogctl", "cluster", "members", "--json"]).unwrap();
    assert!(cli.json);
    assert!(matches!(
        cli.command,
        Command::Cluster(ClusterCommand::Members)
    ));
    let cli = Cli::try_parse_from(["dialogctl", "cluster", "remove", "3"]).unwrap();
    assert!(matches!(
        cli.command,
        Command::Cluster(ClusterCommand::Remove { node_id: 3 })
    ));

    let bad = [
        vec!["dialogctl", "cluster", "add", "4"],
        vec!["dialogctl", "cluster", "add", "four", "http://h:1"],
        vec!["dialogctl", "cluster", "remove"],
        vec!["dialogctl", "cluster", "remove", "-1"],
        vec!["dialogctl", "cluster"],
    ];
    for args in bad {
        assert!(Cli::try_parse_from(&args).is_err(), "{args:?}");
    }
}

#[test]
fn data_changing_command_lines() {
    let parse = |args: &[&str]| {
        let mut argv = vec!["dialogctl"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).map(|cli| cli.command)
    };
    let Ok(Command::Dialogs(DialogsCommand::SetProfile {
        id,
        name,
        value,
        limit,
    })) = parse(&[
        "dialogs",
        "set-profile",
        "1f",
        "caller",
        "--value",
        "bob",
        "--limit",
        "3",
    ])
    else {
        panic!("set-profile")
    };
    assert_eq!(
        (id.as_str(), name.as_str(), value.as_deref(), limit),
        ("1f", "caller", Some("bob"), Some(3))
    );
    let Ok(Command::Dialogs(DialogsCommand::SetTimeoutByProfile {
        name,
        value,
        seconds,
    })) = parse(&["dialogs", "set-timeout-by-profile", "trunk", "30"])
    else {
        panic!("set-timeout-by-profile")
    };
    assert_eq!((name.as_str(), value, seconds), ("trunk", None, 30));
    let Ok(Command::Dialogs(DialogsCommand::SetTriggers { names, .. })) =
        parse(&["dialogs", "set-triggers", "1f"])
    else {
        panic!("set-triggers")
    };
    assert!(names.is_empty());
    let Ok(Command::Dialogs(DialogsCommand::Terminate { call_id, headers })) = parse(&[
        "dialogs",
        "terminate",
        "--call-id",
        "c1",
        "--header",
        "Reason: x",
    ]) else {
        panic!("terminate")
    };
    assert_eq!(
        (call_id.as_str(), headers),
        ("c1", vec!["Reason: x".to_owned()])
    );
    let ok: [&[&str]; 7] = [
        &["dialogs", "set-var", "1f", "tier", "gold"],
        &["dialogs", "vars", "1f", "--name", "tier"],
        &["dialogs", "unset-var", "1f", "tier"],
        &["dialogs", "set-flag", "1f", "31"],
        &["dialogs", "reset-flag", "1f", "0"],
        &["dialogs", "unset-profile", "1f", "caller", "--value", "bob"],
        &["--token", "t", "--tls-ca", "ca.pem", "stats"],
    ];
    for args in ok {
        assert!(parse(args).is_ok(), "{args:?}");
    }
    let bad: [&[&str]; 5] = [
        &["dialogs", "terminate"],
        &["dialogs", "set-var", "1f", "tier"],
        &["dialogs", "set-flag", "1f", "-1"],
        &["dialogs", "set-timeout-by-profile", "trunk"],
        &["dialogs", "set-profile", "1f", "caller", "--limit", "x"],
    ];
    for args in bad {
        assert!(parse(args).is_err(), "{args:?}");
    }
}

#[test]
fn call_command_lines() {
    use crate::call::CallCommand;
    use crate::call::transfer::LinkArg;
    use crate::call::{LegArg, bridge::BridgeArgs, hold::HoldArgs};

    let parse = |args: &[&str]| {
        let mut argv = vec!["dialogctl", "call"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).map(|cli| cli.command)
    };
    let Ok(Command::Call(CallCommand::Transfer(t))) = parse(&[
        "transfer",
        "1f",
        "--side",
        "caller",
        "--to",
        "sip:carol@example.com",
        "-H",
        "Referred-By: <sip:pbx@example.com>",
    ]) else {
        panic!("blind transfer")
    };
    assert_eq!(
        (t.id.as_str(), t.side, t.to.as_deref(), t.link),
        (
            "1f",
            LegArg::Caller,
            Some("sip:carol@example.com"),
            LinkArg::Param
        )
    );
    assert_eq!(t.headers, ["Referred-By: <sip:pbx@example.com>"]);
    assert!(matches!(
        t.target(),
        Ok(dialogd_api::TransferTargetSpec::Blind { .. })
    ));

    let Ok(Command::Call(CallCommand::Transfer(t))) = parse(&[
        "transfer",
        "1f",
        "--side",
        "callee",
        "--replaces",
        "2a",
        "--replaces-side",
        "callee",
        "--link",
        "callid",
    ]) else {
        panic!("attended transfer")
    };
    assert_eq!(t.link, LinkArg::Callid);
    assert_eq!(
        t.target().ok(),
        Some(dialogd_api::TransferTargetSpec::Attended {
            other: dialogd_dialog::DialogId(0x2a),
            leg: dialogd_dialog::Leg::Callee,
            destination: None,
        })
    );
    let Ok(Command::Call(command @ CallCommand::Link(_))) = parse(&["link", "1f", "2a"]) else {
        panic!("link")
    };
    assert_eq!(command.dialog_ids(), ["1f", "2a"]);
    let Ok(Command::Call(CallCommand::Hold(HoldArgs { id, inactive }))) =
        parse(&["hold", "1f", "--inactive"])
    else {
        panic!("hold")
    };
    assert_eq!((id.as_str(), inactive), ("1f", true));
    let Ok(Command::Call(CallCommand::Bridge(BridgeArgs {
        from,
        to,
        outbound_proxy,
        headers,
    }))) = parse(&[
        "bridge",
        "--from",
        "sip:alice@a.example",
        "--to",
        "tel:+15551234",
        "--outbound-proxy",
        "sip:10.0.0.2:5060",
        "--header",
        "X-Campaign: 7",
    ])
    else {
        panic!("bridge")
    };
    assert_eq!(
        (from.as_str(), to.as_str(), outbound_proxy.as_deref()),
        (
            "sip:alice@a.example",
            "tel:+15551234",
            Some("sip:10.0.0.2:5060")
        )
    );
    assert_eq!(headers, ["X-Campaign: 7"]);

    let ok: [&[&str]; 4] = [
        &["unhold", "1f"],
        &["hold", "1f"],
        &[
            "transfer",
            "1f",
            "--side",
            "caller",
            "--replaces",
            "2a",
            "--replaces-side",
            "caller",
            "--to",
            "sip:d@x",
        ],
        &["end", "1f", "-H", "Reason: x"],
    ];
    for args in ok {
        assert!(parse(args).is_ok(), "{args:?}");
    }
    let bad: [&[&str]; 10] = [
        &["transfer", "1f", "--side", "caller"],
        &["transfer", "1f", "--to", "sip:c@x"],
        &["transfer", "1f", "--side", "both", "--to", "sip:c@x"],
        &["transfer", "1f", "--side", "caller", "--replaces", "2a"],
        &[
            "transfer",
            "1f",
            "--side",
            "caller",
            "--replaces-side",
            "caller",
            "--to",
            "sip:c@x",
        ],
        &[
            "transfer", "1f", "--side", "caller", "--to", "sip:c@x", "--link", "never",
        ],
        &["link", "1f"],
        &["hold"],
        &["bridge", "--from", "sip:a@x"],
        &["bridge", "--to", "sip:b@y"],
    ];
    for args in bad {
        assert!(parse(args).is_err(), "{args:?}");
    }
}
