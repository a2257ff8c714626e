//! [`DialogdCluster`]: several `dialogd` processes on 127.0.0.1 forming one cluster, for
//! tests. Each member gets fixed ports (picked free at start, so a restarted member comes back
//! at the address the membership knows) and its own directory under one temporary directory
//! that outlives restarts. Member 1 starts alone; the others start with `cluster.join` set to
//! member 1's gRPC URL. Members can be killed with SIGKILL and restarted on the same data dir.
//! A cluster whose gRPC ports speak TLS ([`DialogdCluster::start_with_tls`]) is reached by the
//! harness's `dialogctl` at `https://` URLs, trusting the CA it is given.
//!
//! Must not leave processes behind: every member is killed when the cluster handle drops.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use tempfile::TempDir;

use crate::binary::binary;
use crate::dialogctl::Dialogctl;
use crate::free_port::free_udp_tcp_port;
use crate::node::DialogdNode;
use crate::wait::wait_until;

/// The `did` secret the members of a test cluster share (`[dialog] secret`): a member checks
/// the `did` MACs the others issued.
pub const CLUSTER_SECRET: &str = "cluster-test-secret-0123456789";

/// A `[dialog]` table with [`CLUSTER_SECRET`], then `keys` (more keys of that table).
pub fn cluster_dialog(keys: &str) -> String {
    format!("[dialog]\nsecret = \"{CLUSTER_SECRET}\"\n{keys}")
}

/// Config of cluster members that count their calls: [`cluster_dialog`] with `dialog_keys`, then
/// a rule `counted` putting every INVITE in profile `caller` under its From user
/// (`caller/alice`), at most `limit` calls a user when given.
pub fn counted_calls_config(dialog_keys: &str, limit: Option<u64>) -> String {
    let limit = limit.map(|l| format!(", limit = {l}")).unwrap_or_default();
    format!(
        "{}\n[[rules]]\nname = \"counted\"\nmatch = {{ method = \"INVITE\" }}\n\
         profiles = [{{ name = \"caller\", value = \"${{from_user}}\"{limit} }}]\n",
        cluster_dialog(dialog_keys)
    )
}

/// How long forming the cluster (or a member catching up) may take.
pub const FORM_TIMEOUT: Duration = Duration::from_secs(30);

/// One member's fixed addresses.
#[derive(Debug, Clone)]
pub struct MemberSpec {
    pub node_id: u64,
    pub sip: SocketAddr,
    pub grpc: SocketAddr,
    pub metrics: SocketAddr,
    pub dir: PathBuf,
}

impl MemberSpec {
    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }
}

/// A cluster of `dialogd` processes.
#[derive(Debug)]
pub struct DialogdCluster {
    root: TempDir,
    binary: PathBuf,
    /// The `dialogctl` of the harness's own calls (None: the workspace's).
    dialogctl: Option<PathBuf>,
    /// `RUST_LOG` of every member (None: the runner's, else the harness's default).
    rust_log: Option<String>,
    extra_toml: String,
    cluster_keys: String,
    specs: Vec<MemberSpec>,
    nodes: Vec<Option<DialogdNode>>,
    /// `[api] token` of every member (the harness's own dialogctl calls send it).
    api_token: Option<String>,
    /// The CA of the members' gRPC certificate: the ports speak TLS.
    tls_ca: Option<PathBuf>,
    /// `sip_record_route` of every member: this member's SIP address stands in for a name
    /// that resolves to all of them.
    record_route: Option<SocketAddr>,
}

/// From the JSON of `dialogctl cluster members`: how many members are voters, and the leader's
/// node id (None while unknown).
pub fn voters_and_leader(members: &Value) -> (usize, Option<u64>) {
    let voters = members
        .get("members")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter(|x| x.get("role").and_then(Value::as_str) == Some("voter"))
                .count()
        })
        .unwrap_or(0);
    let leader = members
        .get("leader_id")
        .and_then(Value::as_u64)
        .filter(|id| *id != 0);
    (voters, leader)
}

fn port_addr() -> Result<SocketAddr> {
    Ok(SocketAddr::from(([127, 0, 0, 1], free_udp_tcp_port()?)))
}

