//! Who may call what on the API's listener: a tower layer ([`AuthLayer`]) in front of every
//! route, deciding on the path and headers of each request ([`AuthPolicy::check`]):
//!
//! | path                          | admitted when                                              |
//! |-------------------------------|------------------------------------------------------------|
//! | `/grpc.health.v1.Health/*`    | always (readiness probes)                                  |
//! | `/dialogd.v1.NodeForward/*`   | the cluster secret is configured and sent                  |
//! | `/dialogd.v1.*`, reflection   | no token configured, or `authorization: Bearer <token>` of a token whose [`Role`] covers the method, or the cluster secret |
//! | anything else (`/dialogd.cluster.v1.*`) | always: those services check their own secret    |
//!
//! Roles ([`Role`], [`role_of`]): `read` (stats, lists, views, profile queries, events,
//! reflection), `control` (ending, steering and placing calls, vars, flags, profiles,
//! timeouts, trigger controllers) and `admin` (membership changes). Each token has one:
//! `read_token` → read, `token` → control (and admin while no `admin_token` is set, so a
//! deployment with one token keeps every right), `admin_token` → admin. A higher role covers
//! the lower ones; the cluster secret covers all.
//!
//! Refusals are gRPC UNAUTHENTICATED (no or an unknown credential) or PERMISSION_DENIED (a
//! token whose role does not cover the method) with a message saying what is wrong, never
//! the expected value. Secrets are compared in constant time. An admitted request with the valid cluster
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

use crate::server::forwarded::with_forwarded;

/// Header carrying the cluster's shared secret on node-to-node calls.
pub const CLUSTER_SECRET_HEADER: &str = "x-dialogd-cluster-secret";
/// Header marking a call forwarded by another node (believed only with the cluster secret).
pub const FORWARDED_HEADER: &str = "x-dialogd-forwarded";

/// What a caller may do; each role covers the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Stats, lists, views, profile queries, events, reflection.
    Read,
    /// Ending, steering and placing calls; vars, flags, profiles, timeouts; trigger
    /// controllers.
    Control,
    /// Membership changes.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Control => "control",
            Role::Admin => "admin",
        }
    }
}

/// The role a `/dialogd.v1.*` or reflection method needs. Methods not listed as reads or
/// membership changes need `control`, so a new method is guarded by default.
pub fn role_of(path: &str) -> Role {
    const READS: &[&str] = &[
        "/dialogd.v1.Dialogs/Stats",
        "/dialogd.v1.Dialogs/ListDialogs",
        "/dialogd.v1.Dialogs/GetDialog",
        "/dialogd.v1.Dialogs/ProfileGetSize",
        "/dialogd.v1.Dialogs/ProfileListDialogs",
        "/dialogd.v1.Dialogs/ProfileGetValues",
        "/dialogd.v1.Dialogs/GetVars",
        "/dialogd.v1.Cluster/Members",
        "/dialogd.v1.Cluster/Leader",
        "/dialogd.v1.Events/WatchEvents",
    ];
    const ADMIN: &[&str] = &[
        "/dialogd.v1.Cluster/AddNode",
        "/dialogd.v1.Cluster/RemoveNode",
    ];
    if READS.contains(&path) || path.starts_with("/grpc.reflection.") {
        Role::Read
    } else if ADMIN.contains(&path) {
        Role::Admin
    } else {
        Role::Control
    }
}

/// The API's bearer tokens, one per role (see the module doc); `None` or empty: that role
/// has no token of its own.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ApiTokens {
    pub read: Option<String>,
    pub control: Option<String>,
    pub admin: Option<String>,
}

impl std::fmt::Debug for ApiTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |t: &Option<String>| t.as_ref().map(|_| "<set>");
        f.debug_struct("ApiTokens")
            .field("read", &set(&self.read))
            .field("control", &set(&self.control))
            .field("admin", &set(&self.admin))
            .finish()
    }
}

impl ApiTokens {
    /// Only the control token (which is also admin then).
    pub fn control(token: Option<String>) -> ApiTokens {
        ApiTokens {
            control: token,
            ..ApiTokens::default()
        }
    }

    fn normalized(self) -> ApiTokens {
        let keep = |t: Option<String>| t.filter(|t| !t.is_empty());
        ApiTokens {
            read: keep(self.read),
            control: keep(self.control),
            admin: keep(self.admin),
        }
    }

    fn any(&self) -> bool {
        self.read.is_some() || self.control.is_some() || self.admin.is_some()
    }

    /// The role of a presented token, comparing with every configured one in constant time.
    fn role(&self, given: &str) -> Option<Role> {
        let is = |t: &Option<String>| t.as_deref().is_some_and(|want| same(given, want));
        let (admin, control, read) = (is(&self.admin), is(&self.control), is(&self.read));
        if admin || (control && self.admin.is_none()) {
            Some(Role::Admin)
        } else if control {
            Some(Role::Control)
        } else if read {
            Some(Role::Read)
        } else {
            None
        }
    }
}

/// The credentials the server accepts.
#[derive(Clone, Default)]
pub struct AuthPolicy {
    tokens: ApiTokens,
    cluster_secret: Option<String>,
    /// The cluster's mutual TLS is on: node-to-node requests need a node certificate
    /// (`node_identity.rs`), asked before the rest of the policy.
    node_certificates: bool,
}

impl std::fmt::Debug for AuthPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthPolicy")
            .field("tokens", &self.tokens)
            .field("cluster_secret", &self.cluster_secret.is_some())
            .field("node_certificates", &self.node_certificates)
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
    /// A policy with one token (control and admin); `None` (or an empty string) turns that
    /// credential off.
    pub fn new(token: Option<String>, cluster_secret: Option<String>) -> AuthPolicy {
        AuthPolicy::with_tokens(ApiTokens::control(token), cluster_secret)
    }

    /// A policy with a token per role.
    pub fn with_tokens(tokens: ApiTokens, cluster_secret: Option<String>) -> AuthPolicy {
        AuthPolicy {
            tokens: tokens.normalized(),
            cluster_secret: cluster_secret.filter(|s| !s.is_empty()),
            node_certificates: false,
        }
    }

    /// The same policy, requiring a node certificate of node-to-node requests when `on`.
    pub fn with_node_certificates(mut self, on: bool) -> AuthPolicy {
        self.node_certificates = on;
        self
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
                if !self.tokens.any() || secret_ok {
                    return Ok(admitted);
                }
                let role = match header("authorization") {
                    None if sent_secret.is_some() => {
                        return Err(unauthenticated("wrong cluster secret"));
                    }
                    None => return Err(unauthenticated("missing bearer token")),
                    Some(auth) => match bearer(auth) {
                        None => {
                            return Err(unauthenticated("authorization is not \"Bearer <token>\""));
                        }
                        Some(given) => self
                            .tokens
                            .role(given)
                            .ok_or_else(|| unauthenticated("wrong token"))?,
                    },
                };
                let needed = role_of(path);
                if role >= needed {
                    Ok(admitted)
                } else {
                    Err(Status::permission_denied(format!(
                        "{path} needs a token of role {} (this token has role {})",
                        needed.as_str(),
                        role.as_str()
                    )))
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
        let node_refusal = match self.policy.node_certificates {
            true => crate::server::node_identity::refusal(&request),
            false => None,
        };
        let verdict = match node_refusal {
            Some(status) => Err(status),
            None => self.policy.check(request.uri().path(), request.headers()),
        };
        match verdict {
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
