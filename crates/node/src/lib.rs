//! `dialogd-node`: one dialogd node put together from the other crates.
//!
//! Owns the node's [`config::Config`] (embedded defaults < TOML file < `DIALOGD_*` env <
//! flags, validated, errors placed at `file:line`), the sockets it serves on
//! ([`listeners::Listeners`], with the `endpoints.json` readiness file), the Prometheus
//! endpoint ([`metrics`]), the node's health ([`health`]: SERVING or not, and why; its
//! runtime [`health_watch`]), and the wiring that starts the proxy, the profile store and the
//! gRPC API on those sockets. It parses no command line (the `dialogd` binary does) and holds
//! no protocol logic.
//!
//! ```text
//!  Overrides (flags) ──▶ Config::load ──▶ Config ──▶ Listeners::bind ──▶ Listeners
//!                                            │                             │ endpoints.json
//!                                            └──────────── run(config, listeners, shutdown)
//! ```
//!
//! Errors: [`NodeError`] (a [`ConfigError`] inside is kept apart: the binary exits 2 for it;
//! a failed Raft store or core ends [`run`] with [`NodeError::StorageFailed`] or
//! [`NodeError::RaftStopped`], for which it exits 74 or 70).

pub mod api_wiring;
pub mod backend;
pub mod config;
pub mod error;
pub mod health;
pub mod health_watch;
pub mod keys;
pub mod listeners;
pub mod metrics;
pub mod node_forward;
pub mod owner_link;
pub mod owners;
pub mod record_view;
pub mod run;
pub mod trigger_sink;

pub use config::{Config, ConfigError, Overrides};
pub use error::NodeError;
pub use listeners::{Endpoints, Listeners};
pub use run::run;
