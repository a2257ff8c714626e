//! [`NodeError`]: why the node cannot start or keep running — a bad configuration (kept
//! apart: the binary exits with code 2 for it), a socket that cannot be bound, a file in
//! `data_dir` that cannot be read or written, the metrics recorder, and the Raft store or core
//! failing while the node runs.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::config::ConfigError;

/// The node's error.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The configuration cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A listener cannot be bound.
    #[error("cannot bind {what} on {addr}: {source}")]
    Bind {
        what: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// A file in `data_dir` cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file in `data_dir` has content the node cannot use.
    #[error("{}: {reason}", path.display())]
    BadFile { path: PathBuf, reason: String },
    /// The async runtime cannot be started.
    #[error("cannot start the tokio runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The Prometheus recorder cannot be installed (another recorder is).
    #[error("cannot install the metrics recorder: {0}")]
    Metrics(String),
    /// The Raft store or its data dir could not be opened.
    #[error("cluster: {0}")]
    Cluster(String),
    /// A write of the Raft store failed while the node ran (a full disk, an I/O error): the
    /// node stopped serving and shut down; a restart opens the store afresh.
    #[error("raft storage failed: {0}")]
    StorageFailed(String),
    /// openraft's core stopped with a fatal error other than a storage error (it panicked).
    #[error("raft stopped: {0}")]
    RaftStopped(String),
}

impl From<dialogd_cluster::Failure> for NodeError {
    fn from(f: dialogd_cluster::Failure) -> NodeError {
        match f {
            dialogd_cluster::Failure::Storage(why) => NodeError::StorageFailed(why),
            dialogd_cluster::Failure::Raft(why) => NodeError::RaftStopped(why),
        }
    }
}

impl NodeError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> NodeError {
        NodeError::Io {
            path: path.into(),
            source,
        }
    }

    /// True for a configuration error (exit code 2 in the binary).
    pub fn is_config(&self) -> bool {
        matches!(self, NodeError::Config(_))
    }
}
