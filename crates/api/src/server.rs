//! The API's gRPC server: `Dialogs`, the standard gRPC health service (with `dialogd.v1.Dialogs`
//! reported SERVING) and gRPC reflection (v1 and v1alpha, so `grpcurl` works without protos),
//! on a listener the caller binds. Must not bind sockets or read config itself: the node (or a
//! test) passes the listener and the shutdown signal.

use std::future::Future;
use std::sync::Arc;

use tonic::server::NamedService;
use tonic::transport::server::TcpIncoming;

use crate::backend::DialogsBackend;
use crate::error::Error;
use crate::pb;
use crate::pb::dialogs_server::DialogsServer;
use crate::service::DialogsService;

/// Serves the API on `listener` until `shutdown` completes, then drains open calls and returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    backend: Arc<dyn DialogsBackend>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let local = listener.local_addr().ok();
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<DialogsServer<DialogsService>>()
        .await;

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
        service = <DialogsServer<DialogsService> as NamedService>::NAME,
        "grpc api listening"
    );
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(DialogsService::new(backend).into_server())
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(Error::Serve)?;
    tracing::info!(addr = ?local, "grpc api stopped");
    Ok(())
}
