//! Tables of broken config files (→ `file:line: reason`), the precedence of the layers
//! (defaults < file < env < flags) with the environment injected as a list, and the example
//! file of `deploy/` staying valid.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

fn write(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("dialogd.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn load_text(
    text: &str,
    env: &[(&str, &str)],
    flags: Overrides,
) -> (PathBuf, Result<Config, ConfigError>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), text);
    let o = Overrides {
        config: Some(path.clone()),
        ..flags
    };
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    (path, Config::load_with_env(&o, env), dir)
}

#[test]
fn defaults_without_file_env_or_flags() {
    let c = Config::load_with_env(&Overrides::default(), Vec::new()).unwrap();
    assert_eq!(c, Config::default());
    assert_eq!(c.node_id, DEFAULT_NODE_ID);
    assert_eq!(c.data_dir, PathBuf::from("./data"));
    assert_eq!(c.sip_listen.to_string(), DEFAULT_SIP_LISTEN);
    assert_eq!(c.grpc_listen.to_string(), DEFAULT_GRPC_LISTEN);
    assert_eq!(c.metrics_listen.to_string(), DEFAULT_METRICS_LISTEN);
    assert_eq!(
        (c.sip.t1(), c.sip.t2(), c.sip.t4()),
        (
            Duration::from_millis(500),
            Duration::from_secs(4),
            Duration::from_secs(5)
        )
    );
    assert_eq!(c.sip.max_forwards, 70);
    assert_eq!(c.default_timeout(), Duration::from_secs(43_200));
    assert_eq!(c.dialog.match_mode, MatchMode::DidFallback);
    assert_eq!(
        (
            c.dialog.limit_reject_code,
            c.dialog.limit_reject_reason.as_str()
        ),
        (486, "Busy Here")
    );
    assert!(!c.dialog.bye_on_timeout && c.dialog.secret.is_empty() && c.rules.is_empty());
    assert_eq!(
        c.advertise("127.0.0.1:40000".parse().unwrap()),
        "127.0.0.1:40000"
    );
}

