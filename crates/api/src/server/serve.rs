//! The API's gRPC server: `Dialogs`, `Cluster`, `Events`, the standard gRPC health service (with
//! `dialogd.v1.Dialogs`, `dialogd.v1.Cluster` and `dialogd.v1.Events` reported SERVING, or all
//! of them and `""` NOT_SERVING while the node says it does not serve) and gRPC reflection (v1 and
//! v1alpha, so `grpcurl` works without protos), plus the services the caller brings (the node's
//! public `Triggers` and `NodeForward`, its internal Raft service), all on one listener the
//! caller binds, optionally over TLS (`tls.rs`: the API's certificate, the cluster's
//! mutual TLS), behind the auth layer (`auth.rs`, which first asks `node_identity.rs`:
//! node-to-node calls need a node certificate when the cluster's TLS is on). Must not bind
//! sockets or read config itself: the node (or a test) passes the listener and the shutdown
//! signal. At shutdown the `Events` streams end first, so open watchers do not hold it up.

use std::future::Future;
use std::sync::Arc;

use tonic::server::NamedService;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::cluster::backend::ClusterBackend;
use crate::cluster::service::ClusterService;
use crate::dialogs::backend::DialogsBackend;
use crate::dialogs::service::DialogsService;
use crate::error::Error;
use crate::events::backend::EventsBackend;
use crate::events::service::EventsService;
use crate::pb;
use crate::pb::cluster_server::ClusterServer;
use crate::pb::dialogs_server::DialogsServer;
use crate::pb::events_server::EventsServer;
use crate::server::auth::{AuthLayer, AuthPolicy};
use crate::server::options::{ApiOptions, ExternalServices};

/// Serves the API on `listener` until `shutdown` completes, then drains open calls and returns.
///
/// `options` adds TLS (the API's certificate and the cluster's mutual TLS, checked before
/// anything is served), the token and cluster secret the auth layer checks (`auth.rs`), the
/// node's external services (behind the token, reported SERVING by health under their names)
/// and its internal routes (passed through untouched), and the node's serving flag, which the
/// health service then follows for `""` and every service it names. No route may reuse the
/// names of the services added here (`dialogd.v1.Dialogs`, `dialogd.v1.Cluster`,
/// `dialogd.v1.Events`, `grpc.health.v1.Health`, `grpc.reflection.v1*.ServerReflection`): two
/// routes for one name panic when the router is built.
pub async fn serve(
    listener: tokio::net::TcpListener,
    backend: Arc<dyn DialogsBackend>,
    cluster: Arc<dyn ClusterBackend>,
    events: Arc<dyn EventsBackend>,
    options: ApiOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let local = listener.local_addr().ok();
    let tls = crate::server::tls::server_config(options.tls.as_ref(), options.node_tls.as_ref())?;
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
    let external_names = options
        .external
        .as_ref()
        .map(|e| e.names.clone())
        .unwrap_or_default();
    for name in &external_names {
        health_reporter
            .set_service_status(name, ServingStatus::Serving)
            .await;
    }
    // Ends with this function, however it returns.
    let _follow_serving = options.serving.clone().map(|serving| {
        let mut names = vec![
            String::new(),
            <DialogsServer<DialogsService> as NamedService>::NAME.to_owned(),
            <ClusterServer<ClusterService> as NamedService>::NAME.to_owned(),
            <EventsServer<EventsService> as NamedService>::NAME.to_owned(),
        ];
        names.extend(external_names.iter().cloned());
        AbortOnDrop(tokio::spawn(follow(
            health_reporter.clone(),
            names,
            serving,
        )))
    });

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

    let tokens = crate::server::auth::ApiTokens {
        read: options.read_token.clone(),
        control: options.token.clone(),
        admin: options.admin_token.clone(),
    };
    let policy = AuthPolicy::with_tokens(tokens, options.cluster_secret.clone())
        .with_node_certificates(options.node_tls.is_some());
    tracing::info!(
        addr = ?local,
        services = ?[
            <DialogsServer<DialogsService> as NamedService>::NAME,
            <ClusterServer<ClusterService> as NamedService>::NAME,
            <EventsServer<EventsService> as NamedService>::NAME,
        ],
        external = ?external_names,
        internal = options.internal.is_some(),
        tls = tls.is_some(),
        node_tls = options.node_tls.is_some(),
        auth = ?policy,
        "grpc api listening"
    );
    let mut routes = options
        .internal
        .unwrap_or_default()
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(DialogsService::new(backend).into_server())
        .add_service(ClusterService::new(cluster).into_server())
        .add_service(EventsService::new(events, stop_watchers).into_server());
    if let Some(external) = options.external {
        routes = with_external(routes, external);
    }
    // Watchers' streams never end by themselves: end them when shutdown starts, so the
    // server's graceful drain can finish.
    let shutdown = async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    };
    let router = tonic::transport::Server::builder()
        .layer(AuthLayer::new(policy))
        .add_routes(routes);
    match tls {
        Some(config) => {
            router
                .serve_with_incoming_shutdown(
                    crate::server::tls::tls_incoming(listener, config),
                    shutdown,
                )
                .await
        }
        None => {
            let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
            router
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await
        }
    }
    .map_err(Error::Serve)?;
    tracing::info!(addr = ?local, "grpc api stopped");
    Ok(())
}

/// A task aborted when its handle drops.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reports `serving` as the status of each of `names` (`""`: the server as a whole) now and
/// whenever it changes, until its sender is gone.
async fn follow(
    reporter: HealthReporter,
    names: Vec<String>,
    mut serving: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let status = if *serving.borrow_and_update() {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        for name in &names {
            reporter.set_service_status(name, status).await;
        }
        if serving.changed().await.is_err() {
            return;
        }
    }
}

/// `routes` with each external name routed to the external routes. (Two tonic `Routes` cannot
/// be merged: each has its own fallback.)
fn with_external(mut routes: Routes, external: ExternalServices) -> Routes {
    let router = std::mem::take(routes.axum_router_mut());
    let router = external.names.iter().fold(router, |router, name| {
        router.route_service(&format!("/{name}/{{*rest}}"), external.routes.clone())
    });
    *routes.axum_router_mut() = router;
    routes
}
