//! Prometheus metrics: the process-wide recorder ([`install_recorder`]) and the HTTP endpoint
//! that serves it ([`serve_metrics`]: `GET /metrics` in the text format, `GET /healthz` → 200
//! `ok` while the node serves, else 503 `not serving: <reason>` (`crate::health`)), on a
//! listener the caller binds, until the shutdown future completes. The exporter's own
//! HTTP listener is not used (its default features build aws-lc with cmake).
//!
//! Metrics the node's crates record (names are the contract with dashboards):
//!
//! | name | type | labels | meaning |
//! |---|---|---|---|
//! | `dialogd_dialogs` | gauge | `state` (`early`, `confirmed`, …) | live dialogs by state |
//! | `dialogd_dialogs_parked` | gauge | | dialogs parked: no actor, state kept as data (`dialog.passivate_after`) |
//! | `dialogd_dialogs_parked_bytes` | gauge | | bytes of the parked dialogs' packed state (a record shared with the cluster's copy not counted) |
//! | `dialogd_dialogs_parked_total` | counter | | times a dialog parked |
//! | `dialogd_dialogs_revived_total` | counter | | times a parked dialog was revived by a message, command or timer |
//! | `dialogd_calls_total` | counter | | dialogs confirmed (its rate is calls/s) |
//! | `dialogd_dialogs_ended_total` | counter | `cause` (`bye`, `timeout`, `api`, …) | dialogs ended |
//! | `dialogd_sip_messages_in_total` | counter | `kind` (`request`, `response`) or `transport` | SIP messages received |
//! | `dialogd_sip_messages_out_total` | counter | `kind` or `transport` | SIP messages sent |
//! | `dialogd_sip_messages_bad_total` | counter | `transport` | unparseable messages dropped |
//! | `dialogd_transactions` | gauge | `kind` | live transactions |
//! | `dialogd_profile_size` | gauge | `profile` | dialogs counted in a profile (all values) |
//! | `dialogd_admission_rejected_total` | counter | `profile` | INVITEs refused by a profile limit |
//! | `dialogd_policy_rejected_total` | counter | | requests refused by a policy rule's `reject` |
//! | `dialogd_forged_requests_total` | counter | `reason` | in-dialog requests with a bad `did` or tags |
//! | `dialogd_tcp_connections` | gauge | | open SIP TCP connections |
//! | `dialogd_tcp_connections_refused_total` | counter | | SIP TCP connections refused (limit) |
//! | `dialogd_transport_dropped_total` | counter | `transport` | inbound messages dropped (queue full) |
//! | `dialogd_admission_commit_seconds` | histogram | | time of the Raft write of each new INVITE's admission |
//! | `dialogd_pending_releases` | gauge | | releases waiting on disk for quorum |
//! | `dialogd_dialogs_adopted_total` | counter | | dialogs taken over from another node (or from before a restart) |
//! | `dialogd_dialogs_claimed_total` | counter | | dialogs this node took over because a request of theirs reached it and their owner did not answer (`sip_record_route`) |
//! | `dialogd_owner_judge_seconds` | histogram | | time another member's actor took to judge an in-dialog request this node received for its dialog |
//! | `dialogd_admission_local_total` | counter | | INVITEs admitted without quorum (`on_no_quorum = "admit_local"`) |
//! | `dialogd_admission_overshoot_total` | counter | | of those, dialogs found over a limit when committed |
//! | `dialogd_healthy` | gauge | | 1 while the node serves, 0 while not (`GET /healthz` says why) |
//!
//! `dialogd_admission_commit_seconds` is rendered as a Prometheus histogram with the fixed
//! buckets [`ADMISSION_COMMIT_BUCKETS`] (0.1 ms to 1 s), so that quantiles can be taken over
//! any interval from two scrapes (`histogram_quantile(0.99, rate(..._bucket[1m]))`,
//! `scripts/bench`); the exporter's default for histograms, a summary over a rolling 60 s
//! window, cannot be cut to an interval. Other histograms keep that default.
//!
//! The recorder is global to the process and can be installed once: [`install_recorder`]
//! installs it on the first call and hands out the same handle afterwards, so tests may start
//! several nodes in one process. Tests of the endpoint build a private one with
//! [`build_recorder`].

use std::future::Future;
use std::sync::{Mutex, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use crate::error::NodeError;
use crate::health::Health;

/// Content type of the Prometheus text exposition format.
pub const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

static INSTALLED: OnceLock<PrometheusHandle> = OnceLock::new();
static INSTALLING: Mutex<()> = Mutex::new(());

/// Upper bounds (seconds) of the buckets of `dialogd_admission_commit_seconds`: 0.1 ms steps
/// up to 1 ms, finer than 1 ms up to 10 ms (the target is p99 < 5 ms), then
/// coarser up to 1 s.
pub const ADMISSION_COMMIT_BUCKETS: &[f64] = &[
    0.0001, 0.0002, 0.0003, 0.0004, 0.0005, 0.0006, 0.0007, 0.0008, 0.0009, 0.001, 0.00125, 0.0015,
    0.00175, 0.002, 0.0025, 0.003, 0.0035, 0.004, 0.0045, 0.005, 0.006, 0.007, 0.008, 0.009, 0.01,
    0.0125, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0,
];

/// A recorder and its handle, not installed (for tests and embedding).
pub fn build_recorder() -> (PrometheusRecorder, PrometheusHandle) {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("dialogd_admission_commit_seconds".to_owned()),
            ADMISSION_COMMIT_BUCKETS,
        )
        // Only fails on an empty list.
        .unwrap_or_else(|_| PrometheusBuilder::new())
        .build_recorder();
    let handle = recorder.handle();
    (recorder, handle)
}