#[test]
fn broken_files_fail_with_file_line_and_reason() {
    // (file, line, what the reason contains)
    let cases: &[(&str, usize, &str)] = &[
        (
            "node_id = 2\nsip_listen = \n",
            2,
            "TOML syntax error at column 14: invalid string; expected `\"`, `'`",
        ),
        (
            "node_id = 2\n[dialog\n",
            2,
            "TOML syntax error at column 8: invalid table header",
        ),
        (
            "node_id = \"one\"\n",
            1,
            "node_id: invalid type: string \"one\", expected u64",
        ),
        ("\n\nnod_id = 1\n", 3, "nod_id: unknown field `nod_id`"),
        (
            "[dialog]\ndefault_timeout = 60\ndefault_timout = 5\n",
            3,
            "dialog.default_timout: unknown field `default_timout`",
        ),
        (
            "sip_listen = \"localhost:5060\"\n",
            1,
            "sip_listen: invalid socket address syntax",
        ),
        (
            "[dialog]\nmatch_mode = \"did\"\n",
            2,
            "dialog.match_mode: unknown variant `did`",
        ),
        (
            "[sip]\nt1_ms = -5\n",
            2,
            "sip.t1_ms: invalid value: integer `-5`, expected u64",
        ),
        (
            "[[rules]]\nmatch = { from_usr = \"x\" }\n",
            2,
            "rules[0].match.from_usr: unknown field `from_usr`",
        ),
        (
            "[cluster]\njoin = [\"http://10.0.0.1:50051\"]\n",
            2,
            "cluster.join: joining a cluster needs the secret every member shares",
        ),
        (
            "[dialog]\nsecret = \"0123456789abcdef\"\n[cluster]\njoin = [\"10.0.0.1:50051\"]\n",
            4,
            "cluster.join[0]: \"10.0.0.1:50051\" is not an http:// or https:// URL",
        ),
        (
            "[cluster]\nadvertise = \"http://host\"\n",
            2,
            "cluster.advertise: \"http://host\" needs a host and a port",
        ),
        (
            "[cluster]\nheartbeat_ms = 200\nelection_timeout_ms = 300\n",
            3,
            "cluster.election_timeout_ms: 300 must be at least 3 × cluster.heartbeat_ms (200)",
        ),
        (
            "[cluster]\nfsync = \"sometimes\"\n",
            2,
            "cluster.fsync: unknown variant `sometimes`",
        ),
        (
            "[cluster]\non_no_quorum = \"admit\"\n",
            2,
            "cluster.on_no_quorum: unknown variant `admit`",
        ),
        (
            "[[rules]]\nprofiles = [{ name = \"a\", limit = \"five\" }]\n",
            2,
            "rules[0].profiles[0].limit: invalid type: string \"five\", expected u32",
        ),
        // Semantic errors: the line of the key.
        ("node_id = 0\n", 1, "node_id: 0 is out of range 1..=65535"),
        (
            "node_id = 1\n\n[dialog]\nlimit_reject_code = 700\n",
            4,
            "dialog.limit_reject_code: 700 is not a final error response",
        ),
        (
            "[dialog]\nlimit_reject_reason = \"\"\n",
            2,
            "dialog.limit_reject_reason: \"\" must be non-empty",
        ),
        (
            "[dialog]\ndefault_timeout = 0\n",
            2,
            "dialog.default_timeout: must be at least 1 second",
        ),
        // The bounds of hostile traffic.
        (
            "[limits]\nmax_transactions = 0\n",
            2,
            "limits.max_transactions: 0 is less than 1",
        ),
        (
            "[limits]\nmax_message_size = 70000\n",
            2,
            "limits.max_message_size: 70000 is out of range 1024..=65535",
        ),
        (
            "[tcp]\nmax_connections = 100\noutbound_reserve = 100\n",
            3,
            "tcp.outbound_reserve: 100 leaves no connection for peers",
        ),
        (
            "[tcp]\nqueue_bytes = 1000\n",
            2,
            "tcp.queue_bytes: 1000 is less than 65535 bytes",
        ),
        (
            "[flood]\nexempt = [\"10.0.0.0/8\", \"10.1.2.3/99\"]\n",
            2,
            "flood.exempt[1]:",
        ),
        ("[flood]\nwindow_ms = 0\n", 2, "flood.window_ms:"),
        ("[dns]\ntimeout_ms = 0\n", 2, "dns.timeout_ms:"),
        (
            "[proxy]\nrelay_allow = [\"10.0.0.0/8\", \"bad host\"]\n",
            2,
            "proxy.relay_allow[1]: \"bad host\" is not an IP address, a CIDR or a host name",
        ),
        (
            "[dialog]\nsecret = \"short\"\n",
            2,
            "dialog.secret: 5 bytes is too short",
        ),
        (
            "[dialog]\nbye_extra_headers = [\n  \"Reason: x\",\n  \"CSeq: 9 BYE\",\n]\n",
            4,
            "dialog.bye_extra_headers[1]: CSeq is written by the proxy",
        ),
        (
            "[dialog]\nbye_extra_headers = [\"no colon\"]\n",
            2,
            "is not a header line",
        ),
        (
            "[sip]\nt1_ms = 5000\nt2_ms = 4000\n",
            3,
            "sip.t2_ms: 4000 is less than sip.t1_ms (5000)",
        ),
        ("[sip]\nt4_ms = 0\n", 2, "sip.t4_ms: must be at least 1"),
        (
            "[sip]\nmax_forwards = 256\n",
            2,
            "sip.max_forwards: 256 is out of range 1..=255",
        ),
        (
            "\nsip_listen = \"0.0.0.0:5060\"\n",
            2,
            "sip_listen: 0.0.0.0:5060 is a wildcard address: set sip_advertise",
        ),
        (
            "sip_listen = \"[::]:5060\"\nsip_advertise = \"a b\"\n",
            2,
            "sip_advertise: \"a b\" is not host[:port]",
        ),
        (
            "node_id = 1\nsip_record_route = \"sip.example.net:0\"\n",
            2,
            "sip_record_route: \"sip.example.net:0\" is not host[:port]",
        ),
        (
            "grpc_listen = \"127.0.0.1:7000\"\nmetrics_listen = \"127.0.0.1:7000\"\n",
            2,
            "metrics_listen: 127.0.0.1:7000 is also grpc_listen",
        ),
        (
            "[[rules]]\nname = \"a\"\n\n[[rules]]\nname = \"b\"\nmatch = { method = \"INVITE\", from_user = \"(\" }\n",
            6,
            "rules[1].match.from_user: invalid regex \"(\"",
        ),
        (
            "[[rules]]\nname = \"lan\"\nmatch.src_ip = \"10.0.0.1/8\"\n",
            3,
            "rules[0].match.src_ip: \"10.0.0.1/8\" has host bits set; did you mean \"10.0.0.0/8\"? (rule \"lan\")",
        ),
        (
            "[[rules]]\nprofiles = [\n  { name = \"ok\" },\n  { name = \"c\", value = \"${from}\" },\n]\n",
            4,
            "rules[0].profiles[1].value: unknown variable ${from}",
        ),
        (
            "[[rules]]\ntimeout = 5\n[rules.reject]\ncode = 302\n",
            4,
            "rules[0].reject.code: code 302 is not a final error response",
        ),
        (
            "[[rules]]\nflags = [1, 40]\n",
            2,
            "rules[0].flags: flag 40 is out of range 0..=31",
        ),
    ];
    for (text, line, reason) in cases {
        let (path, got, _dir) = load_text(text, &[], Overrides::default());
        let err = got.expect_err(text);
        let msg = err.to_string();
        let prefix = format!("{}:{line}: ", path.display());
        assert!(
            msg.starts_with(&prefix),
            "{text:?}: got {msg:?}, want prefix {prefix:?}"
        );
        assert!(
            msg.contains(reason),
            "{text:?}: got {msg:?}, want {reason:?}"
        );
        assert!(!msg.contains('\n'), "{text:?}: one line please: {msg:?}");
        assert!(matches!(err, ConfigError::File { line: l, .. } if l == *line));
    }
}