/// How [`DialogdCluster::start_with`] starts the members; the default is what the tests use.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// The `dialogd` binary; default: the workspace's, next to the running executable
    /// ([`binary`]).
    pub dialogd: Option<PathBuf>,
    /// The `dialogctl` the harness asks the members with; default: the workspace's.
    pub dialogctl: Option<PathBuf>,
    /// `RUST_LOG` of every member; default: the runner's, else `info,openraft=warn`.
    pub rust_log: Option<String>,
    /// Where the cluster's directory is made; it is then left there when the handle drops (the
    /// caller owns `parent` and removes it). Default: a temporary directory removed on drop.
    pub dir_in: Option<PathBuf>,
    /// `[api] token` of every member (`extra_toml` must not have an `[api]` table then);
    /// [`DialogdCluster::dialogctl`] sends it.
    pub api_token: Option<String>,
    /// The CA of the members' gRPC certificate: the ports speak TLS (`cluster_keys` or
    /// `extra_toml` set the certificates), and the harness's `dialogctl` uses `https://`.
    pub tls_ca: Option<PathBuf>,
    /// Every member's `sip_record_route` is this member's (0-based) SIP address.
    pub record_route_member: Option<usize>,
}

impl DialogdCluster {
    /// Starts `n` members with `extra_toml` appended to each config (it must not hold the
    /// keys the harness writes: node_id, data_dir, the listen addresses, a `[cluster]` table)
    /// and `cluster_keys` written into the `[cluster]` table after `join`, and waits until
    /// every member sees `n` voters and one leader.
    pub fn start(n: usize, cluster_keys: &str, extra_toml: &str) -> Result<DialogdCluster> {
        DialogdCluster::start_with(n, cluster_keys, extra_toml, ClusterOptions::default())
    }

    /// [`DialogdCluster::start`] with `[api] token` set on every member (`extra_toml` must not
    /// have an `[api]` table then); [`DialogdCluster::dialogctl`] sends it.
    pub fn start_with_token(
        n: usize,
        cluster_keys: &str,
        extra_toml: &str,
        api_token: Option<&str>,
    ) -> Result<DialogdCluster> {
        let options = ClusterOptions {
            api_token: api_token.map(str::to_owned),
            ..ClusterOptions::default()
        };
        DialogdCluster::start_with(n, cluster_keys, extra_toml, options)
    }

    /// [`DialogdCluster::start`] with every member's `sip_record_route` set to member
    /// `member`'s (0-based) SIP address: in-dialog requests of every call reach that member,
    /// as they would reach whichever member a shared name resolves to.
    pub fn start_sharing_record_route(
        n: usize,
        cluster_keys: &str,
        extra_toml: &str,
        member: usize,
    ) -> Result<DialogdCluster> {
        let options = ClusterOptions {
            record_route_member: Some(member),
            ..ClusterOptions::default()
        };
        DialogdCluster::start_with(n, cluster_keys, extra_toml, options)
    }

    /// [`DialogdCluster::start_with_token`] for members whose gRPC ports speak TLS (`cluster_keys`
    /// or `extra_toml` set the certificates): the harness's `dialogctl` uses `https://` and
    /// trusts the CA certificate in `tls_ca`.
    pub fn start_with_tls(
        n: usize,
        cluster_keys: &str,
        extra_toml: &str,
        api_token: Option<&str>,
        tls_ca: &Path,
    ) -> Result<DialogdCluster> {
        let options = ClusterOptions {
            api_token: api_token.map(str::to_owned),
            tls_ca: Some(tls_ca.to_path_buf()),
            ..ClusterOptions::default()
        };
        DialogdCluster::start_with(n, cluster_keys, extra_toml, options)
    }

