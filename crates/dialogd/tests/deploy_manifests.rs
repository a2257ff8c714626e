//! The deploy files (`deploy/`) hold together: the Kubernetes manifests (every file of
//! `deploy/k8s/`), the docker-compose file and its mutual-TLS overlay, the Dockerfile and its
//! scripts, the systemd unit.
//!
//! No cluster and no container runs here: the YAML is parsed and cross-checked (names,
//! selectors, ports, probes), and the configuration each node would get — config file,
//! `DIALOGD_*` environment, command line — is handed to the real `dialogd --check-config`.
//! For Kubernetes that includes running the pod's `/bin/sh` entry command with a stand-in
//! `dialogd` on `PATH`, for pod ordinals 0, 1 and 2.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

const DIALOGD: &str = env!("CARGO_BIN_EXE_dialogd");
const SIP_PORT: u64 = 5060;
const GRPC_PORT: u64 = 50051;
const METRICS_PORT: u64 = 9090;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every document of a YAML file (empty documents left out).
fn yaml_docs(path: &Path) -> Vec<Value> {
    let text = read(path);
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| {
            Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: YAML: {e}", path.display()))
        })
        .filter(|v| !v.is_null())
        .collect()
}

/// `v` at a `/`-separated path, or a panic naming what is missing.
fn at<'a>(v: &'a Value, pointer: &str) -> &'a Value {
    v.pointer(pointer)
        .unwrap_or_else(|| panic!("{pointer} missing in {v:#}"))
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    at(v, pointer)
        .as_str()
        .unwrap_or_else(|| panic!("{pointer} is not a string"))
}

fn arr_at<'a>(v: &'a Value, pointer: &str) -> &'a Vec<Value> {
    at(v, pointer)
        .as_array()
        .unwrap_or_else(|| panic!("{pointer} is not a list"))
}

/// A YAML string list as strings.
fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("not a string: {s}"))
                .to_owned()
        })
        .collect()
}

/// `labels` ⊆ `of` (a selector's matchLabels against a pod's labels).
fn selects(selector: &Value, labels: &Value) -> bool {
    let selector = selector.as_object().expect("selector labels");
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

/// Every object of `deploy/k8s/*.yaml`, with its file.
fn k8s_objects() -> Vec<(PathBuf, Value)> {
    let dir = deploy_dir().join("k8s");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no manifest in {}", dir.display());
    files
        .into_iter()
        .flat_map(|f| yaml_docs(&f).into_iter().map(move |d| (f.clone(), d)))
        .collect()
}

fn k8s_find<'a>(objects: &'a [(PathBuf, Value)], kind: &str) -> Vec<&'a Value> {
    objects
        .iter()
        .map(|(_, o)| o)
        .filter(|o| o["kind"] == kind)
        .collect()
}

fn k8s_one<'a>(objects: &'a [(PathBuf, Value)], kind: &str) -> &'a Value {
    let found = k8s_find(objects, kind);
    assert_eq!(found.len(), 1, "one {kind} expected");
    found[0]
}

fn statefulset_container(sts: &Value) -> &Value {
    let containers = arr_at(sts, "/spec/template/spec/containers");
    containers
        .iter()
        .find(|c| c["name"] == "dialogd")
        .expect("a container named dialogd")
}

