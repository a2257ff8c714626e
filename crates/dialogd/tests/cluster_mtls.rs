//! Scenario: three real `dialogd` processes whose node-to-node calls are mutual TLS (`[cluster]
//! tls_cert`, `tls_key`, `tls_ca`, certificates from a CA made in the test) and whose API has a
//! token. The cluster forms (joins, votes and replication over TLS), a call admitted on node 1
//! counts in its profile on node 2, and node 2 answers about the dialog by forwarding to its
//! owner; every `dialogctl` here trusts the CA and presents no certificate. Then, on one node:
//! a plaintext connection reaches nothing, a client without a certificate and a client with a
//! node certificate but the wrong secret are refused by the node-to-node services (the secret
//! stays a second factor), a client with a certificate of another CA fails its handshake, and
//! a node with certificates of another CA never becomes a member.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::path::Path;
use std::time::Duration;

use dialogd_api::pb::node_forward_client::NodeForwardClient;
use dialogd_api::{ClientOptions, TlsFiles};
use dialogd_cluster::network::pb::Payload;
use dialogd_cluster::network::pb::cluster_internal_client::ClusterInternalClient;
use dialogd_test_support::serde_json::Value;
use dialogd_test_support::tls::{CertPair, NodeTlsFiles, TestCa};
use dialogd_test_support::{DialogdCluster, DialogdNode, SippCall, binary, wait_until};
use tonic::Code;

const TOKEN: &str = "mtls-test-token-0123456789";
const SECRET: &str = "mtls-test-cluster-secret-0123456789";

/// The node-to-node key the members derive from [`SECRET`] (what travels in the header).
fn node_key() -> String {
    dialogd_node::keys::NodeKeys::derive(b"unused-did-root", Some(SECRET.as_bytes())).cluster
}

const CONFIG: &str = r#"
[dialog]
secret = "mtls-test-did-secret-0123456789"

[[rules]]
name = "per-caller"
match = { method = "INVITE", from_user = "^mtls$" }
profiles = [{ name = "caller", value = "${from_user}" }]
"#;

const CALLS: u64 = 2;
const HOLD: Duration = Duration::from_secs(30);
const RUN: Duration = Duration::from_secs(60);

/// The `[cluster]` keys of a member with these certificate files.
fn cluster_keys(files: &NodeTlsFiles) -> String {
    format!("secret = \"{SECRET}\"\n{}", files.cluster_keys())
}

