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
