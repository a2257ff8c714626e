//! The API's gRPC server: `Dialogs`, `Cluster`, `Events`, the standard gRPC health service (with
//! `dialogd.v1.Dialogs`, `dialogd.v1.Cluster` and `dialogd.v1.Events` reported SERVING) and gRPC reflection (v1 and
//! v1alpha, so `grpcurl` works without protos), plus any extra services the caller brings
//! (the node's internal Raft service), all on one listener the caller binds. Must not bind
//! sockets or read config itself: the node (or a test) passes the listener and the shutdown
//! signal. At shutdown the `Events` streams end first, so open watchers do not hold it up.

use std::future::Future;
use std::sync::Arc;

use tonic::server::NamedService;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;

use crate::backend::DialogsBackend;
use crate::cluster_backend::ClusterBackend;
use crate::cluster_service::ClusterService;
use crate::error::Error;
use crate::events_backend::EventsBackend;
use crate::events_service::EventsService;
use crate::pb;
use crate::pb::cluster_server::ClusterServer;
use crate::pb::dialogs_server::DialogsServer;
use crate::pb::events_server::EventsServer;
use crate::service::DialogsService;

/// Serves the API on `listener` until `shutdown` completes, then drains open calls and returns.
///
/// `extra` holds services served beside the API on the same listener (e.g. the node-to-node
/// Raft service). They must not reuse the names of the services added here
/// (`dialogd.v1.Dialogs`, `dialogd.v1.Cluster`, `dialogd.v1.Events`, `grpc.health.v1.Health`,
/// `grpc.reflection.v1*.ServerReflection`): two routes for one name panic when the router is
/// built. Health and reflection do not report them; their owner registers them if it wants.
pub async fn serve(
    listener: tokio::net::TcpListener,
    backend: Arc<dyn DialogsBackend>,
    cluster: Arc<dyn ClusterBackend>,
    events: Arc<dyn EventsBackend>,
    extra: Option<Routes>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let local = listener.local_addr().ok();
    let (stop_tx, stop_watchers) = tokio::sync::watch::channel(false);
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<DialogsServer<DialogsService>>()
        .await;
    health_reporter
        .set_serving::<ClusterServer<ClusterService>>()
        .await;
    health_reporter
        .set_serving::<EventsServer<EventsService>>()
        .await;

    // The descriptor set holds every file of `proto/dialogd/v1/` (build.rs), Cluster included.
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| Error::Reflection(e.to_string()))?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(|e| Error::Reflection(e.to_string()))?;

    tracing::info!(
        addr = ?local,
        services = ?[
            <DialogsServer<DialogsService> as NamedService>::NAME,
            <ClusterServer<ClusterService> as NamedService>::NAME,
            <EventsServer<EventsService> as NamedService>::NAME,
        ],
        extra = extra.is_some(),
        "grpc api listening"
    );
    let routes = extra
        .unwrap_or_default()
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(DialogsService::new(backend).into_server())
        .add_service(ClusterService::new(cluster).into_server())
        .add_service(EventsService::new(events, stop_watchers).into_server());
    // Watchers' streams never end by themselves: end them when shutdown starts, so the
    // server's graceful drain can finish.
    let shutdown = async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    };
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(Error::Serve)?;
    tracing::info!(addr = ?local, "grpc api stopped");
    Ok(())
}
