//! [`Policy::evaluate`]: rules + request + source in, decision out.

use std::collections::BTreeMap;
use std::time::Duration;

use dialogd_sip::SipMessage;

use super::rule_builders::{LAN, invite, membership, named, profile, request, rule, src};
use super::*;

/// One evaluation case: rules, request, source, expected decision.
struct Case {
    what: &'static str,
    rules: Vec<RuleConfig>,
    msg: SipMessage,
    src: &'static str,
    want: Decision,
}

fn matched(labels: &[&str]) -> Vec<String> {
    labels.iter().map(|s| s.to_string()).collect()
}

#[test]
fn evaluate_table() {
    let cases = vec![
        Case {
            what: "no rules: empty decision",
            rules: vec![],
            msg: invite("alice", &[]),
            src: LAN,
            want: Decision::default(),
        },
        Case {
            what: "valued profile with substitution and a plain one",
            rules: vec![named("per-caller", |r| {
                r.profiles = vec![
                    profile("caller", Some("${from_user}"), Some(5)),
                    profile("calls", None, None),
                ];
            })],
            msg: invite("alice", &[]),
            src: LAN,
            want: Decision {
                profiles: vec![
                    membership("caller", Some("alice"), Some(5)),
                    membership("calls", None, None),
                ],
                matched: matched(&["per-caller"]),
                ..Decision::default()
            },
        },
        Case {
            what: "method mismatch: rule skipped",
            rules: vec![rule(|r| {
                r.matches.method = Some("INVITE".into());
                r.flags = vec![1];
            })],
            msg: request("MESSAGE", "sip:bob@b", "sip:alice@a", "sip:bob@b", &[]),
            src: LAN,
            want: Decision::default(),
        },
        Case {
            what: "ruri_user regex and src_ip network must both hold",
            rules: vec![
                rule(|r| {
                    r.matches.ruri_user = Some(r"^1\d+$".into());
                    r.matches.src_ip = Some("10.0.0.0/8".into());
                    r.flags = vec![1];
                }),
                rule(|r| {
                    r.matches.ruri_user = Some(r"^1\d+$".into());
                    r.matches.src_ip = Some("192.168.0.0/16".into());
                    r.flags = vec![2];
                }),
            ],
            msg: invite("alice", &[]),
            src: LAN,
            want: Decision {
                flags: 1 << 1,
                matched: matched(&["rules[0]"]),
                ..Decision::default()
            },
        },
        Case {
            what: "IPv4-mapped source matches an IPv4 network",
            rules: vec![rule(|r| {
                r.matches.src_ip = Some("10.0.0.0/8".into());
                r.vars.insert("src".into(), "${src_ip}".into());
            })],
            msg: invite("alice", &[]),
            src: "[::ffff:10.9.9.9]:5060",
            want: Decision {
                vars: BTreeMap::from([("src".into(), "10.9.9.9".into())]),
                matched: matched(&["rules[0]"]),
                ..Decision::default()
            },
        },
        Case {
            what: "header regex: any line matches; absent header is the empty string",
            rules: vec![
                rule(|r| {
                    r.matches.headers.insert("x-tenant".into(), "^acme$".into());
                    r.flags = vec![0];
                }),
                rule(|r| {
                    r.matches.headers.insert("X-Missing".into(), "^$".into());
                    r.flags = vec![5];
                }),
                rule(|r| {
                    r.matches.headers.insert("X-Tenant".into(), "^nope$".into());
                    r.flags = vec![9];
                }),
            ],
            msg: invite("alice", &["X-Tenant: other", "X-Tenant: acme"]),
            src: LAN,
            want: Decision {
                flags: 1 | 1 << 5,
                matched: matched(&["rules[0]", "rules[1]"]),
                ..Decision::default()
            },
        },
        Case {
            what: "later scalars override, flags OR, vars merge, duplicate profile kept once with smallest limit, triggers union in first-seen order",
            rules: vec![
                named("a", |r| {
                    r.profiles = vec![
                        profile("caller", Some("${from_user}"), Some(10)),
                        profile("calls", None, None),
                    ];
                    r.timeout = Some(60);
                    r.timeout_noreset = Some(true);
                    r.bye_on_timeout = Some(true);
                    r.flags = vec![1];
                    r.vars = BTreeMap::from([
                        ("tier".into(), "silver".into()),
                        ("keep".into(), "1".into()),
                    ]);
                    r.next_hop = Some("sip:10.0.0.1".into());
                    r.triggers = vec!["prepaid".into(), "audit".into()];
                }),
                named("b", |r| {
                    r.profiles = vec![
                        profile("caller", Some("${from_user}"), Some(3)),
                        profile("calls", None, Some(100)),
                    ];
                    r.timeout = Some(2);
                    r.bye_on_timeout = Some(false);
                    r.flags = vec![3];
                    r.vars = BTreeMap::from([("tier".into(), "gold".into())]);
                    r.triggers = vec!["audit".into(), "fraud".into(), "fraud".into()];
                }),
                named("c", |r| {
                    r.next_hop = Some("sip:${ruri_user}@10.0.0.2:5080;transport=tcp".into())
                }),
            ],
            msg: invite("alice", &[]),
            src: LAN,
            want: Decision {
                profiles: vec![
                    membership("caller", Some("alice"), Some(3)),
                    membership("calls", None, Some(100)),
                ],
                timeout: Some(Duration::from_secs(2)),
                timeout_noreset: true,
                bye_on_timeout: Some(false),
                flags: 1 << 1 | 1 << 3,
                vars: BTreeMap::from([("tier".into(), "gold".into()), ("keep".into(), "1".into())]),
                triggers: vec!["prepaid".into(), "audit".into(), "fraud".into()],
                keepalive: None,
                next_hop: Some("sip:1001@10.0.0.2:5080;transport=tcp".into()),
                reject: None,
                matched: matched(&["a", "b", "c"]),
            },
        },
        Case {
            what: "reject stops evaluation; the rejecting rule's other actions are not used",
            rules: vec![
                named("count", |r| r.profiles = vec![profile("calls", None, None)]),
                named("block", |r| {
                    r.matches.from_user = Some("^mallory$".into());
                    r.reject = Some(RejectConfig {
                        code: 403,
                        reason: None,
                    });
                    r.flags = vec![7];
                }),
                named("never", |r| r.flags = vec![8]),
            ],
            msg: invite("mallory", &[]),
            src: LAN,
            want: Decision {
                profiles: vec![membership("calls", None, None)],
                reject: Some((403, "Forbidden".into())),
                matched: matched(&["count", "block"]),
                ..Decision::default()
            },
        },
        Case {
            what: "reject of a non-matching rule does nothing",
            rules: vec![named("block", |r| {
                r.matches.from_user = Some("^mallory$".into());
                r.reject = Some(RejectConfig {
                    code: 480,
                    reason: Some("Go Away".into()),
                });
            })],
            msg: invite("alice", &[]),
            src: LAN,
            want: Decision::default(),
        },
        Case {
            what: "stop ends evaluation after the rule",
            rules: vec![
                named("first", |r| {
                    r.flags = vec![0];
                    r.stop = true;
                }),
                named("second", |r| r.flags = vec![1]),
            ],
            msg: invite("alice", &[]),
            src: LAN,
            want: Decision {
                flags: 1,
                matched: matched(&["first"]),
                ..Decision::default()
            },
        },
        Case {
            what: "a profile value that renders empty is skipped; an empty next_hop is ignored",
            rules: vec![
                named("acct", |r| {
                    r.profiles = vec![
                        profile("account", Some("acct-${hdr(X-Account)}"), Some(1)),
                        profile("calls", None, None),
                    ];
                    r.vars = BTreeMap::from([("acct".into(), "${hdr(X-Account)}".into())]);
                    r.next_hop = Some("sip:a@b".into());
                }),
                named("hop", |r| {
                    r.next_hop = Some("sip:${hdr(X-Route-User)}".into())
                }),
            ],
            msg: invite("alice", &[]),
            src: LAN,
            want: Decision {
                profiles: vec![membership("calls", None, None)],
                vars: BTreeMap::from([("acct".into(), String::new())]),
                next_hop: Some("sip:a@b".into()),
                matched: matched(&["acct", "hop"]),
                ..Decision::default()
            },
        },
        Case {
            what: "tel: request-URI: the number is the user, the host is empty",
            rules: vec![rule(|r| {
                r.matches.ruri_user = Some(r"^\+1555".into());
                r.matches.ruri_host = Some("^$".into());
                r.profiles = vec![profile("dest", Some("${ruri_user}"), None)];
            })],
            msg: request(
                "INVITE",
                "tel:+15551234",
                "sip:alice@a",
                "tel:+15551234",
                &[],
            ),
            src: LAN,
            want: Decision {
                profiles: vec![membership("dest", Some("+15551234"), None)],
                matched: matched(&["rules[0]"]),
                ..Decision::default()
            },
        },
        Case {
            what: "from_host/to_user/call_id/header substitutions",
            rules: vec![rule(|r| {
                r.matches.from_host = Some(r"^a\.example\.com$".into());
                r.matches.to_user = Some("^1001$".into());
                r.vars = BTreeMap::from([(
                    "k".into(),
                    "${from_host}/${to_user}/${call_id}/${hdr(X-Tenant)}".into(),
                )]);
            })],
            msg: invite("alice", &["X-Tenant: acme"]),
            src: LAN,
            want: Decision {
                vars: BTreeMap::from([(
                    "k".into(),
                    "a.example.com/1001/call-1@192.0.2.1/acme".into(),
                )]),
                matched: matched(&["rules[0]"]),
                ..Decision::default()
            },
        },
    ];
    for c in cases {
        let policy = Policy::compile(&c.rules).unwrap();
        let got = policy.evaluate(&c.msg, src(c.src));
        assert_eq!(got, c.want, "{}", c.what);
    }
}
