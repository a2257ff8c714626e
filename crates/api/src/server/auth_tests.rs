//! Unit tests of `auth.rs`: the policy table.

use tonic::codegen::http::HeaderValue;

use super::*;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    map
}

fn refusal(policy: &AuthPolicy, path: &str, pairs: &[(&'static str, &str)]) -> String {
    match policy.check(path, &headers(pairs)) {
        Err(status) => {
            assert_eq!(status.code(), tonic::Code::Unauthenticated);
            status.message().to_owned()
        }
        Ok(a) => panic!("{path} {pairs:?} admitted: {a:?}"),
    }
}

const DIALOGS: &str = "/dialogd.v1.Dialogs/Stats";
const FORWARD: &str = "/dialogd.v1.NodeForward/OfferTrigger";
const HEALTH: &str = "/grpc.health.v1.Health/Check";
const RAFT: &str = "/dialogd.cluster.v1.Raft/Vote";
const REFLECTION: &str = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";

#[test]
fn without_credentials_everything_but_forwarding_is_open() {
    let open = AuthPolicy::new(None, None);
    for path in [DIALOGS, HEALTH, RAFT, REFLECTION] {
        assert_eq!(
            open.check(path, &HeaderMap::new()).unwrap(),
            Admitted { forwarded: false }
        );
    }
    assert_eq!(
        refusal(&open, FORWARD, &[(CLUSTER_SECRET_HEADER, "s")]),
        "node forwarding needs a cluster secret"
    );
}

#[test]
fn a_token_guards_the_api_and_reflection_only() {
    let p = AuthPolicy::new(Some("t0k".into()), None);
    for path in [DIALOGS, REFLECTION, "/dialogd.v1.Triggers/Control"] {
        assert_eq!(refusal(&p, path, &[]), "missing bearer token");
        assert_eq!(
            refusal(&p, path, &[("authorization", "Bearer nope")]),
            "wrong token"
        );
        assert_eq!(
            refusal(&p, path, &[("authorization", "Basic dDBr")]),
            "authorization is not \"Bearer <token>\""
        );
        assert!(
            p.check(path, &headers(&[("authorization", "Bearer t0k")]))
                .is_ok()
        );
        assert!(
            p.check(path, &headers(&[("authorization", "bearer  t0k ")]))
                .is_ok()
        );
    }
    for path in [HEALTH, RAFT] {
        assert!(p.check(path, &HeaderMap::new()).is_ok(), "{path}");
    }
}

#[test]
fn the_cluster_secret_opens_the_api_and_forwarding_and_marks_forwarded_calls() {
    let p = AuthPolicy::new(Some("t0k".into()), Some("s3cret".into()));
    let secret = (CLUSTER_SECRET_HEADER, "s3cret");
    let marked = (FORWARDED_HEADER, "1");
    assert_eq!(
        p.check(DIALOGS, &headers(&[secret])).unwrap(),
        Admitted { forwarded: false }
    );
    assert_eq!(
        p.check(DIALOGS, &headers(&[secret, marked])).unwrap(),
        Admitted { forwarded: true }
    );
    assert_eq!(
        p.check(FORWARD, &headers(&[secret, marked])).unwrap(),
        Admitted { forwarded: true }
    );
    // The token does not open forwarding, a wrong secret opens nothing, and the mark without
    // the secret is ignored.
    assert_eq!(
        refusal(&p, FORWARD, &[("authorization", "Bearer t0k")]),
        "missing cluster secret"
    );
    assert_eq!(
        refusal(&p, FORWARD, &[(CLUSTER_SECRET_HEADER, "guess")]),
        "wrong cluster secret"
    );
    assert_eq!(
        refusal(&p, DIALOGS, &[(CLUSTER_SECRET_HEADER, "guess")]),
        "wrong cluster secret"
    );
    assert_eq!(
        p.check(
            DIALOGS,
            &headers(&[("authorization", "Bearer t0k"), marked])
        )
        .unwrap(),
        Admitted { forwarded: false }
    );
}

#[test]
fn bearer_values() {
    assert_eq!(bearer("Bearer abc"), Some("abc"));
    assert_eq!(bearer("BEARER abc"), Some("abc"));
    assert_eq!(bearer("Bearer "), None);
    assert_eq!(bearer("Bearer"), None);
    assert_eq!(bearer("Token abc"), None);
}

fn status_of(policy: &AuthPolicy, path: &str, token: &str) -> Result<(), (tonic::Code, String)> {
    let auth = format!("Bearer {token}");
    policy
        .check(path, &headers(&[("authorization", &auth)]))
        .map(|_| ())
        .map_err(|s| (s.code(), s.message().to_owned()))
}

const END: &str = "/dialogd.v1.CallControl/End";
const BRIDGE: &str = "/dialogd.v1.CallControl/Bridge";
const ADD_NODE: &str = "/dialogd.v1.Cluster/AddNode";
const LIST: &str = "/dialogd.v1.Dialogs/ListDialogs";
const WATCH: &str = "/dialogd.v1.Events/WatchEvents";

#[test]
fn each_method_needs_its_role_and_unknown_methods_need_control() {
    assert_eq!(role_of(LIST), Role::Read);
    assert_eq!(role_of(WATCH), Role::Read);
    assert_eq!(role_of(REFLECTION), Role::Read);
    assert_eq!(role_of(END), Role::Control);
    assert_eq!(role_of("/dialogd.v1.Dialogs/EndDialog"), Role::Control);
    assert_eq!(role_of("/dialogd.v1.Triggers/Control"), Role::Control);
    assert_eq!(role_of("/dialogd.v1.Dialogs/SomethingNew"), Role::Control);
    assert_eq!(role_of(ADD_NODE), Role::Admin);
    assert_eq!(role_of("/dialogd.v1.Cluster/RemoveNode"), Role::Admin);
}

#[test]
fn a_read_token_reads_but_cannot_end_steer_or_place_calls() {
    let p = AuthPolicy::with_tokens(
        ApiTokens {
            read: Some("r-token".into()),
            control: Some("c-token".into()),
            admin: Some("a-token".into()),
        },
        None,
    );
    for path in [LIST, WATCH, DIALOGS, REFLECTION] {
        assert_eq!(status_of(&p, path, "r-token"), Ok(()), "{path}");
    }
    for path in [END, BRIDGE, "/dialogd.v1.Dialogs/SetVar", ADD_NODE] {
        let (code, msg) = status_of(&p, path, "r-token").unwrap_err();
        assert_eq!(code, tonic::Code::PermissionDenied, "{path}");
        assert!(msg.contains("has role read"), "{msg}");
    }
    // control: calls yes, membership no; admin: everything.
    assert_eq!(status_of(&p, END, "c-token"), Ok(()));
    assert_eq!(status_of(&p, LIST, "c-token"), Ok(()));
    let (code, msg) = status_of(&p, ADD_NODE, "c-token").unwrap_err();
    assert_eq!(code, tonic::Code::PermissionDenied);
    assert!(msg.contains("needs a token of role admin"), "{msg}");
    for path in [LIST, END, ADD_NODE] {
        assert_eq!(status_of(&p, path, "a-token"), Ok(()), "{path}");
    }
    assert_eq!(
        status_of(&p, LIST, "nope").unwrap_err(),
        (tonic::Code::Unauthenticated, "wrong token".to_owned())
    );
}

#[test]
fn without_an_admin_token_the_control_token_is_admin() {
    let p = AuthPolicy::with_tokens(
        ApiTokens {
            read: Some("r-token".into()),
            control: Some("c-token".into()),
            admin: None,
        },
        None,
    );
    assert_eq!(status_of(&p, ADD_NODE, "c-token"), Ok(()));
    assert!(status_of(&p, ADD_NODE, "r-token").is_err());
    // A read token alone still closes the API to callers without a token.
    let read_only = AuthPolicy::with_tokens(
        ApiTokens {
            read: Some("r-token".into()),
            ..ApiTokens::default()
        },
        None,
    );
    assert!(read_only.check(LIST, &HeaderMap::new()).is_err());
    assert!(status_of(&read_only, END, "r-token").is_err());
}
