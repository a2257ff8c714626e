//! [`Policy::compile`]: which key of which rule is wrong, and that a rule using every key
//! compiles.

use std::collections::BTreeMap;

use super::rule_builders::{named, profile, rule};
use super::*;

#[test]
fn compile_errors_name_rule_and_key() {
    let cases: Vec<(Vec<RuleConfig>, &str)> = vec![
        (
            vec![
                rule(|_| {}),
                rule(|_| {}),
                rule(|r| r.matches.from_user = Some("(".into())),
            ],
            "rules[2].match.from_user: invalid regex \"(\": unclosed group",
        ),
        (
            vec![named("lan", |r| {
                r.matches.src_ip = Some("10.0.0.1/8".into())
            })],
            "rules[0].match.src_ip: \"10.0.0.1/8\" has host bits set; did you mean \"10.0.0.0/8\"? (rule \"lan\")",
        ),
        (
            vec![rule(|r| r.matches.src_ip = Some("lan".into()))],
            "rules[0].match.src_ip: \"lan\" is not an IP address",
        ),
        (
            vec![rule(|r| r.matches.method = Some("IN VITE".into()))],
            "rules[0].match.method: \"IN VITE\" is not a SIP method",
        ),
        (
            vec![rule(|r| {
                r.matches.headers.insert("X-Tenant".into(), "[".into());
            })],
            "rules[0].match.headers.X-Tenant: invalid regex \"[\"",
        ),
        (
            vec![rule(|r| {
                r.matches.headers.insert("X Tenant".into(), "a".into());
            })],
            "rules[0].match.headers.X Tenant: \"X Tenant\" is not a valid header name",
        ),
        (
            vec![rule(|r| {
                r.profiles = vec![
                    profile("calls", None, None),
                    profile("caller", Some("${from}"), Some(5)),
                ]
            })],
            "rules[0].profiles[1].value: unknown variable ${from} in \"${from}\"",
        ),
        (
            vec![rule(|r| r.profiles = vec![profile("a/b", None, None)])],
            "rules[0].profiles[0].name: profile name \"a/b\"",
        ),
        (
            vec![rule(|r| r.profiles = vec![profile("", None, None)])],
            "rules[0].profiles[0].name: profile name \"\"",
        ),
        (
            vec![rule(|r| r.profiles = vec![profile("c", Some(""), None)])],
            "rules[0].profiles[0].value: empty value",
        ),
        (
            vec![rule(|r| r.timeout = Some(0))],
            "rules[0].timeout: timeout must be at least 1 second",
        ),
        (
            vec![rule(|r| r.flags = vec![0, 32])],
            "rules[0].flags: flag 32 is out of range 0..=31",
        ),
        (
            vec![rule(|r| {
                r.vars.insert("tier".into(), "${ruri_user".into());
            })],
            "rules[0].vars.tier: unterminated ${ in \"${ruri_user\"",
        ),
        (
            vec![rule(|r| {
                r.vars.insert(String::new(), "x".into());
            })],
            "rules[0].vars: variable name must not be empty",
        ),
        (
            vec![rule(|r| r.next_hop = Some("127.0.0.1:5080".into()))],
            "rules[0].next_hop: \"127.0.0.1:5080\" is not a sip: or sips: URI",
        ),
        (
            vec![rule(|r| r.next_hop = Some("tel:+1555".into()))],
            "rules[0].next_hop: \"tel:+1555\" is not a sip:",
        ),
        (
            vec![rule(|r| r.next_hop = Some("${ruri_host}".into()))],
            "rules[0].next_hop: \"${ruri_host}\" is not a sip:",
        ),
        (
            vec![rule(|r| {
                r.reject = Some(RejectConfig {
                    code: 302,
                    reason: None,
                })
            })],
            "rules[0].reject.code: code 302 is not a final error response (400..=699)",
        ),
        (
            vec![rule(|r| {
                r.reject = Some(RejectConfig {
                    code: 403,
                    reason: Some("a\r\nb".into()),
                })
            })],
            "rules[0].reject.reason: reason \"a\\r\\nb\"",
        ),
        (
            vec![rule(|r| {
                r.triggers = vec!["prepaid".into(), "pre paid".into()]
            })],
            "rules[0].triggers[1]: trigger name \"pre paid\" must be 1 to 64 characters",
        ),
        (
            vec![rule(|r| r.triggers = vec![String::new()])],
            "rules[0].triggers[0]: trigger name \"\"",
        ),
        (
            vec![rule(|r| r.triggers = vec!["x".repeat(65)])],
            "rules[0].triggers[0]: trigger name \"xxx",
        ),
        (vec![named("", |_| {})], "rules[0].name: rule name \"\""),
        (
            vec![named("a", |_| {}), named("b", |_| {}), named("a", |_| {})],
            "rules[2].name: rule name \"a\" is already used by rules[0] (rule \"a\")",
        ),
    ];
    for (rules, want) in cases {
        let err = Policy::compile(&rules).unwrap_err().to_string();
        assert!(err.starts_with(want), "got {err:?}, want prefix {want:?}");
    }
}

#[test]
fn compile_error_carries_index_and_field() {
    let rules = vec![
        rule(|_| {}),
        named("x", |r| r.matches.to_user = Some("*".into())),
    ];
    let err = Policy::compile(&rules).unwrap_err();
    assert_eq!(
        (err.index, err.name.as_deref(), err.field.as_str()),
        (1, Some("x"), "match.to_user")
    );
    assert_eq!(err.key(), "rules[1].match.to_user");
}

#[test]
fn valid_rules_compile() {
    let rules = vec![named("everything", |r| {
        r.matches = MatchConfig {
            method: Some("INVITE".into()),
            ruri_user: Some(r"^1\d+$".into()),
            ruri_host: Some("(?i)example".into()),
            from_user: Some(".".into()),
            from_host: Some(".".into()),
            to_user: Some(".".into()),
            to_host: Some(".".into()),
            src_ip: Some("::/0".into()),
            headers: BTreeMap::from([("X-Tenant".into(), "^acme$".into())]),
        };
        r.profiles = vec![
            profile("caller", Some("${from_user}"), Some(5)),
            profile("calls", None, None),
        ];
        r.timeout = Some(2);
        r.timeout_noreset = Some(true);
        r.bye_on_timeout = Some(true);
        r.flags = vec![0, 31];
        r.vars = BTreeMap::from([("src".into(), "${src_ip}".into())]);
        r.triggers = vec!["prepaid".into(), "billing.v2".into(), "x".repeat(64)];
        r.next_hop = Some("sip:${ruri_user}@127.0.0.1:5080;transport=tcp".into());
        r.reject = Some(RejectConfig {
            code: 603,
            reason: None,
        });
        r.stop = true;
    })];
    let p = Policy::compile(&rules).unwrap();
    assert_eq!(p.len(), 1);
}