    /// [`DialogdCluster::start`] with the binaries, log filter, directory, token, TLS and
    /// Record-Route of `options`.
    pub fn start_with(
        n: usize,
        cluster_keys: &str,
        extra_toml: &str,
        options: ClusterOptions,
    ) -> Result<DialogdCluster> {
        let root = match &options.dir_in {
            Some(parent) => {
                let mut dir = tempfile::Builder::new()
                    .prefix("dialogd-cluster-")
                    .tempdir_in(parent)
                    .with_context(|| {
                        format!("cannot create a directory in {}", parent.display())
                    })?;
                dir.disable_cleanup(true);
                dir
            }
            None => tempfile::Builder::new()
                .prefix("dialogd-cluster-")
                .tempdir()
                .context("cannot create the cluster directory")?,
        };
        let mut specs = Vec::new();
        for i in 0..n {
            let dir = root.path().join(format!("node{}", i + 1));
            std::fs::create_dir_all(&dir)?;
            specs.push(MemberSpec {
                node_id: i as u64 + 1,
                sip: port_addr()?,
                grpc: port_addr()?,
                metrics: port_addr()?,
                dir,
            });
        }
        let record_route = match options.record_route_member {
            Some(m) => Some(
                specs
                    .get(m)
                    .context("no such member for the Record-Route")?
                    .sip,
            ),
            None => None,
        };
        let mut cluster = DialogdCluster {
            root,
            binary: options.dialogd.unwrap_or_else(|| binary("dialogd")),
            dialogctl: options.dialogctl,
            rust_log: options.rust_log,
            extra_toml: extra_toml.to_owned(),
            cluster_keys: cluster_keys.to_owned(),
            specs,
            nodes: (0..n).map(|_| None).collect(),
            api_token: options.api_token,
            tls_ca: options.tls_ca,
            record_route,
        };
        for i in 0..n {
            cluster.start_member(i)?;
            if i == 0 {
                cluster.wait_leader_known(0)?;
            }
        }
        cluster.wait_voters(n)?;
        Ok(cluster)
    }

    fn config(&self, i: usize) -> String {
        let s = &self.specs[i];
        let join = if i == 0 {
            String::new()
        } else {
            format!("join = [\"{}\"]\n", self.grpc_url(0))
        };
        format!(
            "# written by dialogd-test-support (cluster member {})\n\
             node_id = {}\n\
             data_dir = \"{}\"\n\
             sip_listen = \"{}\"\n\
             grpc_listen = \"{}\"\n\
             metrics_listen = \"{}\"\n\
             {}\
             \n[cluster]\n{join}{}\n\n{}{}\n",
            s.node_id,
            s.node_id,
            s.data_dir().display(),
            s.sip,
            s.grpc,
            s.metrics,
            self.record_route
                .map(|a| format!("sip_record_route = \"{a}\"\n"))
                .unwrap_or_default(),
            self.cluster_keys,
            self.api_token
                .as_ref()
                .map(|t| format!("[api]\ntoken = \"{t}\"\n\n"))
                .unwrap_or_default(),
            self.extra_toml,
        )
    }

    fn start_member(&mut self, i: usize) -> Result<()> {
        let spec = self.specs[i].clone();
        let text = self.config(i);
        let node = DialogdNode::start_in_with_log(
            &self.binary,
            &spec.dir,
            &spec.data_dir(),
            &text,
            self.rust_log.as_deref(),
        )
        .with_context(|| format!("member {} did not start", spec.node_id))?;
        self.nodes[i] = Some(node);
        Ok(())
    }

    /// Member `i` (0-based), if running.
    pub fn node(&self, i: usize) -> Result<&DialogdNode> {
        self.nodes
            .get(i)
            .and_then(Option::as_ref)
            .ok_or_else(|| anyhow!("member {} is not running", i + 1))
    }

    pub fn spec(&self, i: usize) -> &MemberSpec {
        &self.specs[i]
    }

    pub fn len(&self) -> usize {
        self.specs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Indexes of the running members.
    pub fn running(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| self.nodes[*i].is_some())
            .collect()
    }

    /// Member `i`'s gRPC URL as a client reaches it (`https://` when the ports speak TLS).
    pub fn grpc_url(&self, i: usize) -> String {
        match self.tls_ca {
            Some(_) => format!("https://{}", self.specs[i].grpc),
            None => self.specs[i].grpc_url(),
        }
    }

