use std::path::{Path, PathBuf};

use dialogd_test_support::tls::{NodeTlsFiles, TestCa};

use crate::config::{Config, ConfigError, Overrides};

const SECRET: &str = "[dialog]\nsecret = \"0123456789abcdef\"\n";

fn load(text: &str) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dialogd.toml");
    std::fs::write(&path, text).unwrap();
    let o = Overrides {
        config: Some(path),
        ..Overrides::default()
    };
    Config::load_with_env(&o, Vec::new())
}

fn tls_keys(cert: &Path, key: &Path, ca: &Path) -> String {
    format!(
        "tls_cert = \"{}\"\ntls_key = \"{}\"\ntls_ca = \"{}\"\n",
        cert.display(),
        key.display(),
        ca.display()
    )
}

#[test]
fn tls_files_go_together_and_a_joining_node_with_api_tls_needs_them() {
    let table: [(String, &str); 5] = [
        (
            "[cluster]\ntls_cert = \"/c.pem\"\n".into(),
            "cluster.tls_key: is needed with cluster.tls_cert: cluster.tls_cert, cluster.tls_key \
             and cluster.tls_ca go together (all three or none)",
        ),
        (
            "[cluster]\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n".into(),
            "cluster.tls_ca: is needed with cluster.tls_cert",
        ),
        (
            "[cluster]\ntls_server_name = \"10.0.0.1\"\n".into(),
            "cluster.tls_server_name: \"10.0.0.1\" is not a DNS name",
        ),
        (
            "[cluster]\ntls_server_name = \"node name\"\n".into(),
            "cluster.tls_server_name: \"node name\" is not a DNS name",
        ),
        (
            format!(
                "{SECRET}[api]\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n\
                 [cluster]\njoin = [\"https://10.0.0.1:50051\"]\n"
            ),
            "cluster.tls_cert: api.tls_cert makes the gRPC port speak TLS, and node-to-node \
             calls share the port",
        ),
    ];
    for (text, want) in table {
        let err = load(&text).unwrap_err().to_string();
        assert!(err.contains(want), "{text}\n{err}");
    }
    // The files are read at start, not by the check: paths that do not exist pass it.
    let both = format!(
        "{SECRET}[api]\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n\
         [cluster]\njoin = [\"https://10.0.0.1:50051\"]\n{}",
        tls_keys(
            Path::new("/nc.pem"),
            Path::new("/nk.pem"),
            Path::new("/ca.pem")
        )
    );
    let c = load(&both).unwrap();
    assert_eq!(c.cluster.tls_server_name, "dialogd-node");
    // A node of one with API TLS alone is fine, as before.
    load("[api]\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n").unwrap();
}

#[test]
fn cluster_tls_reads_and_checks_the_files_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("cluster").unwrap();
    let other = TestCa::new("other").unwrap();
    let good =
        NodeTlsFiles::write(&dir.path().join("good"), &ca, &ca.node_cert().unwrap()).unwrap();
    let foreign = NodeTlsFiles::write(
        &dir.path().join("foreign"),
        &ca,
        &other.node_cert().unwrap(),
    )
    .unwrap();
    let missing = PathBuf::from("/nonexistent/ca.pem");
    let config = |cert: &Path, key: &Path, ca: &Path, extra: &str| {
        load(&format!("[cluster]\n{}{extra}", tls_keys(cert, key, ca))).unwrap()
    };

    let c = config(&good.cert, &good.key, &good.ca, "");
    let tls = c.cluster_tls().unwrap().expect("TLS is configured");
    assert_eq!(tls.server_name(), "dialogd-node");
    let settings = c.cluster_settings("127.0.0.1:50051".parse().unwrap(), "secret");
    assert_eq!(settings.advertise, "https://127.0.0.1:50051");
    assert!(load("").unwrap().cluster_tls().unwrap().is_none());

    let table = [
        (
            config(&good.cert, &good.key, &missing, ""),
            "cluster.tls_ca: cannot read /nonexistent/ca.pem:".to_owned(),
        ),
        (
            config(&foreign.cert, &foreign.key, &foreign.ca, ""),
            format!(
                "cluster.tls_cert: {}: is not a node certificate for \"dialogd-node\" under the CA",
                foreign.cert.display()
            ),
        ),
        (
            config(&good.cert, &foreign.key, &good.ca, ""),
            format!(
                "cluster.tls_cert: {}: is not the certificate of the key",
                good.cert.display()
            ),
        ),
        (
            config(&good.cert, &good.cert, &good.ca, ""),
            format!(
                "cluster.tls_key: {}: holds no usable PEM private key",
                good.cert.display()
            ),
        ),
        (
            config(
                &good.cert,
                &good.key,
                &good.ca,
                "tls_server_name = \"other-name\"\n",
            ),
            format!(
                "cluster.tls_cert: {}: is not a node certificate for \"other-name\"",
                good.cert.display()
            ),
        ),
    ];
    for (c, want) in table {
        let err = c.cluster_tls().unwrap_err().to_string();
        assert!(err.starts_with(&want), "want {want}\n got {err}");
    }
}