#[test]
fn missing_file_is_a_read_error_naming_it() {
    let o = Overrides {
        config: Some(PathBuf::from("/nonexistent/dialogd.toml")),
        ..Overrides::default()
    };
    let err = Config::load_with_env(&o, Vec::new()).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(
        err.to_string()
            .starts_with("/nonexistent/dialogd.toml: cannot read config file"),
        "{err}"
    );
}

const FILE: &str = r#"
node_id = 2
data_dir = "/var/lib/dialogd"
sip_listen = "127.0.0.1:5070"
grpc_listen = "127.0.0.1:6000"

[dialog]
default_timeout = 100
limit_reject_code = 503
"#;

#[test]
fn precedence_defaults_file_env_flags() {
    let addr = |s: &str| s.parse::<std::net::SocketAddr>().unwrap();
    // File over defaults.
    let (_, c, _d) = load_text(FILE, &[], Overrides::default());
    let c = c.unwrap();
    assert_eq!(
        (c.node_id, c.sip_listen, c.grpc_listen),
        (2, addr("127.0.0.1:5070"), addr("127.0.0.1:6000"))
    );
    assert_eq!(c.metrics_listen, addr(DEFAULT_METRICS_LISTEN));
    assert_eq!(
        (c.dialog.default_timeout, c.dialog.limit_reject_code),
        (100, 503)
    );
    assert_eq!(c.dialog.limit_reject_reason, DEFAULT_LIMIT_REJECT_REASON);

    // Env over file, nested with `__`; unrelated variables ignored.
    let env = [
        ("DIALOGD_SIP_LISTEN", "127.0.0.1:5080"),
        ("DIALOGD_NODE_ID", "3"),
        ("DIALOGD_DIALOG__DEFAULT_TIMEOUT", "200"),
        ("DIALOGD_DIALOG__BYE_ON_TIMEOUT", "true"),
        (
            "DIALOGD_DIALOG__BYE_EXTRA_HEADERS",
            "[\"Reason: SIP;cause=200\"]",
        ),
        ("DIALOGD_SIP__T1_MS", "250"),
        ("DIALOGD_CONFIG", "/elsewhere.toml"),
        ("DIALOGD_LOG_FORMAT", "json"),
        ("HOME", "/root"),
    ];
    let (_, c, _d) = load_text(FILE, &env, Overrides::default());
    let c = c.unwrap();
    assert_eq!(
        (c.node_id, c.sip_listen, c.grpc_listen),
        (3, addr("127.0.0.1:5080"), addr("127.0.0.1:6000"))
    );
    assert_eq!(
        (
            c.dialog.default_timeout,
            c.dialog.limit_reject_code,
            c.dialog.bye_on_timeout
        ),
        (200, 503, true)
    );
    assert_eq!(
        c.dialog.bye_extra_headers,
        vec!["Reason: SIP;cause=200".to_string()]
    );
    assert_eq!((c.sip.t1_ms, c.sip.t2_ms), (250, DEFAULT_T2_MS));

    // Flags over env.
    let flags = Overrides {
        sip_listen: Some("127.0.0.1:5090".into()),
        grpc_listen: Some("127.0.0.1:6001".into()),
        metrics_listen: Some("127.0.0.1:9191".into()),
        data_dir: Some(PathBuf::from("/tmp/flag-data")),
        node_id: Some(4),
        ..Overrides::default()
    };
    let (_, c, _d) = load_text(FILE, &env, flags);
    let c = c.unwrap();
    assert_eq!(
        (c.node_id, c.sip_listen, c.grpc_listen),
        (4, addr("127.0.0.1:5090"), addr("127.0.0.1:6001"))
    );
    assert_eq!(
        (c.metrics_listen, c.data_dir.as_path()),
        (addr("127.0.0.1:9191"), Path::new("/tmp/flag-data"))
    );
    assert_eq!(c.dialog.default_timeout, 200);
}