/// The headless Service the StatefulSet names.
fn headless_service<'a>(objects: &'a [(PathBuf, Value)], sts: &Value) -> &'a Value {
    let name = str_at(sts, "/spec/serviceName");
    k8s_find(objects, "Service")
        .into_iter()
        .find(|s| s["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("serviceName {name:?} is no Service of deploy/k8s"))
}

#[test]
fn k8s_every_manifest_parses_with_the_kinds_needed() {
    let objects = k8s_objects();
    for (file, o) in &objects {
        for key in ["/apiVersion", "/kind", "/metadata/name"] {
            assert!(
                o.pointer(key).is_some(),
                "{}: {key} missing",
                file.display()
            );
        }
    }
    let kinds: BTreeSet<&str> = objects
        .iter()
        .map(|(_, o)| o["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "StatefulSet",
        "Service",
        "ConfigMap",
        "Secret",
        "PodDisruptionBudget",
    ] {
        assert!(kinds.contains(kind), "no {kind} in deploy/k8s ({kinds:?})");
    }
    assert_eq!(
        k8s_find(&objects, "Service").len(),
        3,
        "headless + client + shared Record-Route"
    );
    let names: BTreeSet<(String, String)> = objects
        .iter()
        .map(|(_, o)| (o["kind"].to_string(), o["metadata"]["name"].to_string()))
        .collect();
    assert_eq!(
        names.len(),
        objects.len(),
        "two objects share a kind and name"
    );
}

#[test]
fn k8s_statefulset_services_and_pdb_select_the_pods() {
    let objects = k8s_objects();
    let sts = k8s_one(&objects, "StatefulSet");
    assert_eq!(sts["spec"]["replicas"], 3);
    let pod_labels = at(sts, "/spec/template/metadata/labels");
    assert!(selects(at(sts, "/spec/selector/matchLabels"), pod_labels));

    let headless = headless_service(&objects, sts);
    assert_eq!(headless["spec"]["clusterIP"], "None", "headless Service");
    assert_eq!(
        headless["spec"]["publishNotReadyAddresses"], true,
        "a joining pod must be resolvable before it is ready"
    );
    for svc in k8s_find(&objects, "Service") {
        assert!(
            selects(at(svc, "/spec/selector"), pod_labels),
            "Service {} does not select the pods",
            svc["metadata"]["name"]
        );
    }

    let pdb = k8s_one(&objects, "PodDisruptionBudget");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert!(selects(at(pdb, "/spec/selector/matchLabels"), pod_labels));

    // The pods advertise their names under the headless Service.
    let env = container_env_literals(statefulset_container(sts));
    assert!(
        env["PEERS"].starts_with(&format!("{}.", str_at(headless, "/metadata/name"))),
        "PEERS = {}",
        env["PEERS"]
    );

    // Every pod writes one Record-Route: the DNS name of a headless Service of the ready pods.
    let rr = &env["DIALOGD_SIP_RECORD_ROUTE"];
    let rr_service = rr.split('.').next().unwrap_or_default();
    let shared = k8s_find(&objects, "Service")
        .into_iter()
        .find(|svc| svc["metadata"]["name"] == rr_service)
        .unwrap_or_else(|| panic!("DIALOGD_SIP_RECORD_ROUTE {rr} names no Service of deploy/k8s"));
    assert_eq!(shared["spec"]["clusterIP"], "None", "{rr}: headless");
    assert_eq!(
        shared["spec"]["publishNotReadyAddresses"], false,
        "{rr}: a dead or unready pod must drop out of the name"
    );
    assert!(
        rr.ends_with(".svc.cluster.local:5060") && !rr.contains("$(POD_NAME)"),
        "{rr}: the same name on every pod"
    );
}

/// `(name, port, protocol)` of a container's or Service's ports.
fn ports(list: &[Value], port_key: &str) -> BTreeSet<(String, u64, String)> {
    list.iter()
        .map(|p| {
            (
                str_at(p, "/name").to_owned(),
                at(p, &format!("/{port_key}")).as_u64().unwrap(),
                p["protocol"].as_str().unwrap_or("TCP").to_owned(),
            )
        })
        .collect()
}

#[test]
fn k8s_ports_and_probes_are_consistent() {
    let objects = k8s_objects();
    let sts = k8s_one(&objects, "StatefulSet");
    let container = statefulset_container(sts);
    let container_ports = ports(arr_at(container, "/ports"), "containerPort");
    let expected: BTreeSet<(String, u64, String)> = [
        ("sip-udp", SIP_PORT, "UDP"),
        ("sip-tcp", SIP_PORT, "TCP"),
        ("grpc", GRPC_PORT, "TCP"),
        ("metrics", METRICS_PORT, "TCP"),
    ]
    .into_iter()
    .map(|(n, p, proto)| (n.to_owned(), p, proto.to_owned()))
    .collect();
    assert_eq!(container_ports, expected);

    // The listen addresses of the env are those ports.
    let env = container_env_literals(container);
    assert_eq!(env["DIALOGD_SIP_LISTEN"], format!("0.0.0.0:{SIP_PORT}"));
    assert_eq!(env["DIALOGD_GRPC_LISTEN"], format!("0.0.0.0:{GRPC_PORT}"));
    assert_eq!(
        env["DIALOGD_METRICS_LISTEN"],
        format!("0.0.0.0:{METRICS_PORT}")
    );
    assert!(env["DIALOGD_SIP_ADVERTISE"].ends_with(&format!(":{SIP_PORT}")));
    assert!(env["DIALOGD_CLUSTER__ADVERTISE"].ends_with(&format!(":{GRPC_PORT}")));

    // Every Service port targets a container port of the same protocol.
    for svc in k8s_find(&objects, "Service") {
        for p in arr_at(svc, "/spec/ports") {
            let target = str_at(p, "/targetPort");
            let proto = p["protocol"].as_str().unwrap_or("TCP");
            let port = p["port"].as_u64().unwrap();
            assert!(
                container_ports
                    .iter()
                    .any(|(n, cp, cproto)| n == target && *cp == port && cproto == proto),
                "Service {} port {p} has no matching container port",
                svc["metadata"]["name"]
            );
        }
        let names: Vec<&str> = arr_at(svc, "/spec/ports")
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        // The Record-Route's Service carries SIP only; the others SIP and gRPC.
        let sip_only = env["DIALOGD_SIP_RECORD_ROUTE"]
            .starts_with(&format!("{}.", str_at(svc, "/metadata/name")));
        let needed: &[&str] = if sip_only {
            &["sip-udp", "sip-tcp"]
        } else {
            &["sip-udp", "sip-tcp", "grpc"]
        };
        for needed in needed {
            assert!(names.contains(needed), "{needed} missing in {names:?}");
        }
    }

    // Readiness (and startup) on /healthz of the metrics port: the gRPC port speaks TLS,
    // which Kubernetes' grpc probes do not. Liveness only asks that the process answers on
    // that port: a node without a leader is not ready, and restarting it would not help.
    for probe in ["readinessProbe", "startupProbe"] {
        let p = at(container, &format!("/{probe}"));
        assert_eq!(p["httpGet"]["path"], "/healthz", "{probe}: {p}");
        assert_eq!(p["httpGet"]["port"], "metrics", "{probe}: {p}");
    }
    let live = at(container, "/livenessProbe");
    assert_eq!(
        live["tcpSocket"]["port"], "metrics",
        "livenessProbe: {live}"
    );
    assert!(at(sts, "/spec/template/spec/terminationGracePeriodSeconds").as_u64() >= Some(30));
}

/// The container's literal env values (`value:`), without expansion.
fn container_env_literals(container: &Value) -> BTreeMap<String, String> {
    arr_at(container, "/env")
        .iter()
        .filter_map(|e| {
            Some((
                str_at(e, "/name").to_owned(),
                e["value"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// Kubernetes' `$(VAR)` expansion from the variables defined so far (unknown ones are kept).
fn expand_k8s(value: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("$(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find(')') {
            Some(end) if vars.contains_key(&after[..end]) => {
                out.push_str(&vars[&after[..end]]);
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("$(");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The pod's environment as Kubernetes would build it for pod `pod` in `namespace`.
fn pod_env(
    objects: &[(PathBuf, Value)],
    container: &Value,
    pod: &str,
    namespace: &str,
) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for e in arr_at(container, "/env") {
        let name = str_at(e, "/name").to_owned();
        let value = if let Some(v) = e["value"].as_str() {
            Some(expand_k8s(v, &vars))
        } else if let Some(field) = e.pointer("/valueFrom/fieldRef/fieldPath") {
            Some(match field.as_str().unwrap() {
                "metadata.name" => pod.to_owned(),
                "metadata.namespace" => namespace.to_owned(),
                other => panic!("fieldRef {other} not simulated"),
            })
        } else if let Some(r) = e.pointer("/valueFrom/secretKeyRef") {
            let secret = k8s_find(objects, "Secret")
                .into_iter()
                .find(|s| s["metadata"]["name"] == r["name"])
                .unwrap_or_else(|| panic!("secret {} is not in deploy/k8s", r["name"]));
            let key = str_at(r, "/key");
            // A Secret shipped without data is filled by the operator (`kubectl create
            // secret`, as its comment says): an operator's value stands in for it here.
            let filled_by_operator =
                secret.get("stringData").is_none() && secret.get("data").is_none();
            let v = if filled_by_operator {
                Some(format!("{key}-f3a9c1d2e4b5a6978877665544332211"))
            } else {
                secret["stringData"][key].as_str().map(str::to_owned)
            };
            assert!(
                v.is_some() || r["optional"] == true,
                "secret key {key} missing and not optional"
            );
            v
        } else {
            panic!("env {name}: source not simulated: {e}");
        };
        if let Some(v) = value {
            vars.insert(name, v);
        }
    }
    vars
}

/// A stand-in `dialogd` for the entry command: prints its arguments, then runs the real
/// binary with `--check-config`.
fn fake_dialogd_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("dialogd");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"args: $*\"\nexec '{DIALOGD}' \"$@\" --check-config\n"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

#[test]
fn k8s_config_map_and_pod_environment_pass_check_config() {
    let objects = k8s_objects();
    let sts = k8s_one(&objects, "StatefulSet");
    let container = statefulset_container(sts);
    let namespace = "dialogd-test";

    // The ConfigMap is mounted where DIALOGD_CONFIG points, and parses as TOML.
    let volumes = arr_at(sts, "/spec/template/spec/volumes");
    let config_volume = volumes
        .iter()
        .find(|v| v.get("configMap").is_some())
        .expect("a configMap volume");
    let cm_name = str_at(config_volume, "/configMap/name");
    let cm = k8s_find(&objects, "ConfigMap")
        .into_iter()
        .find(|c| c["metadata"]["name"] == cm_name)
        .unwrap_or_else(|| panic!("ConfigMap {cm_name} is not in deploy/k8s"));
    let toml_text = str_at(cm, "/data/dialogd.toml");
    toml::from_str::<toml::Table>(toml_text).expect("the ConfigMap's dialogd.toml is TOML");
    let mount = arr_at(container, "/volumeMounts")
        .iter()
        .find(|m| m["name"] == config_volume["name"])
        .expect("the config volume is mounted");
    let env0 = pod_env(&objects, container, "dialogd-0", namespace);
    assert_eq!(
        env0["DIALOGD_CONFIG"],
        format!("{}/dialogd.toml", str_at(mount, "/mountPath"))
    );
    // The data volume is mounted at the data dir.
    assert!(
        arr_at(container, "/volumeMounts")
            .iter()
            .any(|m| m["mountPath"] == env0["DIALOGD_DATA_DIR"].as_str()),
        "data_dir is not a mounted volume"
    );

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dialogd.toml");
    std::fs::write(&config, toml_text).unwrap();
    let fake = fake_dialogd_dir();
    let command = strings(at(container, "/command"));
    let args = strings(at(container, "/args"));
    let seed = format!("https://dialogd-0.dialogd-headless.{namespace}.svc.cluster.local:50051");

    for ordinal in 0..3 {
        let pod = format!("dialogd-{ordinal}");
        let mut env = pod_env(&objects, container, &pod, namespace);
        env.insert("DIALOGD_CONFIG".into(), config.display().to_string());
        env.insert("PATH".into(), fake.path().display().to_string());
        assert_eq!(
            env["DIALOGD_CLUSTER__ADVERTISE"],
            format!("https://{pod}.dialogd-headless.{namespace}.svc.cluster.local:50051")
        );
        let out = Command::new(&command[0])
            .args(&command[1..])
            .args(&args)
            .env_clear()
            .envs(&env)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "pod {pod}: entry command failed\n{stdout}\n{stderr}"
        );
        let expected = if ordinal == 0 {
            "args: --node-id 1".to_owned()
        } else {
            format!("args: --node-id {} --join {seed}", ordinal + 1)
        };
        assert_eq!(
            stdout.lines().collect::<Vec<_>>(),
            [expected.as_str(), "OK"],
            "pod {pod}\n{stderr}"
        );
    }
}

#[test]
fn k8s_nodes_take_the_cluster_tls_files_from_the_mounted_secret() {
    let objects = k8s_objects();
    let sts = k8s_one(&objects, "StatefulSet");
    let container = statefulset_container(sts);
    let volume = arr_at(sts, "/spec/template/spec/volumes")
        .iter()
        .find(|v| v.get("secret").is_some())
        .expect("a secret volume");
    let secret_name = str_at(volume, "/secret/secretName");
    assert!(
        k8s_find(&objects, "Secret")
            .iter()
            .any(|s| s["metadata"]["name"] == secret_name),
        "Secret {secret_name} is not in deploy/k8s"
    );
    let mount = arr_at(container, "/volumeMounts")
        .iter()
        .find(|m| m["name"] == volume["name"])
        .expect("the TLS secret is mounted");
    let dir = str_at(mount, "/mountPath");
    let env = container_env_literals(container);
    for (key, file) in [
        ("DIALOGD_CLUSTER__TLS_CERT", "node.pem"),
        ("DIALOGD_CLUSTER__TLS_KEY", "node-key.pem"),
        ("DIALOGD_CLUSTER__TLS_CA", "ca.pem"),
        ("DIALOGCTL_TLS_CA", "ca.pem"),
    ] {
        assert_eq!(env[key], format!("{dir}/{file}"), "{key}");
    }
    assert!(env["DIALOGCTL_ADDR"].starts_with("https://"));
}

// ---------------------------------------------------------------------------------------------
// docker-compose

/// `ENV` of the Dockerfile: the image's environment.
fn dockerfile_env() -> BTreeMap<String, String> {
    let text = read(&deploy_dir().join("docker/Dockerfile"));
    let mut env = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("ENV ") else {
            continue;
        };
        let mut line = rest;
        loop {
            let continued = line.trim_end().ends_with('\\');
            for pair in line.trim_end().trim_end_matches('\\').split_whitespace() {
                let (k, v) = pair.split_once('=').expect("ENV KEY=VALUE");
                env.insert(k.to_owned(), v.to_owned());
            }
            if !continued {
                break;
            }
            line = lines.next().expect("ENV continues");
        }
    }
    env
}

/// Compose's `${VAR:-default}` / `${VAR-default}` / `${VAR}` with no variable set.
fn expand_compose(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').expect("closing }");
        let inner = &after[..end];
        if let Some((var, _)) = inner.split_once(":?") {
            // Required: the operator's own value (a test value here).
            out.push_str(&format!(
                "{}-f3a9c1d2e4b5a6978877665544332211",
                var.to_lowercase()
            ));
        } else if let Some((_, default)) = inner.split_once(":-").or_else(|| inner.split_once('-'))
        {
            out.push_str(default);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn compose() -> Value {
    let docs = yaml_docs(&deploy_dir().join("compose/docker-compose.yml"));
    assert_eq!(docs.len(), 1);
    docs.into_iter().next().unwrap()
}

/// A service's environment (map form).
fn service_env(service: &Value) -> BTreeMap<String, String> {
    at(service, "/environment")
        .as_object()
        .expect("environment as a map")
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// The value following `flag` in `args`.
fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let i = args.iter().position(|a| a == flag)?;
    args.get(i + 1).map(String::as_str)
}

#[test]
fn compose_three_nodes_one_network_nodes_two_and_three_join_node_one() {
    let compose = compose();
    let services = at(&compose, "/services").as_object().unwrap();
    let nodes: Vec<(&String, &Value)> = services
        .iter()
        .filter(|(_, s)| {
            s["image"]
                .as_str()
                .is_some_and(|i| i.starts_with("dialogd:"))
        })
        .collect();
    assert_eq!(nodes.len(), 3, "three dialogd services");

    let mut networks = BTreeSet::new();
    let mut ips = BTreeSet::new();
    let mut ids = BTreeSet::new();
    let mut secrets = BTreeSet::new();
    let mut volumes = BTreeSet::new();
    let mut first_ip = None;
    for (name, s) in &nodes {
        assert!(s.get("profiles").is_none(), "{name} must start on `up`");
        let nets = at(s, "/networks").as_object().unwrap();
        assert_eq!(nets.len(), 1, "{name}: one network");
        let (net, conf) = nets.iter().next().unwrap();
        networks.insert(net.clone());
        let ip = str_at(conf, "/ipv4_address").to_owned();
        assert!(ips.insert(ip.clone()), "{name}: address {ip} taken twice");

        let args = strings(at(s, "/command"));
        let id: u64 = flag_value(&args, "--node-id").unwrap().parse().unwrap();
        assert!(ids.insert(id), "{name}: node id {id} taken twice");
        let env = service_env(s);
        secrets.insert(expand_compose(&env["DIALOGD_DIALOG__SECRET"]));
        assert_eq!(env["DIALOGD_SIP_ADVERTISE"], format!("{ip}:{SIP_PORT}"));
        assert_eq!(
            env["DIALOGD_CLUSTER__ADVERTISE"],
            format!("http://{ip}:{GRPC_PORT}")
        );
        if id == 1 {
            assert_eq!(
                flag_value(&args, "--join"),
                None,
                "node 1 starts the cluster"
            );
            first_ip = Some(ip.clone());
        }

        // A named volume of its own on the data dir; the rule file where DIALOGD_CONFIG says.
        let mounts = strings(at(s, "/volumes"));
        let data = mounts
            .iter()
            .find(|m| m.ends_with(":/var/lib/dialogd"))
            .unwrap_or_else(|| panic!("{name}: no volume on /var/lib/dialogd"));
        let volume = data.split(':').next().unwrap().to_owned();
        assert!(
            compose["volumes"].get(&volume).is_some(),
            "{name}: volume {volume} is not declared"
        );
        assert!(volumes.insert(volume), "{name}: data volume shared");
        let config = mounts
            .iter()
            .find(|m| m.split(':').nth(1) == Some(env["DIALOGD_CONFIG"].as_str()))
            .unwrap_or_else(|| panic!("{name}: DIALOGD_CONFIG is not mounted"));
        let source = deploy_dir()
            .join("compose")
            .join(config.split(':').next().unwrap());
        assert!(source.is_file(), "{}", source.display());
    }
    assert_eq!(networks.len(), 1, "one network: {networks:?}");
    assert_eq!(secrets.len(), 1, "one secret: {secrets:?}");
    assert!(
        secrets.iter().all(|s| s.len() >= 16),
        "secret too short: {secrets:?}"
    );
    let first_ip = first_ip.expect("a node 1");
    for (name, s) in &nodes {
        let args = strings(at(s, "/command"));
        if flag_value(&args, "--node-id") != Some("1") {
            assert_eq!(
                flag_value(&args, "--join"),
                Some(format!("http://{first_ip}:{GRPC_PORT}").as_str()),
                "{name} joins node 1"
            );
        }
    }
    let network = networks.iter().next().unwrap();
    let subnet = str_at(&compose["networks"][network], "/ipam/config/0/subnet");
    let prefix = subnet.rsplit_once('.').unwrap().0;
    assert!(
        ips.iter().all(|ip| ip.starts_with(prefix)),
        "{ips:?} in {subnet}"
    );
}

/// The dialogd services of the compose file (not SIPp's), by name.
fn compose_nodes(compose: &Value) -> Vec<(&String, &Value)> {
    at(compose, "/services")
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, s)| {
            s["image"]
                .as_str()
                .is_some_and(|i| i.starts_with("dialogd:"))
        })
        .collect()
}

/// `dialogd <command> --check-config` as compose runs service `name`: the image's environment,
/// the service's (expanded), then `overlay` (an override file's), and the compose rule file.
/// Asserts that it passes; returns its stdout.
fn compose_check_config(
    name: &str,
    service: &Value,
    overlay: BTreeMap<String, String>,
    command: &[String],
) -> String {
    let rules = deploy_dir().join("compose/dialogd.toml");
    let mut env = dockerfile_env();
    env.extend(
        service_env(service)
            .into_iter()
            .map(|(k, v)| (k, expand_compose(&v))),
    );
    env.extend(overlay);
    env.insert("DIALOGD_CONFIG".into(), rules.display().to_string());
    let out = Command::new(DIALOGD)
        .args(command)
        .arg("--check-config")
        .env_clear()
        .envs(&env)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn compose_nodes_pass_check_config() {
    let compose = compose();
    let image_env = dockerfile_env();
    assert_eq!(
        image_env["DIALOGD_SIP_LISTEN"],
        format!("0.0.0.0:{SIP_PORT}")
    );
    let rules = deploy_dir().join("compose/dialogd.toml");
    toml::from_str::<toml::Table>(&read(&rules)).expect("deploy/compose/dialogd.toml is TOML");
    for (name, s) in compose_nodes(&compose) {
        let command = strings(at(s, "/command"));
        let stdout = compose_check_config(name, s, BTreeMap::new(), &command);
        assert_eq!(stdout.trim(), "OK");
    }
}

#[test]
fn compose_mtls_override_gives_every_node_the_cluster_tls_and_passes_check_config() {
    let base = compose();
    let docs = yaml_docs(&deploy_dir().join("compose/docker-compose.mtls.yml"));
    assert_eq!(docs.len(), 1);
    let overlay = &docs[0];
    for (name, s) in compose_nodes(&base) {
        let o = at(overlay, &format!("/services/{name}"));
        let o_env = service_env(o);
        // The three files are mounted from ./certs where the env says, the CA key never.
        let mounts: BTreeMap<String, String> = strings(at(o, "/volumes"))
            .iter()
            .map(|v| {
                let parts: Vec<&str> = v.split(':').collect();
                (parts[1].to_owned(), parts[0].to_owned())
            })
            .collect();
        assert!(!mounts.values().any(|src| src.contains("ca-key")), "{name}");
        for (key, file) in [
            ("DIALOGD_CLUSTER__TLS_CERT", "node.pem"),
            ("DIALOGD_CLUSTER__TLS_KEY", "node-key.pem"),
            ("DIALOGD_CLUSTER__TLS_CA", "ca.pem"),
            ("DIALOGCTL_TLS_CA", "ca.pem"),
        ] {
            let target = &o_env[key];
            assert_eq!(
                mounts.get(target).map(String::as_str),
                Some(format!("./certs/{file}").as_str()),
                "{name}: {key}"
            );
        }
        assert!(o_env["DIALOGCTL_ADDR"].starts_with("https://"), "{name}");
        assert!(
            o_env["DIALOGD_CLUSTER__ADVERTISE"].starts_with("https://"),
            "{name}"
        );
        let command = strings(o.get("command").unwrap_or(&s["command"]));
        if let Some(join) = flag_value(&command, "--join") {
            assert!(join.starts_with("https://"), "{name}: {join}");
        }
        // The merged configuration passes --check-config (the files are read at start).
        compose_check_config(name, s, o_env, &command);
    }
}

#[test]
fn compose_shared_record_route_override_names_every_node_and_passes_check_config() {
    let base = compose();
    let docs = yaml_docs(&deploy_dir().join("compose/docker-compose.shared-rr.yml"));
    assert_eq!(docs.len(), 1);
    let overlay = &docs[0];
    let nodes = compose_nodes(&base);
    assert_eq!(nodes.len(), 3);
    let mut names = BTreeSet::new();
    for (name, s) in nodes {
        let o = at(overlay, &format!("/services/{name}"));
        let o_env = service_env(o);
        let rr = o_env["DIALOGD_SIP_RECORD_ROUTE"].clone();
        names.insert(rr.clone());
        // The name is an alias of this node on the compose network, next to its own address.
        let host = rr.split(':').next().unwrap_or_default();
        let net = at(o, "/networks/dialogd");
        assert_eq!(
            net["ipv4_address"], s["networks"]["dialogd"]["ipv4_address"],
            "{name}: the overlay keeps the node's address"
        );
        assert!(
            strings(at(net, "/aliases")).iter().any(|a| a == host),
            "{name}: {host} is not an alias of the node"
        );
        compose_check_config(name, s, o_env, &strings(at(s, "/command")));
    }
    assert_eq!(
        names.len(),
        1,
        "one Record-Route for the whole cluster: {names:?}"
    );
}

#[test]
fn compose_sipp_services_are_in_the_sipp_profile() {
    let compose = compose();
    let services = at(&compose, "/services").as_object().unwrap();
    let sipp: Vec<(&String, &Value)> = services
        .iter()
        .filter(|(_, s)| s["image"].as_str().is_some_and(|i| i.contains("sipp")))
        .collect();
    assert_eq!(sipp.len(), 2, "uac and uas");
    for (name, s) in sipp {
        assert_eq!(strings(at(s, "/profiles")), ["sipp"], "{name}");
        let args = strings(at(s, "/command"));
        let scenario = flag_value(&args, "-sf").expect("-sf");
        let mounts = strings(at(s, "/volumes"));
        let (source, target) = mounts
            .iter()
            .find_map(|m| {
                let mut parts = m.split(':');
                let (source, target) = (parts.next()?, parts.next()?);
                scenario
                    .starts_with(&format!("{target}/"))
                    .then(|| (source.to_owned(), target.to_owned()))
            })
            .unwrap_or_else(|| panic!("{name}: {scenario} is not under a mounted folder"));
        let file = deploy_dir()
            .join("compose")
            .join(source)
            .join(&scenario[target.len() + 1..]);
        assert!(file.is_file(), "{name}: {}", file.display());
    }
}

// ---------------------------------------------------------------------------------------------
// Dockerfile and scripts

#[test]
fn dockerfile_builds_from_a_local_base_as_a_non_root_user() {
    let text = read(&deploy_dir().join("docker/Dockerfile"));
    let instructions: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .collect();
    let base = instructions
        .iter()
        .position(|l| *l == "ARG BASE=dialogd-base:local")
        .expect("ARG BASE=dialogd-base:local");
    let from = instructions
        .iter()
        .position(|l| *l == "FROM ${BASE}")
        .expect("FROM ${BASE}");
    assert!(base < from);
    let has = |prefix: &str| instructions.iter().any(|l| l.starts_with(prefix));
    for prefix in [
        "USER ${UID}",
        "VOLUME [\"/var/lib/dialogd\"]",
        "HEALTHCHECK ",
        "ENTRYPOINT [\"dialogd\"]",
    ] {
        assert!(has(prefix), "Dockerfile: no {prefix}");
    }
    assert!(text.contains("ARG UID=10001"), "non-root uid");
    assert!(text.contains("dialogctl"), "dialogctl in the image");
    let expose = instructions
        .iter()
        .find(|l| l.starts_with("EXPOSE "))
        .expect("EXPOSE");
    for port in ["5060/udp", "5060/tcp", "50051/tcp", "9090/tcp"] {
        assert!(expose.contains(port), "EXPOSE lacks {port}");
    }
    assert_eq!(
        dockerfile_env()["DIALOGD_DATA_DIR"],
        "/var/lib/dialogd",
        "the data dir is the volume"
    );
}

#[test]
fn deploy_scripts_are_strict_and_executable() {
    let dir = deploy_dir().join("docker");
    let mut scripts = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "sh") {
            continue;
        }
        let text = read(&path);
        let sourced = text.starts_with("# shellcheck shell=bash");
        if !sourced {
            assert!(
                text.starts_with("#!/usr/bin/env bash\n"),
                "{}",
                path.display()
            );
            assert!(
                text.contains("\nset -euo pipefail\n"),
                "{}: set -euo pipefail",
                path.display()
            );
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path).unwrap().permissions().mode();
                assert!(mode & 0o111 != 0, "{} is not executable", path.display());
            }
        }
        scripts.push(path);
    }
    for needed in ["build-base.sh", "build-image.sh", "build-sipp.sh"] {
        assert!(
            scripts.iter().any(|p| p.ends_with(needed)),
            "deploy/docker/{needed} missing"
        );
    }
    // shellcheck, where installed (`apt-get install shellcheck`).
    if let Ok(out) = Command::new("shellcheck")
        .arg("-x")
        .args(&scripts)
        .current_dir(&dir)
        .output()
    {
        assert!(
            out.status.success(),
            "shellcheck:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// systemd

/// `[Section] Key=value` lines of a unit file (repeated keys kept in order).
fn unit_keys(text: &str) -> BTreeMap<(String, String), Vec<String>> {
    let mut keys: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not Key=value: {line}"));
        keys.entry((section.clone(), k.trim().to_owned()))
            .or_default()
            .push(v.trim().to_owned());
    }
    keys
}

#[test]
fn systemd_unit_runs_the_node_hardened() {
    let path = deploy_dir().join("systemd/dialogd.service");
    let text = read(&path);
    let keys = unit_keys(&text);
    let get = |section: &str, key: &str| -> &str {
        keys.get(&(section.to_owned(), key.to_owned()))
            .and_then(|v| v.last())
            .unwrap_or_else(|| panic!("[{section}] {key} missing"))
    };
    assert_eq!(get("Service", "User"), "dialogd");
    assert_eq!(get("Service", "StateDirectory"), "dialogd");
    assert_eq!(
        get("Service", "ExecStart"),
        "/usr/local/bin/dialogd --config /etc/dialogd/dialogd.toml"
    );
    assert_eq!(get("Service", "Restart"), "on-failure");
    assert_eq!(get("Service", "NoNewPrivileges"), "yes");
    assert_eq!(get("Service", "ProtectSystem"), "strict");
    assert_eq!(get("Service", "ReadWritePaths"), "/var/lib/dialogd");
    assert!(get("Service", "LimitNOFILE").parse::<u64>().unwrap() >= 65_536);
    assert!(get("Service", "TimeoutStopSec").parse::<u64>().unwrap() >= 30);
    assert_eq!(get("Install", "WantedBy"), "multi-user.target");

    // systemd's own check, where systemd-analyze is installed: the unit with ExecStart pointing
    // at the binary under test (verify wants the executables to exist).
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("dialogd.service");
    std::fs::write(&unit, text.replace("/usr/local/bin/dialogd", DIALOGD)).unwrap();
    if let Ok(out) = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
    {
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Lines about this unit (unknown keys and bad values are only warnings: exit code 0);
        // the host's other units are not this file's business.
        let ours: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("dialogd.service"))
            .collect();
        assert!(ours.is_empty(), "systemd-analyze verify:\n{stderr}");
    }
}

/// The compose file ships no secret: compose refuses to start until the operator sets the
/// shared secret and the API token (`${VAR:?message}`), and no example value is left behind.
#[test]
fn compose_requires_the_operators_own_secret_and_token() {
    let compose = compose();
    let services = at(&compose, "/services").as_object().unwrap();
    let mut nodes = 0;
    for (name, s) in services {
        if !s["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("dialogd:"))
        {
            continue;
        }
        nodes += 1;
        let env = service_env(s);
        for key in ["DIALOGD_DIALOG__SECRET", "DIALOGD_API__TOKEN"] {
            let v = env.get(key).unwrap_or_else(|| panic!("{name}: no {key}"));
            assert!(
                v.starts_with("${") && v.contains(":?"),
                "{name}: {key} = {v:?} is not required from the environment"
            );
        }
    }
    assert_eq!(nodes, 3);
    let text = read(&deploy_dir().join("compose/docker-compose.yml"));
    assert!(!text.contains("change-me"), "an example secret is left");
}
