//! Scenario: the real `serve` on 127.0.0.1:0 with a token, a cluster secret and TLS: a missing
//! or wrong token is UNAUTHENTICATED while health stays open, the right token (or the cluster
//! secret) works, `NodeForward` takes the cluster secret only, a forwarded call is seen as such
//! by the backend, external services sit behind the token and report SERVING, and a client
//! trusting the test CA talks TLS to the server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod memory_backend;

use dialogd_api::{ApiOptions, Client, ClientOptions, ExternalServices, Routes, TlsFiles};
use memory_backend::{Pong, ServiceName, TestServer, start_options};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;

const TOKEN: &str = "t0ken-for-tests";
const SECRET: &str = "cluster-s3cret";

async fn with_token() -> TestServer {
    start_options(ApiOptions {
        token: Some(TOKEN.into()),
        cluster_secret: Some(SECRET.into()),
        ..ApiOptions::default()
    })
    .await
}

async fn client(addr: &str, options: ClientOptions) -> Client {
    Client::connect_options(addr, &options).await.unwrap()
}

fn token(t: &str) -> ClientOptions {
    ClientOptions {
        token: Some(t.into()),
        ..ClientOptions::default()
    }
}

/// The status a failed call came back with.
fn status(err: dialogd_api::Error) -> (Code, String) {
    match err {
        dialogd_api::Error::Status(s) => (s.code(), s.message().to_owned()),
        other => panic!("not a status: {other}"),
    }
}

async fn health_of(addr: &str, options: &ClientOptions, service: &str) -> i32 {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;
    let channel = options.connect_channel(addr).await.unwrap();
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .unwrap();
    reply.into_inner().status
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_unauthenticated_while_health_stays_open() {
    let server = with_token().await;
    let anonymous = client(&server.addr, ClientOptions::default()).await;
    assert_eq!(
        status(anonymous.stats().await.unwrap_err()),
        (Code::Unauthenticated, "missing bearer token".into())
    );
    let wrong = client(&server.addr, token("guess")).await;
    assert_eq!(
        status(wrong.cluster_members().await.unwrap_err()),
        (Code::Unauthenticated, "wrong token".into())
    );
    assert_eq!(
        health_of(
            &server.addr,
            &ClientOptions::default(),
            "dialogd.v1.Dialogs"
        )
        .await,
        ServingStatus::Serving as i32
    );
    let right = client(&server.addr, token(TOKEN)).await;
    right.stats().await.unwrap();
    right.cluster_members().await.unwrap();
    assert!(server.backend.ended.lock().unwrap().is_empty());
}

#[tokio::test]
async fn reflection_needs_the_token_too() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;

    let server = with_token().await;
    let channel = ClientOptions::default()
        .connect_channel(&server.addr)
        .await
        .unwrap();
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let err = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
}

#[tokio::test]
async fn the_cluster_secret_opens_the_api_and_marks_forwarded_calls() {
    let server = with_token().await;
    let node = |forwarded| ClientOptions {
        cluster_secret: Some(SECRET.into()),
        forwarded,
        ..ClientOptions::default()
    };
    client(&server.addr, node(false))
        .await
        .stats()
        .await
        .unwrap();
    client(&server.addr, node(true))
        .await
        .stats()
        .await
        .unwrap();
    // The marker without the secret is not believed.
    let pretender = ClientOptions {
        forwarded: true,
        ..token(TOKEN)
    };
    client(&server.addr, pretender).await.stats().await.unwrap();
    assert_eq!(
        *server.backend.stats_forwarded.lock().unwrap(),
        vec![false, true, false]
    );
    let wrong = ClientOptions {
        cluster_secret: Some("guess".into()),
        ..ClientOptions::default()
    };
    assert_eq!(
        status(client(&server.addr, wrong).await.stats().await.unwrap_err()),
        (Code::Unauthenticated, "wrong cluster secret".into())
    );
}

async fn offer_trigger(client: &Client) -> (Code, String) {
    let err = client
        .raw_node_forward()
        .offer_trigger(dialogd_api::pb::OfferTriggerRequest::default())
        .await
        .unwrap_err();
    (err.code(), err.message().to_owned())
}