/// Installs the Prometheus recorder as the process's `metrics` recorder (once) and describes
/// the node's metrics; returns the handle that renders them.
pub fn install_recorder() -> Result<PrometheusHandle, NodeError> {
    if let Some(h) = INSTALLED.get() {
        return Ok(h.clone());
    }
    let _guard = INSTALLING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(h) = INSTALLED.get() {
        return Ok(h.clone());
    }
    let (recorder, handle) = build_recorder();
    metrics::set_global_recorder(recorder).map_err(|e| NodeError::Metrics(e.to_string()))?;
    describe();
    let _ = INSTALLED.set(handle.clone());
    Ok(handle)
}

/// HELP texts of the gauges in the module's table.
const GAUGES: &[(&str, &str)] = &[
    ("dialogd_dialogs", "Live dialogs by state."),
    ("dialogd_transactions", "Live SIP transactions, by kind."),
    ("dialogd_profile_size", "Dialogs counted in a profile."),
    (
        "dialogd_pending_releases",
        "Dialog releases queued on disk until the cluster can commit them.",
    ),
    (
        "dialogd_dialogs_parked",
        "Dialogs parked: no running actor, their state kept as data until the next message.",
    ),
    (
        "dialogd_dialogs_parked_bytes",
        "Bytes the parked dialogs' packed state holds (records shared with the cluster's copy not counted).",
    ),
    (
        "dialogd_healthy",
        "1 while the node serves, 0 while it does not (no leader, failed storage).",
    ),
];

/// HELP texts of the counters in the module's table.
const COUNTERS: &[(&str, &str)] = &[
    ("dialogd_calls_total", "Dialogs confirmed (answered calls)."),
    ("dialogd_dialogs_ended_total", "Dialogs ended, by cause."),
    (
        "dialogd_keepalive_probes_total",
        "Keep-alive OPTIONS sent inside dialogs.",
    ),
    (
        "dialogd_keepalive_failures_total",
        "Dialogs ended because a leg failed its keep-alive, by failure (481, timeout).",
    ),
    (
        "dialogd_refers_sent_total",
        "REFERs sent inside dialogs through the CallControl API.",
    ),
    (
        "dialogd_sip_messages_in_total",
        "SIP messages received, by method or response.",
    ),
    (
        "dialogd_sip_messages_out_total",
        "SIP messages sent, by method or response.",
    ),
    (
        "dialogd_admission_rejected_total",
        "INVITEs refused because a profile limit was reached.",
    ),
    (
        "dialogd_policy_rejected_total",
        "Requests refused by a policy rule.",
    ),
    ("dialogd_dialogs_parked_total", "Times a dialog parked."),
    (
        "dialogd_dialogs_revived_total",
        "Times a parked dialog was revived by a message, an API command or its timer.",
    ),
    (
        "dialogd_dialogs_adopted_total",
        "Dialogs this node took over (another node died, or this node restarted).",
    ),
    (
        "dialogd_dialogs_claimed_total",
        "Dialogs taken over because a request of theirs came here and their owner did not answer.",
    ),
    (
        "dialogd_admission_local_total",
        "INVITEs admitted on this node's own view while the cluster had no quorum.",
    ),
    (
        "dialogd_admission_overshoot_total",
        "Locally admitted dialogs found over a profile limit once committed.",
    ),
];

/// Registers the HELP text of the metrics in the module's table with the current recorder.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    for (name, help) in GAUGES {
        describe_gauge!(*name, *help);
    }
    for (name, help) in COUNTERS {
        describe_counter!(*name, *help);
    }
    describe_histogram!(
        "dialogd_owner_judge_seconds",
        "Time the owner took to judge an in-dialog request received here for its dialog."
    );
    describe_histogram!(
        "dialogd_admission_commit_seconds",
        metrics::Unit::Seconds,
        "Time of the Raft write of each new INVITE's admission."
    );
}

/// What the endpoint serves: the metrics and the node's health.
#[derive(Clone)]
struct Served {
    handle: PrometheusHandle,
    health: tokio::sync::watch::Receiver<Health>,
}

/// Serves `GET /metrics` and `GET /healthz` (from `health`) on `listener` until `shutdown`
/// completes.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    handle: PrometheusHandle,
    health: tokio::sync::watch::Receiver<Health>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(render))
        .route("/healthz", get(healthz))
        .with_state(Served { handle, health });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn render(State(served): State<Served>) -> impl IntoResponse {
    served.handle.run_upkeep();
    ([(CONTENT_TYPE, TEXT_FORMAT)], served.handle.render())
}

