//! Scenario: the real `serve` on 127.0.0.1:0: the gRPC health and reflection services answer
//! beside `Dialogs` and `Cluster`, extra routes are served on the same listener, shutdown stops
//! the server, the client reports bad addresses.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod memory_backend;

use dialogd_api::Client;
use memory_backend::{Pong, ServiceName, start, start_with};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A channel to the test server at `addr`.
async fn channel(addr: &str) -> Channel {
    tonic::transport::Endpoint::from_shared(addr.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// What the health service answers for `service`: its status, or the call's error.
async fn health_of(
    health: &mut HealthClient<Channel>,
    service: &str,
) -> Result<i32, tonic::Status> {
    let request = HealthCheckRequest {
        service: service.into(),
    };
    Ok(health.check(request).await?.into_inner().status)
}

#[tokio::test]
async fn health_reports_dialogs_cluster_and_events_serving() {
    let server = start().await;
    let mut health = HealthClient::new(channel(&server.addr).await);
    for service in [
        "dialogd.v1.Dialogs",
        "dialogd.v1.Cluster",
        "dialogd.v1.Events",
        "",
    ] {
        let status = health_of(&mut health, service).await.unwrap();
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
    let unknown = health_of(&mut health, "nope.Nope").await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn health_follows_the_serving_flag_for_the_server_and_every_service() {
    let (serving_tx, serving) = tokio::sync::watch::channel(true);
    let server = memory_backend::start_options(dialogd_api::ApiOptions {
        serving: Some(serving),
        ..dialogd_api::ApiOptions::default()
    })
    .await;
    let mut health = HealthClient::new(channel(&server.addr).await);
    let services = [
        "",
        "dialogd.v1.Dialogs",
        "dialogd.v1.Cluster",
        "dialogd.v1.Events",
    ];
    for (flag, want) in [
        (false, ServingStatus::NotServing),
        (true, ServingStatus::Serving),
    ] {
        serving_tx.send_replace(flag);
        for service in services {
            // The flag reaches the reporter through a task: wait for it, within a bound.
            let status = tokio::time::timeout(std::time::Duration::from_secs(5), async {
                loop {
                    let status = health_of(&mut health, service).await.unwrap();
                    if status == want as i32 {
                        return status;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            })
            .await;
            assert_eq!(status, Ok(want as i32), "{service:?} with serving = {flag}");
        }
    }
}

#[tokio::test]
async fn reflection_lists_and_describes_the_dialogs_and_cluster_services() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let server = start().await;
    let mut reflection = ServerReflectionClient::new(channel(&server.addr).await);
    let requests = vec![
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        },
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(
                "dialogd.v1.Dialogs".into(),
            )),
        },
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(
                "dialogd.v1.Cluster".into(),
            )),
        },
    ];
    let mut replies = reflection
        .server_reflection_info(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();

    let Some(MessageResponse::ListServicesResponse(list)) =
        replies.message().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"dialogd.v1.Dialogs"), "{names:?}");
    assert!(names.contains(&"dialogd.v1.Cluster"), "{names:?}");
    assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");

    let Some(MessageResponse::FileDescriptorResponse(files)) =
        replies.message().await.unwrap().unwrap().message_response
    else {
        panic!("expected file descriptors");
    };
    assert!(!files.file_descriptor_proto.is_empty());
    let Some(MessageResponse::FileDescriptorResponse(files)) =
        replies.message().await.unwrap().unwrap().message_response
    else {
        panic!("expected file descriptors");
    };
    assert!(!files.file_descriptor_proto.is_empty());
}

/// The name of the extra service [`extra_routes_are_served_beside_the_api`] serves.
struct TestPong;

impl ServiceName for TestPong {
    const NAME: &'static str = "test.Pong";
}

/// Calls `path` with an empty message and returns the status it fails with.
async fn call_path(addr: &str, path: &'static str) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(channel(addr).await);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<dialogd_api::pb::MembersRequest, ()>::default();
    grpc.unary(
        tonic::Request::new(dialogd_api::pb::MembersRequest {}),
        tonic::codegen::http::uri::PathAndQuery::from_static(path),
        codec,
    )
    .await
    .unwrap_err()
}

#[tokio::test]
async fn extra_routes_are_served_beside_the_api() {
    let server = start_with(Some(dialogd_api::Routes::new(Pong::<TestPong>::new()))).await;
    let status = call_path(&server.addr, "/test.Pong/Ping").await;
    assert_eq!(
        (status.code(), status.message()),
        (Code::Unavailable, "pong")
    );
    // The API is still there, and unknown services are UNIMPLEMENTED.
    let client = Client::connect(&server.addr).await.unwrap();
    assert_eq!(client.cluster_members().await.unwrap().members.len(), 3);
    client.stats().await.unwrap();
    let status = call_path(&server.addr, "/test.Nope/Ping").await;
    assert_eq!(status.code(), Code::Unimplemented);
}

#[tokio::test]
async fn serve_returns_after_shutdown_and_refuses_new_clients() {
    let server = start().await;
    Client::connect(&server.addr)
        .await
        .unwrap()
        .stats()
        .await
        .unwrap();
    server.stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), server.task)
        .await
        .expect("serve returns promptly")
        .unwrap()
        .unwrap();
    let err = Client::connect(&server.addr).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err}");
}

#[tokio::test]
async fn client_rejects_bad_address() {
    let err = Client::connect("http://[::1").await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");
    assert!(err.to_string().contains("http://[::1"), "{err}");
}
