//! [`run`]: starts one node on bound sockets — the profile store, the SIP proxy, the gRPC API,
//! the metrics endpoint and the health check — writes `endpoints.json` once everything serves,
//! and stops all of it when `shutdown` completes, or when the health check finds the Raft store
//! or core failed (then it returns that failure, after the same shutdown). The binary and the
//! integration tests both call it.

use std::future::Future;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use dialogd_cluster::network::tcp_connector;
use dialogd_cluster::{ClusterNode, Ownership, RaftStore};
use dialogd_dialog::Admission;
use dialogd_proxy::context::{MatchMode, ProxySettings};
use dialogd_proxy::message_path::routing::LocalIdentity;
use dialogd_proxy::proxy::Proxy;
use dialogd_sip::transaction::TimerConfig;
use tokio_util::sync::CancellationToken;

use crate::backend::raft_cluster::RaftCluster;
use crate::config::{self, Config};
use crate::error::NodeError;
use crate::listeners::Listeners;

/// Runs the node until `shutdown` completes (`Ok`) or its Raft member fails
/// ([`NodeError::StorageFailed`], [`NodeError::RaftStopped`]).
pub async fn run(
    config: Config,
    listeners: Listeners,
    shutdown: impl Future<Output = ()>,
) -> Result<(), NodeError> {
    let endpoints = listeners.endpoints()?;
    let metrics = crate::metrics::install_recorder()?;
    let policy = config.policy()?;
    let keys = config.node_keys()?;
    let secret = keys.did;
    let settings = proxy_settings(&config, endpoints.sip)?;
    let node_id = config.node_id;
    if config.api_is_open() && !endpoints.grpc.ip().is_loopback() {
        tracing::warn!(grpc = %endpoints.grpc,
            "the gRPC API is open to whoever reaches it (api.allow_unauthenticated = true)");
    }
    let mut cluster_settings = config.cluster_settings(endpoints.grpc, &keys.cluster);
    cluster_settings.tls = config.cluster_tls()?;
    let cluster_secret = cluster_settings.secret.clone();
    let connector = tcp_connector(cluster_settings.tls.clone());
    let (cluster_node, mut ownership) = ClusterNode::start(cluster_settings, connector)
        .await
        .map_err(|e| NodeError::Cluster(e.to_string()))?;
    let admission: Arc<dyn Admission> = Arc::new(RaftStore::new(
        cluster_node.clone(),
        config.cluster.stale_reads,
    ));
    // Dialog ids must not repeat across restarts: start the sequence at the clock.
    let seq_start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
        << 8;
    let Listeners {
        sip_udp,
        sip_tcp,
        grpc,
        metrics: metrics_listener,
    } = listeners;
    let proxy = Proxy::start(
        settings,
        sip_udp,
        sip_tcp,
        admission.clone(),
        policy,
        &secret,
        seq_start,
    )
    .map_err(NodeError::Runtime)?;

    let stop = CancellationToken::new();
    let health = crate::health_watch::spawn(
        cluster_node.clone(),
        config.health.leaderless_after(),
        stop.child_token(),
    );
    let parts =
        crate::api_wiring::api_parts(&config, &proxy, admission, &cluster_node, cluster_secret)?;
    let backend = parts.backend.clone();
    let cluster = Arc::new(RaftCluster {
        node: cluster_node.clone(),
    });
    let stop_triggers = parts.stop_triggers;
    let mut options = parts.options;
    options.serving = Some(health.serving.clone());
    let adopter = proxy.clone();
    let ownership_task = tokio::spawn(async move {
        while let Some(o) = ownership.recv().await {
            match o {
                Ownership::Adopt(did, record) => adopter.adopt(did, record.as_deref()).await,
                Ownership::Disown(did) => adopter.disown(did),
                Ownership::Ended(did, cause) => adopter.ended_elsewhere(did, cause),
            }
        }
    });
    let api_stop = stop.clone();
    let api = tokio::spawn(async move {
        let api_shutdown = async move { api_stop.cancelled().await };
        let events = backend.clone();
        if let Err(e) =
            dialogd_api::serve(grpc, backend, cluster, events, options, api_shutdown).await
        {
            tracing::error!(error = %e, "gRPC API stopped");
        }
    });
    let metrics_stop = stop.clone();
    let metrics_health = health.health.clone();
    let metrics_task = tokio::spawn(async move {
        if let Err(e) =
            crate::metrics::serve_metrics(metrics_listener, metrics, metrics_health, async move {
                metrics_stop.cancelled().await
            })
            .await
        {
            tracing::error!(error = %e, "metrics endpoint stopped");
        }
    });

    let ready = async {
        wait_for_leader(&cluster_node).await;
        let path = endpoints.write(&config.data_dir)?;
        tracing::info!(
            node_id,
            sip = %endpoints.sip,
            grpc = %endpoints.grpc,
            metrics = %endpoints.metrics,
            endpoints = %path.display(),
            "dialogd ready"
        );
        shutdown.await;
        Ok::<(), NodeError>(())
    };
    // A failed Raft member ends the node like a shutdown, then the failure is its result (the
    // binary exits non-zero for a supervisor to restart it on a reopened store).
    let failed = tokio::select! {
        r = ready => { r?; None }
        f = health.failed() => Some(f),
    };
    match &failed {
        None => tracing::info!("shutting down"),
        Some(f) => tracing::error!(reason = %f, "raft member failed: shutting down"),
    }
    proxy.shutdown();
    let _ = stop_triggers.send(true);
    stop.cancel();
    let _ = api.await;
    ownership_task.abort();
    cluster_node.shutdown().await;
    let _ = metrics_task.await;
    match failed {
        None => Ok(()),
        Some(f) => Err(f.into()),
    }
}