#[test]
fn string_keys_from_env_stay_strings() {
    let secret = "12345678901234567890";
    let env = [
        ("DIALOGD_DIALOG__SECRET", secret),
        ("DIALOGD_API__TOKEN", "12345678901234567890123"),
        ("DIALOGD_DIALOG__LIMIT_REJECT_REASON", "42"),
        ("DIALOGD_SIP_ADVERTISE", "true"),
        ("DIALOGD_DATA_DIR", "7"),
    ];
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    let c = Config::load_with_env(&Overrides::default(), env).unwrap();
    assert_eq!(c.dialog.secret.expose(), secret);
    assert_eq!(c.dialog.limit_reject_reason, "42");
    assert_eq!(c.api.token.expose(), "12345678901234567890123");
    assert_eq!(c.sip_advertise.as_deref(), Some("true"));
    assert_eq!(c.data_dir, PathBuf::from("7"));
}

#[test]
fn bad_env_and_flag_values_name_the_variable_or_flag() {
    // (env, flags, expected message prefix)
    type Env = Vec<(&'static str, &'static str)>;
    let cases: Vec<(Env, Overrides, &str)> = vec![
        (
            vec![("DIALOGD_DIALOG__DEFAULT_TIMEOUT", "soon")],
            Overrides::default(),
            "environment variable DIALOGD_DIALOG__DEFAULT_TIMEOUT: dialog.default_timeout: invalid type: found string \"soon\"",
        ),
        (
            vec![("DIALOGD_DIALOG__LIMIT_REJECT_CODE", "700")],
            Overrides::default(),
            "environment variable DIALOGD_DIALOG__LIMIT_REJECT_CODE: dialog.limit_reject_code: 700 is not a final error response",
        ),
        (
            vec![("DIALOGD_SIP_LISTN", "127.0.0.1:1")],
            Overrides::default(),
            "environment variable DIALOGD_SIP_LISTN: sip_listn: unknown field",
        ),
        (
            vec![("DIALOGD_DIALOG__LIMIT_REJECT_CODE", "700")],
            Overrides {
                node_id: Some(0),
                ..Overrides::default()
            },
            "flag --node-id: node_id: 0 is out of range 1..=65535",
        ),
        (
            vec![],
            Overrides {
                sip_listen: Some("nowhere".into()),
                ..Overrides::default()
            },
            "flag --sip-listen: sip_listen: ",
        ),
        (
            vec![("DIALOGD_SIP_LISTEN", "0.0.0.0:5060")],
            Overrides::default(),
            "environment variable DIALOGD_SIP_LISTEN: sip_listen: 0.0.0.0:5060 is a wildcard address",
        ),
    ];
    for (env, flags, want) in cases {
        let vars = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let err = Config::load_with_env(&flags, vars).unwrap_err().to_string();
        assert!(
            err.starts_with(want),
            "env {env:?}: got {err:?}, want prefix {want:?}"
        );
    }
}

#[test]
fn validate_names_the_key_of_a_config_built_in_code() {
    let mut c = Config::default();
    c.dialog.limit_reject_code = 200;
    let err = c.validate().unwrap_err();
    assert_eq!(err.key(), Some("dialog.limit_reject_code"));
    assert_eq!(
        err.to_string(),
        "dialog.limit_reject_code: 200 is not a final error response (400..=699)"
    );
}