/// The CA of the cluster and the files of one node certificate, which every member shares.
fn cluster_files(dir: &Path) -> (TestCa, CertPair, NodeTlsFiles) {
    let ca = TestCa::new("dialogd test cluster CA").unwrap();
    let node = ca.node_cert().unwrap();
    let files = NodeTlsFiles::write(dir, &ca, &node).unwrap();
    (ca, node, files)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_cluster_with_mutual_tls_forms_replicates_and_serves_clients_without_certificates() {
    let certs = tempfile::tempdir().unwrap();
    let (_ca, _node, files) = cluster_files(certs.path());
    let cluster =
        DialogdCluster::start_with_tls(3, &cluster_keys(&files), CONFIG, Some(TOKEN), &files.ca)
            .unwrap();

    // Formed over TLS: three voters, one leader, members advertised as https://.
    let members = cluster.members(1).unwrap();
    let list = members["members"].as_array().unwrap();
    assert_eq!(list.len(), 3, "{members}");
    assert!(
        list.iter()
            .all(|m| m["addr"].as_str().unwrap().starts_with("https://")),
        "{members}"
    );

    let calls = SippCall::long(cluster.node(0).unwrap().sip_addr(), HOLD)
        .caller("mtls")
        .calls(CALLS)
        .all_at_once()
        .timeout(RUN)
        .spawn()
        .unwrap();

    // Admitted on node 1, counted on node 2 (a linearizable read at the leader) and listed
    // there from the replicated records.
    let on_node2 = cluster.dialogctl(1);
    let dialogs = wait_until(Duration::from_secs(20), "both calls up on node 2", || {
        let size = on_node2.profile_size("caller", Some("mtls"))?;
        anyhow::ensure!(size == CALLS, "size {size}");
        let list = on_node2.json(&[
            "dialogs",
            "list",
            "--owner-node",
            "1",
            "--state",
            "confirmed",
        ])?;
        let list = list.as_array().cloned().unwrap_or_default();
        anyhow::ensure!(list.len() as u64 == CALLS, "{} confirmed", list.len());
        Ok(list)
    })
    .unwrap();
    let ids: Vec<String> = dialogs
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    // Node 2 forwards a question about a dialog to its owner, node 1, over TLS.
    let shown = on_node2.dialog(&ids[0]).unwrap();
    assert_eq!(shown["owner_node"], Value::from(1), "{shown}");
    // Without the token, a client trusting the CA still reaches the port, and is refused.
    let (status, _, err) = cluster
        .dialogctl(2)
        .with_token(None)
        .run(&["stats"])
        .unwrap();
    assert_ne!(status, Some(0));
    assert!(err.contains("UNAUTHENTICATED"), "{err}");

    // The API ends both calls from node 3, forwarded to their owner.
    for id in &ids {
        cluster.dialogctl(2).end_dialog(id).unwrap();
    }
    let (outcome, _) = calls.finish().unwrap();
    assert!(outcome.all_successful(), "uac:\n{}", outcome.describe());
    assert_eq!(outcome.logged("bye_received").len() as u64, CALLS);
    wait_until(Duration::from_secs(20), "the profile to empty", || {
        let size = cluster.dialogctl(2).profile_size("caller", Some("mtls"))?;
        anyhow::ensure!(size == 0, "size {size}");
        Ok(())
    })
    .unwrap();
    for i in 0..3 {
        cluster.node(i).unwrap().assert_alive();
    }
}

/// Client options trusting `ca`, presenting `identity`, sending `secret`.
fn options(ca: &TestCa, identity: Option<&CertPair>, secret: Option<&str>) -> ClientOptions {
    ClientOptions {
        cluster_secret: secret.map(str::to_owned),
        tls_ca_pem: Some(ca.cert_pem().as_bytes().to_vec()),
        tls_server_name: Some("dialogd-node".into()),
        tls_identity: identity.map(|p| TlsFiles {
            cert_pem: p.cert_pem.as_bytes().to_vec(),
            key_pem: p.key_pem.as_bytes().to_vec(),
        }),
        timeout: Some(Duration::from_secs(5)),
        ..ClientOptions::default()
    }
}

/// `NodeForward.OfferTrigger` (with no trigger: a node's call gets INVALID_ARGUMENT) and
/// `ClusterInternal.Heartbeat` from a client with `options`; the codes, or `None` when the
/// connection itself failed.
async fn node_calls(url: &str, options: &ClientOptions) -> Option<(Code, String, Code)> {
    let channel = options.connect_channel(url).await.ok()?;
    let interceptor = options.interceptor().unwrap();
    let mut forward = NodeForwardClient::with_interceptor(channel.clone(), interceptor.clone());
    let offered = forward
        .offer_trigger(dialogd_api::pb::OfferTriggerRequest::default())
        .await;
    let mut internal = ClusterInternalClient::with_interceptor(channel, interceptor);
    let heartbeat = internal.heartbeat(Payload { json: Vec::new() }).await;
    let code = |r: Result<(), tonic::Status>| r.err().map_or(Code::Ok, |s| s.code());
    let forward_message = offered
        .as_ref()
        .err()
        .map(|s| s.message().to_owned())
        .unwrap_or_default();
    Some((
        code(offered.map(|_| ())),
        forward_message,
        code(heartbeat.map(|_| ())),
    ))
}

/// No connection, or no call answered by the server (its services and layers answer OK,
/// INVALID_ARGUMENT or UNAUTHENTICATED).
fn unanswered(calls: &Option<(Code, String, Code)>) -> bool {
    calls.as_ref().is_none_or(|(a, _, b)| {
        [a, b]
            .iter()
            .all(|c| !matches!(c, Code::Ok | Code::InvalidArgument | Code::Unauthenticated))
    })
}

#[test]
fn node_to_node_services_need_a_node_certificate_of_the_cluster_ca() {
    let certs = tempfile::tempdir().unwrap();
    let (ca, node_cert, files) = cluster_files(&certs.path().join("cluster"));
    let cluster =
        DialogdCluster::start_with_tls(1, &cluster_keys(&files), CONFIG, None, &files.ca).unwrap();
    let url = cluster.grpc_url(0);
    let other = TestCa::new("another CA").unwrap();
    let foreign_cert = other.node_cert().unwrap();
    let runtime = runtime();

    runtime.block_on(async {
        // A node: its certificate and the secret reach the services (which then refuse the
        // empty requests themselves).
        let node = node_calls(&url, &options(&ca, Some(&node_cert), Some(&node_key())))
            .await
            .expect("a node connects");
        assert_eq!(node.0, Code::InvalidArgument, "{node:?}");
        assert_eq!(node.2, Code::InvalidArgument, "{node:?}");

        // The secret alone, over TLS without a certificate: refused, naming the certificate.
        let secret_only = node_calls(&url, &options(&ca, None, Some(&node_key())))
            .await
            .expect("TLS without a client certificate connects");
        assert_eq!(
            (secret_only.0, secret_only.2),
            (Code::Unauthenticated, Code::Unauthenticated),
            "{secret_only:?}"
        );
        assert!(
            secret_only.1.contains("node certificate"),
            "{secret_only:?}"
        );

        // A node certificate with the wrong secret: the secret is still checked.
        let wrong_secret = node_calls(&url, &options(&ca, Some(&node_cert), Some("wrong")))
            .await
            .expect("a node certificate connects");
        assert_eq!(
            (wrong_secret.0, wrong_secret.2),
            (Code::Unauthenticated, Code::Unauthenticated),
            "{wrong_secret:?}"
        );

        // A certificate of another CA: the handshake fails, no service or layer answers.
        let foreign = node_calls(&url, &options(&ca, Some(&foreign_cert), Some(&node_key()))).await;
        assert!(unanswered(&foreign), "{foreign:?}");

        // Clear text to the TLS port: no gRPC answer at all.
        let plain = ClientOptions {
            cluster_secret: Some(SECRET.into()),
            timeout: Some(Duration::from_secs(5)),
            ..ClientOptions::default()
        };
        let plain_url = url.replace("https://", "http://");
        let cleartext = node_calls(&plain_url, &plain).await;
        assert!(unanswered(&cleartext), "{cleartext:?}");
    });

    // A node with certificates of another CA tries to join: it never becomes a member.
    let stranger_dir = certs.path().join("stranger");
    let stranger_files =
        NodeTlsFiles::write(&stranger_dir.join("tls"), &other, &foreign_cert).unwrap();
    let data_dir = stranger_dir.join("data");
    let text = format!(
        "node_id = 2\n\
         data_dir = \"{}\"\n\
         sip_listen = \"127.0.0.1:0\"\n\
         grpc_listen = \"127.0.0.1:0\"\n\
         metrics_listen = \"127.0.0.1:0\"\n\
         \n[cluster]\njoin = [\"{url}\"]\n{}\n{CONFIG}",
        data_dir.display(),
        cluster_keys(&stranger_files),
    );
    let stranger = DialogdNode::start_in(&binary("dialogd"), &stranger_dir, &data_dir, &text)
        .expect("the stranger starts (without a leader) after its bounded wait");
    wait_until(
        Duration::from_secs(10),
        "the stranger's join attempts",
        || {
            anyhow::ensure!(
                stranger.log().contains("join failed"),
                "no failed join logged yet"
            );
            Ok(())
        },
    )
    .unwrap();
    let members = cluster.members(0).unwrap();
    let ids: Vec<u64> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["node_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1], "{members}");
    cluster.node(0).unwrap().assert_alive();
    stranger.assert_alive();
}
