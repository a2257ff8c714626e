//! The API tests' fixtures over the shared in-memory backend (`dialogd_test_support::memory_api`):
//! node 7 with five dialogs (three in `caller` profiles, one deleted, one of node 2) and the
//! three-node cluster view; [`start`] serves them. [`Pong`] stands in for a service of the node
//! served beside the API.

#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)] // each test binary uses part of it; tests may unwrap

pub use dialogd_test_support::memory_api::{EVENT_CAPACITY, EndCall, TestServer};

use std::marker::PhantomData;

use dialogd_api::ApiOptions;
use dialogd_dialog::{DialogId, DialogSnapshot, DialogState, EndCause, ProfileKey, Stats};
use dialogd_test_support::memory_api::{MemoryBackend, MemoryCluster, serve, snapshot, view};

pub const NODE_ID: u64 = 7;

pub fn stats() -> Stats {
    Stats {
        active: 3,
        early: 1,
        processed: 120,
        expired: 4,
        failed: 9,
    }
}

pub fn id(node: u16, seq: u64) -> DialogId {
    DialogId::new(node, seq)
}

/// The fixture dialogs, ascending by id.
pub fn dialogs() -> Vec<DialogSnapshot> {
    let mut a = snapshot(id(1, 1), "call-a@example.com", "ta", DialogState::Confirmed);
    a.profiles = vec![
        ProfileKey::with_value("caller", "alice"),
        ProfileKey::plain("trunk"),
    ];
    let mut b = snapshot(id(1, 2), "call-b@example.com", "tb", DialogState::Early);
    b.profiles = vec![ProfileKey::with_value("caller", "bob")];
    let mut c = snapshot(id(1, 3), "call-c@example.com", "tc", DialogState::Confirmed);
    c.profiles = vec![ProfileKey::with_value("caller", "alice")];
    let mut d = snapshot(id(1, 4), "call-d@example.com", "td", DialogState::Deleted);
    d.end_cause = Some(EndCause::Failed(486));
    let mut e = snapshot(
        id(2, 1),
        "call-e@example.com",
        "te",
        DialogState::ConfirmedNoAck,
    );
    e.profiles = vec![ProfileKey::plain("trunk")];
    vec![a, b, c, d, e]
}

pub async fn start() -> TestServer {
    start_options(ApiOptions::default()).await
}

/// [`start`], with `extra` services on the same server (as internal routes).
pub async fn start_with(extra: Option<dialogd_api::Routes>) -> TestServer {
    start_options(ApiOptions {
        internal: extra,
        ..ApiOptions::default()
    })
    .await
}

/// [`start`] with `options` (token, TLS, extra services); the address is `https://` with TLS.
pub async fn start_options(options: ApiOptions) -> TestServer {
    let backend = MemoryBackend::new(NODE_ID, stats(), dialogs());
    serve(backend, MemoryCluster::new(view()), options).await
}

/// The gRPC name a [`Pong`] is served under.
pub trait ServiceName: Send + 'static {
    const NAME: &'static str;
}

/// A stand-in for one of the node's services, served as `N::NAME`: answers every call with
/// UNAVAILABLE "pong".
pub struct Pong<N>(PhantomData<N>);

impl<N> Pong<N> {
    pub fn new() -> Pong<N> {
        Pong(PhantomData)
    }
}

impl<N> Clone for Pong<N> {
    fn clone(&self) -> Pong<N> {
        Pong::new()
    }
}

impl<N: ServiceName> tonic::server::NamedService for Pong<N> {
    const NAME: &'static str = N::NAME;
}

impl<N, B> tonic::codegen::Service<tonic::codegen::http::Request<B>> for Pong<N> {
    type Response = tonic::codegen::http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: tonic::codegen::http::Request<B>) -> Self::Future {
        std::future::ready(Ok(tonic::Status::unavailable("pong").into_http()))
    }
}