/// 200 `ok` while the node serves; 503 with the reason while it does not.
async fn healthz(State(served): State<Served>) -> (StatusCode, String) {
    let health = served.health.borrow().clone();
    match health {
        Health::Serving => (StatusCode::OK, "ok".to_owned()),
        not => (StatusCode::SERVICE_UNAVAILABLE, not.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;
    use crate::health::Reason;

    async fn get_raw(addr: std::net::SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    /// The metrics endpoint served on 127.0.0.1:0 until [`Served::stop`].
    struct Served {
        addr: std::net::SocketAddr,
        health: tokio::sync::watch::Sender<Health>,
        stop: tokio::sync::oneshot::Sender<()>,
        server: tokio::task::JoinHandle<std::io::Result<()>>,
    }

    async fn serve(handle: PrometheusHandle) -> Served {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (health, watched) = tokio::sync::watch::channel(Health::Serving);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_metrics(listener, handle, watched, async {
            let _ = stopped.await;
        }));
        Served {
            addr,
            health,
            stop,
            server,
        }
    }

    impl Served {
        /// Stops the server and checks it ended cleanly within 5 s.
        async fn stop(self) {
            self.stop.send(()).unwrap();
            tokio::time::timeout(std::time::Duration::from_secs(5), self.server)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        }
    }

    #[tokio::test]
    async fn serves_healthz_and_metrics_then_stops_on_shutdown() {
        let (recorder, handle) = build_recorder();
        metrics::with_local_recorder(&recorder, || {
            describe();
            metrics::counter!("dialogd_calls_total").increment(3);
            metrics::gauge!("dialogd_dialogs", "state" => "confirmed").set(2.0);
        });
        let served = serve(handle).await;
        let addr = served.addr;

        let health = get_raw(addr, "/healthz").await;
        assert!(health.starts_with("HTTP/1.1 200"), "{health}");
        assert!(health.ends_with("\r\n\r\nok"), "{health}");

        let metrics = get_raw(addr, "/metrics").await;
        assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
        assert!(
            metrics
                .to_ascii_lowercase()
                .contains("content-type: text/plain; version=0.0.4"),
            "{metrics}"
        );
        assert!(
            metrics.contains("# HELP dialogd_calls_total Dialogs confirmed (answered calls)."),
            "{metrics}"
        );
        assert!(metrics.contains("dialogd_calls_total 3"), "{metrics}");
        assert!(
            metrics.contains("dialogd_dialogs{state=\"confirmed\"} 2"),
            "{metrics}"
        );

        let missing = get_raw(addr, "/nope").await;
        assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");

        served.stop().await;
    }

    #[tokio::test]
    async fn healthz_is_503_with_the_reason_while_not_serving_and_ok_again_after() {
        let (_recorder, handle) = build_recorder();
        let served = serve(handle).await;
        let addr = served.addr;

        served
            .health
            .send_replace(Health::NotServing(Reason::Leaderless {
                after: std::time::Duration::from_secs(10),
            }));
        let down = get_raw(addr, "/healthz").await;
        assert!(down.starts_with("HTTP/1.1 503"), "{down}");
        assert!(
            down.ends_with("\r\n\r\nnot serving: no cluster leader with a quorum for 10 s or more (health.leaderless_secs)"),
            "{down}"
        );

        served.health.send_replace(Health::Serving);
        let up = get_raw(addr, "/healthz").await;
        assert!(up.starts_with("HTTP/1.1 200"), "{up}");
        assert!(up.ends_with("\r\n\r\nok"), "{up}");

        served.stop().await;
    }

    #[test]
    fn admission_commit_is_rendered_with_buckets() {
        let (recorder, handle) = build_recorder();
        metrics::with_local_recorder(&recorder, || {
            metrics::histogram!("dialogd_admission_commit_seconds").record(0.0012);
            metrics::histogram!("dialogd_admission_commit_seconds").record(0.0047);
        });
        let text = handle.render();
        assert!(
            text.contains("# TYPE dialogd_admission_commit_seconds histogram"),
            "{text}"
        );
        assert!(
            text.contains("dialogd_admission_commit_seconds_bucket{le=\"0.001\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("dialogd_admission_commit_seconds_bucket{le=\"0.00125\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("dialogd_admission_commit_seconds_bucket{le=\"0.005\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("dialogd_admission_commit_seconds_bucket{le=\"+Inf\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("dialogd_admission_commit_seconds_count 2"),
            "{text}"
        );
    }

    #[test]
    fn install_is_idempotent() {
        let a = install_recorder().unwrap();
        let b = install_recorder().unwrap();
        metrics::counter!("dialogd_test_install_total").increment(1);
        assert!(a.render().contains("dialogd_test_install_total 1"));
        assert!(b.render().contains("dialogd_test_install_total 1"));
    }
}
