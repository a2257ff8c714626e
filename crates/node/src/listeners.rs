//! [`Listeners`]: every socket the node serves on, bound before anything runs so a port in
//! use fails the start with its address, and so tests can bind port 0 and learn the ports.
//! SIP listens with UDP and TCP on the same address; with port 0, UDP picks the port and TCP
//! takes the same one (retried a few times if another process holds it on TCP).
//!
//! [`Endpoints`] are the bound addresses; [`Endpoints::write`] puts them in
//! `<data_dir>/endpoints.json` atomically — tests and scripts read that file to find the
//! ports and take its appearance as the sign the node is ready.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, UdpSocket};

use crate::config::Config;
use crate::error::NodeError;

/// Name of the endpoints file in `data_dir`.
pub const ENDPOINTS_FILE: &str = "endpoints.json";
/// Attempts at finding a port free on both UDP and TCP when `sip_listen` has port 0.
pub const SIP_PORT_ATTEMPTS: usize = 16;

/// The node's bound sockets.
#[derive(Debug)]
pub struct Listeners {
    pub sip_udp: UdpSocket,
    pub sip_tcp: TcpListener,
    pub grpc: TcpListener,
    pub metrics: TcpListener,
}

/// The addresses the node listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// SIP, UDP and TCP.
    pub sip: SocketAddr,
    pub grpc: SocketAddr,
    pub metrics: SocketAddr,
}

impl Listeners {
    /// Binds every listener of `config`.
    pub async fn bind(config: &Config) -> Result<Listeners, NodeError> {
        let (sip_udp, sip_tcp) = bind_sip(config.sip_listen).await?;
        let grpc = bind_tcp("grpc", config.grpc_listen).await?;
        let metrics = bind_tcp("metrics", config.metrics_listen).await?;
        Ok(Listeners {
            sip_udp,
            sip_tcp,
            grpc,
            metrics,
        })
    }

    /// The bound addresses (ports resolved when 0 was asked for).
    pub fn endpoints(&self) -> Result<Endpoints, NodeError> {
        let local = |what, r: std::io::Result<SocketAddr>| {
            r.map_err(|source| NodeError::Bind {
                what,
                addr: SocketAddr::from(([0, 0, 0, 0], 0)),
                source,
            })
        };
        Ok(Endpoints {
            sip: local("sip", self.sip_udp.local_addr())?,
            grpc: local("grpc", self.grpc.local_addr())?,
            metrics: local("metrics", self.metrics.local_addr())?,
        })
    }
}

impl Endpoints {
    /// Path of the endpoints file in `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(ENDPOINTS_FILE)
    }

    /// Writes `<data_dir>/endpoints.json` (`{"sip":"…","grpc":"…","metrics":"…"}`) through a
    /// temporary file and a rename, creating `data_dir` if needed; returns the path.
    pub fn write(&self, data_dir: &Path) -> Result<PathBuf, NodeError> {
        std::fs::create_dir_all(data_dir).map_err(|e| NodeError::io(data_dir, e))?;
        let path = Endpoints::path(data_dir);
        let tmp = data_dir.join(format!("{ENDPOINTS_FILE}.tmp"));
        let json = serde_json::to_string(self).map_err(|e| NodeError::BadFile {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        std::fs::write(&tmp, json).map_err(|e| NodeError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| NodeError::io(&path, e))?;
        Ok(path)
    }

    /// Reads `<data_dir>/endpoints.json`.
    pub fn read(data_dir: &Path) -> Result<Endpoints, NodeError> {
        let path = Endpoints::path(data_dir);
        let text = std::fs::read_to_string(&path).map_err(|e| NodeError::io(&path, e))?;
        serde_json::from_str(&text).map_err(|e| NodeError::BadFile {
            path,
            reason: e.to_string(),
        })
    }
}

/// The error of binding `what` on `addr`.
fn bind_failed(what: &'static str, addr: SocketAddr) -> impl FnOnce(std::io::Error) -> NodeError {
    move |source| NodeError::Bind { what, addr, source }
}

async fn bind_tcp(what: &'static str, addr: SocketAddr) -> Result<TcpListener, NodeError> {
    TcpListener::bind(addr)
        .await
        .map_err(bind_failed(what, addr))
}

async fn bind_sip(addr: SocketAddr) -> Result<(UdpSocket, TcpListener), NodeError> {
    if addr.port() != 0 {
        let udp = UdpSocket::bind(addr)
            .await
            .map_err(bind_failed("sip udp", addr))?;
        let tcp = bind_tcp("sip tcp", addr).await?;
        return Ok((udp, tcp));
    }
    let mut last = None;
    for _ in 0..SIP_PORT_ATTEMPTS {
        let udp = UdpSocket::bind(addr)
            .await
            .map_err(bind_failed("sip udp", addr))?;
        let got = udp.local_addr().map_err(bind_failed("sip udp", addr))?;
        match TcpListener::bind(got).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(source) => last = Some(bind_failed("sip tcp", got)(source)),
        }
    }
    Err(last.unwrap_or_else(|| NodeError::Bind {
        what: "sip tcp",
        addr,
        source: std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "no port free on both UDP and TCP",
        ),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any_port_config() -> Config {
        let zero: SocketAddr = "127.0.0.1:0".parse().unwrap();
        Config {
            sip_listen: zero,
            grpc_listen: zero,
            metrics_listen: zero,
            ..Config::default()
        }
    }

    #[tokio::test]
    async fn port_zero_gives_sip_the_same_port_on_udp_and_tcp() {
        let l = Listeners::bind(&any_port_config()).await.unwrap();
        let udp = l.sip_udp.local_addr().unwrap();
        let tcp = l.sip_tcp.local_addr().unwrap();
        assert_ne!(udp.port(), 0);
        assert_eq!(udp, tcp);
        let e = l.endpoints().unwrap();
        assert_eq!(e.sip, udp);
        assert_eq!(e.grpc, l.grpc.local_addr().unwrap());
        assert_eq!(e.metrics, l.metrics.local_addr().unwrap());
        assert_ne!(e.grpc.port(), e.metrics.port());
    }

    #[tokio::test]
    async fn fixed_port_in_use_names_the_listener_and_address() {
        let tcp_taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tcp = tcp_taken.local_addr().unwrap();
        let udp_taken = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let udp = udp_taken.local_addr().unwrap();
        let cases = [
            (
                Config {
                    grpc_listen: tcp,
                    ..any_port_config()
                },
                format!("cannot bind grpc on {tcp}:"),
            ),
            (
                Config {
                    sip_listen: udp,
                    ..any_port_config()
                },
                format!("cannot bind sip udp on {udp}:"),
            ),
        ];
        for (config, want) in cases {
            let err = Listeners::bind(&config).await.unwrap_err().to_string();
            assert!(err.starts_with(&want), "{err}");
        }
    }

    #[test]
    fn endpoints_file_is_written_atomically_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested/data");
        let e = Endpoints {
            sip: "127.0.0.1:5060".parse().unwrap(),
            grpc: "127.0.0.1:50051".parse().unwrap(),
            metrics: "[::1]:9090".parse().unwrap(),
        };
        let path = e.write(&data).unwrap();
        assert_eq!(path, data.join("endpoints.json"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            r#"{"sip":"127.0.0.1:5060","grpc":"127.0.0.1:50051","metrics":"[::1]:9090"}"#
        );
        assert!(!data.join("endpoints.json.tmp").exists());
        assert_eq!(Endpoints::read(&data).unwrap(), e);
    }
}