#[tokio::test]
async fn node_forward_takes_the_cluster_secret_only() {
    let server = with_token().await;
    let by_token = client(&server.addr, token(TOKEN)).await;
    assert_eq!(
        offer_trigger(&by_token).await,
        (Code::Unauthenticated, "missing cluster secret".into())
    );
    // Past the layer: this test server has no NodeForward service.
    let by_secret = ClientOptions {
        cluster_secret: Some(SECRET.into()),
        ..ClientOptions::default()
    };
    let by_secret = client(&server.addr, by_secret).await;
    assert_eq!(offer_trigger(&by_secret).await.0, Code::Unimplemented);

    let no_secret = start_options(ApiOptions::default()).await;
    let anyone = client(&no_secret.addr, ClientOptions::default()).await;
    anyone.stats().await.unwrap();
    assert_eq!(
        offer_trigger(&anyone).await,
        (
            Code::Unauthenticated,
            "node forwarding needs a cluster secret".into()
        )
    );
}

/// The node's `Triggers` service, as a [`Pong`] stands in for it.
struct Triggers;

impl ServiceName for Triggers {
    const NAME: &'static str = "dialogd.v1.Triggers";
}

async fn call_triggers(addr: &str, options: &ClientOptions) -> tonic::Status {
    let channel = options.connect_channel(addr).await.unwrap();
    let channel = tonic::service::interceptor::InterceptedService::new(
        channel,
        options.interceptor().unwrap(),
    );
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<dialogd_api::pb::StatsRequest, ()>::default();
    grpc.unary(
        tonic::Request::new(dialogd_api::pb::StatsRequest {}),
        tonic::codegen::http::uri::PathAndQuery::from_static("/dialogd.v1.Triggers/Control"),
        codec,
    )
    .await
    .unwrap_err()
}

#[tokio::test]
async fn external_services_sit_behind_the_token_and_report_serving() {
    let server = start_options(ApiOptions {
        token: Some(TOKEN.into()),
        external: Some(ExternalServices {
            routes: Routes::new(Pong::<Triggers>::new()),
            names: vec!["dialogd.v1.Triggers".into()],
        }),
        internal: None,
        ..ApiOptions::default()
    })
    .await;
    let anonymous = ClientOptions::default();
    let refused = call_triggers(&server.addr, &anonymous).await;
    assert_eq!(
        (refused.code(), refused.message()),
        (Code::Unauthenticated, "missing bearer token")
    );
    let answered = call_triggers(&server.addr, &token(TOKEN)).await;
    assert_eq!(
        (answered.code(), answered.message()),
        (Code::Unavailable, "pong")
    );
    assert_eq!(
        health_of(&server.addr, &anonymous, "dialogd.v1.Triggers").await,
        ServingStatus::Serving as i32
    );
    client(&server.addr, token(TOKEN))
        .await
        .stats()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_client_trusting_the_ca_talks_tls_with_the_token() {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert_pem = certified.cert.pem().into_bytes();
    let server = start_options(ApiOptions {
        token: Some(TOKEN.into()),
        tls: Some(TlsFiles {
            cert_pem: cert_pem.clone(),
            key_pem: certified.signing_key.serialize_pem().into_bytes(),
        }),
        ..ApiOptions::default()
    })
    .await;
    assert!(server.addr.starts_with("https://"), "{}", server.addr);
    let trusted = ClientOptions {
        tls_ca_pem: Some(cert_pem),
        ..token(TOKEN)
    };
    let tls = client(&server.addr, trusted.clone()).await;
    assert_eq!(tls.stats().await.unwrap().0, memory_backend::NODE_ID);
    // Health over TLS without a token.
    let no_token = ClientOptions {
        token: None,
        ..trusted.clone()
    };
    assert_eq!(
        health_of(&server.addr, &no_token, "").await,
        ServingStatus::Serving as i32
    );
    // Without the scheme, a CA means https.
    let bare = server.addr.trim_start_matches("https://").to_owned();
    client(&bare, trusted).await.stats().await.unwrap();
    // Plain text to a TLS server fails.
    let plain = server.addr.replace("https://", "http://");
    let options = ClientOptions {
        timeout: Some(std::time::Duration::from_secs(5)),
        ..token(TOKEN)
    };
    match Client::connect_options(&plain, &options).await {
        Err(_) => {}
        Ok(c) => assert!(c.stats().await.is_err()),
    }
}