    /// `dialogctl` against member `i`.
    pub fn dialogctl(&self, i: usize) -> Dialogctl {
        let ctl = match &self.dialogctl {
            Some(path) => Dialogctl::with_binary(path.clone(), self.grpc_url(i)),
            None => Dialogctl::new(self.grpc_url(i)),
        };
        ctl.with_token(self.api_token.as_deref())
            .with_tls_ca(self.tls_ca.as_deref())
    }

    /// SIGKILLs member `i` (its data dir stays).
    pub fn kill9(&mut self, i: usize) -> Result<()> {
        let node = self.nodes[i]
            .take()
            .ok_or_else(|| anyhow!("member {} is not running", i + 1))?;
        node.kill9();
        Ok(())
    }

    /// Stops member `i` cleanly (SIGTERM); its data dir stays.
    pub fn stop(&mut self, i: usize) -> Result<()> {
        let node = self.nodes[i]
            .take()
            .ok_or_else(|| anyhow!("member {} is not running", i + 1))?;
        node.terminate();
        Ok(())
    }

    /// Starts member `i` again on its data dir and addresses (it rejoins from its own state).
    pub fn restart(&mut self, i: usize) -> Result<()> {
        if self.nodes[i].is_some() {
            bail!("member {} is running", i + 1);
        }
        self.start_member(i)
    }

    /// `cluster members --json` as seen by member `i`.
    pub fn members(&self, i: usize) -> Result<Value> {
        self.dialogctl(i).json(&["cluster", "members"])
    }

    /// The leader's node id as seen by member `i` (None while unknown).
    pub fn leader_seen_by(&self, i: usize) -> Result<Option<u64>> {
        Ok(voters_and_leader(&self.members(i)?).1)
    }

    fn wait_leader_known(&self, i: usize) -> Result<u64> {
        wait_until(FORM_TIMEOUT, "a leader", || {
            self.leader_seen_by(i)?
                .ok_or_else(|| anyhow!("member {} knows no leader", i + 1))
        })
    }

    /// Waits until every running member sees `n` voters and the same leader; returns the
    /// leader's index (0-based).
    pub fn wait_voters(&self, n: usize) -> Result<usize> {
        wait_until(FORM_TIMEOUT, &format!("{n} voters and one leader"), || {
            let mut leaders = Vec::new();
            for i in self.running() {
                let v = self.members(i)?;
                let (voters, leader) = voters_and_leader(&v);
                if voters != n {
                    bail!("member {} sees {voters} voters: {v}", i + 1);
                }
                leaders.push(leader);
            }
            match leaders.first() {
                Some(Some(l)) if leaders.iter().all(|x| *x == Some(*l)) => Ok(*l as usize - 1),
                _ => bail!("members disagree on the leader: {leaders:?}"),
            }
        })
    }

    /// Waits until a running member is the leader; its index.
    pub fn wait_leader(&self) -> Result<usize> {
        wait_until(FORM_TIMEOUT, "a live leader", || {
            for i in self.running() {
                if let Some(l) = self.leader_seen_by(i)? {
                    let idx = l as usize - 1;
                    if self.nodes.get(idx).is_some_and(Option::is_some) {
                        return Ok(idx);
                    }
                }
            }
            bail!("no running member is the leader")
        })
    }

    /// The cluster's directory.
    pub fn root(&self) -> &Path {
        self.root.path()
    }
}

impl Drop for DialogdCluster {
    fn drop(&mut self) {
        for n in self.nodes.iter_mut() {
            if let Some(node) = n.take() {
                node.kill9();
            }
        }
        if std::thread::panicking() {
            self.root.disable_cleanup(true);
            eprintln!(
                "--- cluster files kept in {} ---",
                self.root.path().display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_calls_config_writes_the_secret_the_keys_and_the_rule() {
        assert_eq!(
            counted_calls_config("passivate_after = 1\n", Some(5)),
            "[dialog]\nsecret = \"cluster-test-secret-0123456789\"\npassivate_after = 1\n\n\
             [[rules]]\nname = \"counted\"\nmatch = { method = \"INVITE\" }\n\
             profiles = [{ name = \"caller\", value = \"${from_user}\", limit = 5 }]\n"
        );
        assert!(
            counted_calls_config("", None).ends_with("value = \"${from_user}\" }]\n"),
            "{}",
            counted_calls_config("", None)
        );
    }
}
