use dialogd_test_support::tls::{CertPair, ExtendedKeyUsagePurpose, TestCa};

use super::*;

fn tls(ca: &TestCa, pair: &CertPair, name: &str) -> Result<ClusterTls, TlsError> {
    ClusterTls::new(
        ca.cert_pem().as_bytes().to_vec(),
        pair.cert_pem.as_bytes().to_vec(),
        pair.key_pem.as_bytes().to_vec(),
        name.to_owned(),
    )
}

#[test]
fn a_node_certificate_of_the_ca_is_accepted() {
    let ca = TestCa::new("cluster").unwrap();
    let node = ca.node_cert().unwrap();
    let t = tls(&ca, &node, DEFAULT_SERVER_NAME).unwrap();
    assert_eq!(t.server_name(), "dialogd-node");
    assert!(!format!("{t:?}").contains("PRIVATE"), "{t:?}");
}

#[test]
fn unusable_settings_name_their_part() {
    let ca = TestCa::new("cluster").unwrap();
    let other = TestCa::new("other").unwrap();
    let node = ca.node_cert().unwrap();
    let foreign = other.node_cert().unwrap();
    let server_only = ca
        .leaf(&["dialogd-node"], &[ExtendedKeyUsagePurpose::ServerAuth])
        .unwrap();
    let client_only = ca
        .leaf(&["dialogd-node"], &[ExtendedKeyUsagePurpose::ClientAuth])
        .unwrap();
    let mismatched = CertPair {
        cert_pem: node.cert_pem.clone(),
        key_pem: foreign.key_pem.clone(),
    };
    let garbage = CertPair {
        cert_pem: "not a certificate".into(),
        key_pem: node.key_pem.clone(),
    };
    let no_key = CertPair {
        cert_pem: node.cert_pem.clone(),
        key_pem: node.cert_pem.clone(),
    };
    let table: [(&str, Result<ClusterTls, TlsError>, TlsPart, &str); 8] = [
        (
            "another CA's certificate",
            tls(&ca, &foreign, DEFAULT_SERVER_NAME),
            TlsPart::Cert,
            "is not a node certificate for \"dialogd-node\" under the CA",
        ),
        (
            "another name",
            tls(&ca, &node, "other-name"),
            TlsPart::Cert,
            "is not a node certificate for \"other-name\"",
        ),
        (
            "an IP address as name",
            tls(&ca, &node, "127.0.0.1"),
            TlsPart::ServerName,
            "\"127.0.0.1\" is not a DNS name",
        ),
        (
            "server usage only",
            tls(&ca, &server_only, DEFAULT_SERVER_NAME),
            TlsPart::Cert,
            "is not usable as a client certificate",
        ),
        (
            "client usage only",
            tls(&ca, &client_only, DEFAULT_SERVER_NAME),
            TlsPart::Cert,
            "is not a node certificate",
        ),
        (
            "a key of another certificate",
            tls(&ca, &mismatched, DEFAULT_SERVER_NAME),
            TlsPart::Cert,
            "is not the certificate of the key",
        ),
        (
            "no PEM certificate",
            tls(&ca, &garbage, DEFAULT_SERVER_NAME),
            TlsPart::Cert,
            "holds no PEM certificate",
        ),
        (
            "no PEM key",
            tls(&ca, &no_key, DEFAULT_SERVER_NAME),
            TlsPart::Key,
            "holds no usable PEM private key",
        ),
    ];
    for (case, result, part, reason) in table {
        let e = result.expect_err(case);
        assert_eq!(e.part, part, "{case}: {e}");
        assert!(e.reason.contains(reason), "{case}: {e}");
    }
    let no_ca = ClusterTls::new(
        b"garbage".to_vec(),
        node.cert_pem.into_bytes(),
        node.key_pem.into_bytes(),
        DEFAULT_SERVER_NAME.into(),
    )
    .unwrap_err();
    assert_eq!(no_ca.part, TlsPart::Ca, "{no_ca}");
}

#[test]
fn member_urls_are_dialled_with_tls_whatever_their_scheme() {
    let ca = TestCa::new("cluster").unwrap();
    let t = tls(&ca, &ca.node_cert().unwrap(), DEFAULT_SERVER_NAME).unwrap();
    for url in [
        "http://10.0.0.2:50051",
        "https://10.0.0.2:50051",
        "10.0.0.2:50051",
    ] {
        let e = peer_endpoint(url, Some(&t)).unwrap();
        assert_eq!(e.uri().to_string(), "https://10.0.0.2:50051/", "{url}");
    }
    let plain = peer_endpoint("10.0.0.2:50051", None).unwrap();
    assert_eq!(plain.uri().to_string(), "http://10.0.0.2:50051/");
    let refused = peer_endpoint("https://10.0.0.2:50051", None).unwrap_err();
    assert!(refused.contains("cluster.tls_cert"), "{refused}");
}
