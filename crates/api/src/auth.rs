//! Who may call what on the API's listener: a tower layer ([`AuthLayer`]) in front of every
//! route, deciding on the path and headers of each request ([`AuthPolicy::check`]):
//!
//! | path                          | admitted when                                              |
//! |-------------------------------|------------------------------------------------------------|
//! | `/grpc.health.v1.Health/*`    | always (readiness probes)                                  |
//! | `/dialogd.v1.NodeForward/*`   | the cluster secret is configured and sent                  |
//! | `/dialogd.v1.*`, reflection   | no token configured, or `authorization: Bearer <token>`, or the cluster secret |
//! | anything else (`/dialogd.cluster.v1.*`) | always: those services check their own secret    |
//!
//! Refusals are gRPC UNAUTHENTICATED with a message saying what is wrong, never the expected
//! value. Secrets are compared in constant time. An admitted request with the valid cluster
//! secret and `x-dialogd-forwarded` runs with the forwarded mark set (`forwarded.rs`). Must not
//! know the services themselves.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use subtle::ConstantTimeEq;
use tonic::Status;
use tonic::codegen::Service;
use tonic::codegen::http::{HeaderMap, Request, Response};

use crate::forwarded::with_forwarded;

/// Header carrying the cluster's shared secret on node-to-node calls.
pub const CLUSTER_SECRET_HEADER: &str = "x-dialogd-cluster-secret";
/// Header marking a call forwarded by another node (believed only with the cluster secret).
pub const FORWARDED_HEADER: &str = "x-dialogd-forwarded";

/// The credentials the server accepts.
#[derive(Clone, Default)]
pub struct AuthPolicy {
    token: Option<String>,
    cluster_secret: Option<String>,
}

impl std::fmt::Debug for AuthPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthPolicy")
            .field("token", &self.token.is_some())
            .field("cluster_secret", &self.cluster_secret.is_some())
            .finish()
    }
}

/// What guards a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    Open,
    ClusterSecret,
    Token,
    PassThrough,
}

fn guard(path: &str) -> Guard {
    if path.starts_with("/grpc.health.v1.Health/") {
        Guard::Open
    } else if path.starts_with("/dialogd.v1.NodeForward/") {
        Guard::ClusterSecret
    } else if path.starts_with("/dialogd.v1.") || path.starts_with("/grpc.reflection.") {
        Guard::Token
    } else {
        Guard::PassThrough
    }
}

/// An admitted request: whether it runs with the forwarded mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    pub forwarded: bool,
}

fn same(given: &str, want: &str) -> bool {
    bool::from(given.as_bytes().ct_eq(want.as_bytes()))
}

fn unauthenticated(msg: &str) -> Status {
    Status::unauthenticated(msg)
}

impl AuthPolicy {
    /// A policy; `None` (or an empty string) turns that credential off.
    pub fn new(token: Option<String>, cluster_secret: Option<String>) -> AuthPolicy {
        AuthPolicy {
            token: token.filter(|t| !t.is_empty()),
            cluster_secret: cluster_secret.filter(|s| !s.is_empty()),
        }
    }

    /// Admits or refuses a request to `path` with `headers`.
    pub fn check(&self, path: &str, headers: &HeaderMap) -> Result<Admitted, Status> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let sent_secret = header(CLUSTER_SECRET_HEADER);
        let secret_ok = match (&self.cluster_secret, sent_secret) {
            (Some(want), Some(given)) => same(given, want),
            _ => false,
        };
        let admitted = Admitted {
            forwarded: secret_ok && headers.contains_key(FORWARDED_HEADER),
        };
        match guard(path) {
            Guard::Open | Guard::PassThrough => Ok(Admitted { forwarded: false }),
            Guard::ClusterSecret => match (&self.cluster_secret, sent_secret) {
                (None, _) => Err(unauthenticated("node forwarding needs a cluster secret")),
                (Some(_), None) => Err(unauthenticated("missing cluster secret")),
                (Some(_), Some(_)) if !secret_ok => Err(unauthenticated("wrong cluster secret")),
                _ => Ok(admitted),
            },
            Guard::Token => {
                let Some(want) = &self.token else {
                    return Ok(admitted);
                };
                if secret_ok {
                    return Ok(admitted);
                }
                match header("authorization") {
                    None if sent_secret.is_some() => Err(unauthenticated("wrong cluster secret")),
                    None => Err(unauthenticated("missing bearer token")),
                    Some(auth) => match bearer(auth) {
                        None => Err(unauthenticated("authorization is not \"Bearer <token>\"")),
                        Some(given) if same(given, want) => Ok(admitted),
                        Some(_) => Err(unauthenticated("wrong token")),
                    },
                }
            }
        }
    }
}

/// The token of an `authorization: Bearer <token>` value (scheme case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The tower layer applying an [`AuthPolicy`] to every request of the server.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    policy: Arc<AuthPolicy>,
}

impl AuthLayer {
    pub fn new(policy: AuthPolicy) -> AuthLayer {
        AuthLayer {
            policy: Arc::new(policy),
        }
    }
}

impl<S> tower_layer::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService {
            inner,
            policy: self.policy.clone(),
        }
    }
}

/// The service [`AuthLayer`] wraps around the routes.
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    policy: Arc<AuthPolicy>,
}

type BoxedResponse<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send + 'static>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for AuthService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxedResponse<Response<ResBody>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        match self.policy.check(request.uri().path(), request.headers()) {
            Ok(admitted) => Box::pin(with_forwarded(admitted.forwarded, self.inner.call(request))),
            Err(status) => {
                tracing::debug!(
                    path = request.uri().path(),
                    reason = status.message(),
                    "grpc api: call refused"
                );
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
