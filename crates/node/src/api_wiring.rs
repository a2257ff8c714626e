//! [`api_parts`]: what the node serves on its gRPC port besides the `Dialogs`, `Cluster` and
//! `Events` services — the `Triggers` service over this node's controller hub, the
//! `CallControl` service over the node's backend, the node-to-node `NodeForward`
//! and Raft services — with the token, the cluster secret and the TLS files (the API's, and
//! the cluster's mutual TLS from the cluster settings); the node's API
//! backend ([`NodeBackend`]); and the proxy's trigger sink, which reaches controllers on every
//! member. `Triggers` and `CallControl` are external services: behind the API token
//! (`/dialogd.v1.*`), reported SERVING by health, listed by reflection.

use std::sync::Arc;

use dialogd_api::{
    ApiOptions, CallControlService, ExternalServices, NodeTls, TlsFiles, TriggerHub,
    TriggersService,
};
use dialogd_cluster::ClusterNode;
use dialogd_proxy::proxy::Proxy;
use tokio::sync::watch;
use tonic::server::NamedService;
use tonic::service::Routes;

use crate::backend::NodeBackend;
use crate::config::{Config, ConfigError};
use crate::node_forward::NodeForwardService;
use crate::owner_link::ClusterOwnerLink;
use crate::owners::Owners;
use crate::trigger_sink::{ClusterTriggers, TriggerSinkHandle};

/// The API's options and what must be told when the node stops.
pub struct ApiParts {
    pub options: ApiOptions,
    pub owners: Arc<Owners>,
    /// The node's API backend (`Dialogs`, `Events`, `CallControl`).
    pub backend: Arc<NodeBackend>,
    /// Send `true` to end the controllers' streams (before the server drains).
    pub stop_triggers: watch::Sender<bool>,
}

fn read_pem(key: &str, path: &std::path::Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path)
        .map_err(|e| ConfigError::invalid(key, format!("cannot read {}: {e}", path.display())))
}

/// Builds the API's parts and gives the proxy its trigger sink.
pub fn api_parts(
    config: &Config,
    proxy: &Proxy,
    admission: Arc<dyn dialogd_dialog::Admission>,
    cluster_node: &Arc<ClusterNode>,
    cluster_secret: String,
) -> Result<ApiParts, ConfigError> {
    let tls = match (&config.api.tls_cert, &config.api.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert_pem: read_pem("api.tls_cert", cert)?,
            key_pem: read_pem("api.tls_key", key)?,
        }),
        _ => None,
    };
    // An unusable API certificate stops the start here, named, not the server later.
    if let Some(api) = &tls {
        dialogd_api::server::tls::server_config(Some(api), None)
            .map_err(|e| ConfigError::invalid("api.tls_cert", e.to_string()))?;
    }
    let node_tls = cluster_node.settings().tls.as_ref().map(|t| NodeTls {
        identity: TlsFiles {
            cert_pem: t.cert_pem().to_vec(),
            key_pem: t.key_pem().to_vec(),
        },
        ca_pem: t.ca_pem().to_vec(),
        server_name: t.server_name().to_owned(),
    });
    let owners = Arc::new(Owners::new(
        config.node_id,
        cluster_node.clone(),
        cluster_secret.clone(),
    ));
    let hub = TriggerHub::new(config.node_id);
    let sink = Arc::new(ClusterTriggers::new(
        hub.clone(),
        owners.clone(),
        config.triggers.decision_timeout(),
    ));
    proxy.set_trigger_sink(Arc::new(TriggerSinkHandle(sink)));
    let (stop_triggers, stopped) = watch::channel(false);
    let triggers = TriggersService::new(hub.clone(), stopped).into_server();
    let forward = NodeForwardService {
        hub,
        proxy: proxy.clone(),
    }
    .into_server();
    proxy.set_owner_link(Arc::new(ClusterOwnerLink::new(owners.clone())));
    let backend = Arc::new(NodeBackend {
        node_id: config.node_id,
        proxy: proxy.clone(),
        admission,
        cluster: cluster_node.clone(),
        owners: owners.clone(),
    });
    let call_control = CallControlService::new(backend.clone()).into_server();
    let names = vec![
        name_of(&triggers).to_owned(),
        name_of(&forward).to_owned(),
        name_of(&call_control).to_owned(),
    ];
    let routes = Routes::new(triggers)
        .add_service(forward)
        .add_service(call_control);
    let internal = Routes::new(dialogd_cluster::network::server::service(
        cluster_node.clone(),
    ));
    Ok(ApiParts {
        options: ApiOptions {
            token: config.api_token(),
            read_token: config.api.read_token.get(),
            admin_token: config.api.admin_token.get(),
            cluster_secret: Some(cluster_secret),
            tls,
            node_tls,
            external: Some(ExternalServices { routes, names }),
            internal: Some(internal),
            // `run` connects it to the node's health check.
            serving: None,
        },
        owners,
        backend,
        stop_triggers,
    })
}

fn name_of<S: NamedService>(_: &S) -> &'static str {
    S::NAME
}
