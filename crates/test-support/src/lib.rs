//! Test support for dialogd's integration tests: the real binaries and real SIP peers, driven
//! from plain synchronous `#[test]` functions.
//!
//! Owns:
//! - [`binary`]: finding (and building once, if missing) a workspace binary next to the test
//!   executable, for binaries of other packages (`dialogctl` from `crates/dialogd/tests`);
//!   [`release_binary`] and [`build_release`] for the benchmarks, which run release binaries;
//! - [`DialogdNode`]: one `dialogd` process on loopback with ports chosen by the OS, its config
//!   and data in a temporary directory, its log captured, killed on drop;
//! - [`DialogdCluster`]: several nodes forming one cluster, and the config most cluster tests
//!   share ([`cluster_dialog`], [`counted_calls_config`]);
//! - [`Dialogctl`]: the operator CLI run with `--addr` and `--json`, parsed, and
//!   [`Dialogctl::settled`], its stats polled until they hold what a test waits for;
//! - [`Sipp`]: a SIPp driver (uac or uas, UDP or TCP) running the scenarios of
//!   `crates/test-support/scenarios/`, with its traces parsed into a [`SippOutcome`];
//! - [`SippCall`]: a SIPp callee and caller set up together, the caller's calls sent through
//!   a proxy (dialogd) to the callee's port;
//! - [`RawSipPeer`], [`SipMessage`], [`RawCall`] and [`RawCallee`]: a tiny UDP/TCP SIP peer for
//!   crafted (forged, malformed) messages, a header lookup over the bytes it receives, a
//!   caller-side dialog written by hand so a test can forge its tags or its Route, and a callee
//!   that answers each request where its Via says;
//! - [`attack`]: paced, bounded attack traffic (garbage datagrams, INVITE floods, slow TCP
//!   connections, forged responses, a peer that never reads, oversized messages) for tests and
//!   the hostile benchmark;
//! - [`netns`]: a private network namespace for the calling thread, where a test may add
//!   `iptables` rules (a TCP blackhole) without touching the host;
//! - [`tls`]: a certificate authority made in the test and the node certificates it signs, as
//!   PEM files for the cluster's mutual TLS;
//! - [`mountns`]: a private mount namespace for the calling thread, where a test may mount a
//!   small tmpfs (a disk that fills up) without touching the host;
//! - [`memory_api`]: an in-memory `DialogsBackend` and `ClusterBackend` over seeded fixtures,
//!   served by the real API server on 127.0.0.1:0, for the API's and `dialogctl`'s tests;
//! - [`http_get`]: one GET of the node's metrics endpoint (`/metrics`, `/healthz`);
//! - [`free_udp_tcp_port`], [`wait_until`]: the small pieces the above share.
//!
//! Must not: ship in a binary (`publish = false`, dev-dependency only), listen on anything but
//! 127.0.0.1, or wait without a bound: every wait here has a timeout and every child process is
//! killed when its handle drops.
//! The [`attack`] tools also send from and listen on other loopback addresses (127.0.0.2, ...).

pub mod attack;
mod binary;
mod cluster;
mod dialogctl;
mod free_port;
mod http;
pub mod memory_api;
pub mod mountns;
mod namespace;
pub mod netns;
mod node;
mod process;
mod raw_call;
mod raw_callee;
mod raw_sip;
mod sip_message;
mod sipp;
mod sipp_call;
mod sipp_outcome;
mod sipp_process;
pub mod tls;
mod transport;
mod wait;

pub use binary::{binary, build_release, release_binary, try_binary, workspace_root};
pub use cluster::{
    CLUSTER_SECRET, ClusterOptions, DialogdCluster, MemberSpec, cluster_dialog,
    counted_calls_config, voters_and_leader,
};
pub use dialogctl::{Dialogctl, Stats};
pub use free_port::free_udp_tcp_port;
pub use http::{http_get, metric_sum, scrape};
pub use node::{DialogdNode, Endpoints};
pub use raw_call::RawCall;
pub use raw_callee::{CALLEE_TAG, RawCallee};
pub use raw_sip::RawSipPeer;
pub use sip_message::{SipMessage, param, uri_param};
pub use sipp::{Sipp, scenario};
pub use sipp_call::{SippCall, SippPair};
pub use sipp_outcome::{Direction, SippOutcome, TracedMessage};
pub use sipp_process::SippProcess;
pub use transport::Transport;
pub use wait::wait_until;

/// Re-exported for tests that look into `dialogctl --json` output.
pub use serde_json;