#[test]
fn example_config_in_deploy_is_valid_and_complete() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/dialogd.example.toml");
    let o = Overrides {
        config: Some(path.clone()),
        ..Overrides::default()
    };
    let c = Config::load_with_env(&o, Vec::new()).unwrap_or_else(|e| panic!("{e}"));
    assert!(!c.rules.is_empty(), "the example shows rules");
    let text = std::fs::read_to_string(&path).unwrap();
    for key in [
        "node_id",
        "data_dir",
        "sip_listen",
        "sip_advertise",
        "sip_record_route",
        "grpc_listen",
        "metrics_listen",
        "worker_threads",
        "t1_ms",
        "t2_ms",
        "t4_ms",
        "max_forwards",
        "default_timeout",
        "match_mode",
        "bye_on_timeout",
        "bye_extra_headers",
        "limit_reject_code",
        "limit_reject_reason",
        "secret",
        "[[rules]]",
        "timeout_noreset",
        "flags",
        "vars",
        "next_hop",
        "reject",
        "stop",
        "src_ip",
        "headers",
        "ruri_user",
        "ruri_host",
        "from_user",
        "from_host",
        "to_user",
        "to_host",
        "method",
        "[limits]",
        "max_transactions",
        "max_dialogs",
        "max_pending_admissions",
        "max_message_size",
        "max_headers",
        "max_header_line",
        "[tcp]",
        "max_connections_per_ip",
        "outbound_reserve",
        "message_timeout_ms",
        "queue_bytes",
        "[flood]",
        "block_secs",
        "exempt",
        "max_sources",
        "[proxy]",
        "relay_allow",
        "[dns]",
        "max_concurrent",
        "negative_ttl_secs",
        "tls_cert",
        "tls_key",
        "tls_ca",
        "tls_server_name",
    ] {
        assert!(text.contains(key), "example config does not show {key}");
    }
    // The bounds are shown with their defaults.
    assert_eq!(c.limits, LimitsConfig::default());
    assert_eq!(c.tcp, TcpConfig::default());
    assert_eq!(c.flood, FloodSection::default());
    assert_eq!(c.dns, DnsSection::default());
    assert_eq!(c.proxy, ProxySection::default());
}

#[test]
fn join_flag_overrides_the_file_and_keeps_the_other_cluster_keys() {
    let text = "[dialog]\nsecret = \"0123456789abcdef\"\n[cluster]\n\
                join = [\"http://10.0.0.9:50051\"]\ntakeover_grace_secs = 9\n";
    let flags = Overrides {
        join: vec![
            "http://10.0.0.1:50051".into(),
            "http://10.0.0.2:50051".into(),
        ],
        ..Overrides::default()
    };
    let (_, config, _dir) = load_text(text, &[], flags);
    let config = config.unwrap();
    assert_eq!(
        config.cluster.join,
        vec!["http://10.0.0.1:50051", "http://10.0.0.2:50051"]
    );
    assert_eq!(config.cluster.takeover_grace_secs, 9);
    let s = config.cluster_settings("127.0.0.1:50051".parse().unwrap(), "k");
    assert_eq!(s.advertise, "http://127.0.0.1:50051");
    assert_eq!(s.takeover_grace, std::time::Duration::from_secs(9));
    assert_eq!(s.data_dir, config.data_dir.join("raft"));
}

#[test]
fn sip_record_route_comes_from_file_env_or_flag() {
    let (_, c, _d) = load_text(
        "sip_record_route = \"sip.example.net\"\n",
        &[],
        Overrides::default(),
    );
    assert_eq!(
        c.unwrap().sip_record_route.as_deref(),
        Some("sip.example.net")
    );
    let env = [("DIALOGD_SIP_RECORD_ROUTE", "10.0.0.10:5080")];
    let (_, c, _d) = load_text("", &env, Overrides::default());
    assert_eq!(
        c.unwrap().sip_record_route.as_deref(),
        Some("10.0.0.10:5080")
    );
    let flags = Overrides {
        sip_record_route: Some("sip.example.org:5062".into()),
        ..Overrides::default()
    };
    let (_, c, _d) = load_text("sip_record_route = \"sip.example.net\"\n", &env, flags);
    assert_eq!(
        c.unwrap().sip_record_route.as_deref(),
        Some("sip.example.org:5062")
    );
    let (_, c, _d) = load_text("", &[], Overrides::default());
    assert_eq!(c.unwrap().sip_record_route, None);
}
