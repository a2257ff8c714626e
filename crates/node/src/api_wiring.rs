//! [`api_parts`]: what the node serves on its gRPC port besides the `Dialogs`, `Cluster` and
//! `Events` services — the `Triggers` service over this node's controller hub, the
//! node-to-node `NodeForward` and Raft services — with the token, the cluster secret and the
//! TLS files; and the proxy's trigger sink, which reaches controllers on every member.

use std::sync::Arc;

use dialogd_api::{ApiOptions, ExternalServices, TlsFiles, TriggerHub, TriggersService};
use dialogd_cluster::ClusterNode;
use dialogd_proxy::proxy::Proxy;
use tokio::sync::watch;
use tonic::server::NamedService;
use tonic::service::Routes;

use crate::config::{Config, ConfigError};
use crate::node_forward::NodeForwardService;
use crate::owners::Owners;
use crate::trigger_sink::{ClusterTriggers, TriggerSinkHandle};

/// The API's options and what must be told when the node stops.
pub struct ApiParts {
    pub options: ApiOptions,
    pub owners: Arc<Owners>,
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
    let forward = NodeForwardService { hub }.into_server();
    let names = vec![name_of(&triggers).to_owned(), name_of(&forward).to_owned()];
    let routes = Routes::new(triggers).add_service(forward);
    let internal = Routes::new(dialogd_cluster::network::server::service(
        cluster_node.clone(),
    ));
    Ok(ApiParts {
        options: ApiOptions {
            token: config.api_token(),
            cluster_secret: Some(cluster_secret),
            tls,
            external: Some(ExternalServices { routes, names }),
            internal: Some(internal),
        },
        owners,
        stop_triggers,
    })
}

fn name_of<S: NamedService>(_: &S) -> &'static str {
    S::NAME
}