/// Readiness waits (a bounded time) for the cluster to have a leader this node knows, so the
/// first INVITE does not wait for an election. A node that cannot find one (the rest of its
/// cluster is down) still starts: admissions then fail with 503 until quorum returns.
async fn wait_for_leader(node: &ClusterNode) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while node.leader().is_none() {
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!("no cluster leader known yet; starting anyway");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn proxy_settings(
    config: &Config,
    bound_sip: std::net::SocketAddr,
) -> Result<ProxySettings, NodeError> {
    let advertise = config.advertise(bound_sip);
    let (host, port) = dialogd_sip::values::split_host_port(&advertise)
        .map(|(h, p)| (h.to_owned(), p.unwrap_or(5060)))
        .ok_or_else(|| {
            NodeError::Config(config::ConfigError::invalid(
                "sip_advertise",
                format!("{advertise:?} is not host[:port]"),
            ))
        })?;
    Ok(ProxySettings {
        node_id: u16::try_from(config.node_id).unwrap_or(u16::MAX),
        local: LocalIdentity {
            host,
            port,
            aliases: vec![bound_sip],
            record_route: config.sip_record_route.as_deref().and_then(|a| {
                dialogd_sip::values::split_host_port(a)
                    .map(|(h, p)| (h.to_owned(), p.unwrap_or(5060)))
            }),
        },
        timers: TimerConfig {
            t1: config.sip.t1(),
            t2: config.sip.t2(),
            t4: config.sip.t4(),
        },
        default_timeout: config.default_timeout(),
        passivate_after: config.passivate_after(),
        match_mode: match config.dialog.match_mode {
            config::MatchMode::DidOnly => MatchMode::DidOnly,
            config::MatchMode::DidFallback => MatchMode::DidFallback,
            config::MatchMode::DidNone => MatchMode::DidNone,
        },
        bye_on_timeout: config.dialog.bye_on_timeout,
        bye_extra_headers: config.dialog.bye_extra_headers.clone(),
        limit_reject: (
            config.dialog.limit_reject_code,
            config.dialog.limit_reject_reason.clone(),
        ),
        max_forwards: config.sip.max_forwards,
        limits: config.limits.limits(),
        transport: config.tcp.transport(),
        parse: config.limits.parse(),
        flood: config.flood.flood().map_err(NodeError::Config)?,
        dns: config.dns.dns().map_err(NodeError::Config)?,
        relay: config.proxy.relay().map_err(NodeError::Config)?,
    })
}
