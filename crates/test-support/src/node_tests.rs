//! Unit tests of `node.rs`.

use super::*;

#[test]
fn endpoints_parse_the_three_addresses() {
    let e = Endpoints::parse(
        r#"{"sip":"127.0.0.1:5060","grpc":"127.0.0.1:50051","metrics":"127.0.0.1:9090"}"#,
    )
    .unwrap();
    assert_eq!(e.sip, "127.0.0.1:5060".parse().unwrap());
    assert_eq!(e.grpc_url(), "http://127.0.0.1:50051");
    assert_eq!(e.metrics.port(), 9090);
}

#[test]
fn endpoints_reject_partial_or_wrong_files() {
    let table = [
        "",
        "{\"sip\":\"127.0.0.1:1\"",
        r#"{"sip":"127.0.0.1:1","grpc":"127.0.0.1:2"}"#,
        r#"{"sip":"nowhere","grpc":"127.0.0.1:2","metrics":"127.0.0.1:3"}"#,
        r#"{"sip":5060,"grpc":"127.0.0.1:2","metrics":"127.0.0.1:3"}"#,
    ];
    for text in table {
        assert!(Endpoints::parse(text).is_err(), "{text:?} should not parse");
    }
}

#[test]
fn config_puts_base_keys_before_the_tests_tables() {
    let text = config_text(Path::new("/tmp/x \"y\""), "[dialog]\ndefault_timeout = 5\n");
    let base = text.find("metrics_listen").unwrap();
    let table = text.find("[dialog]").unwrap();
    assert!(base < table, "{text}");
    assert!(text.contains(r#"data_dir = "/tmp/x \"y\"""#), "{text}");
}

#[test]
fn a_binary_that_exits_is_reported_with_its_log() {
    let err = DialogdNode::start_with(Path::new("/bin/false"), "").unwrap_err();
    assert!(format!("{err:#}").contains("exited"), "{err:#}");
}
