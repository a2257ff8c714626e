//! The API's gRPC server: [`serve`] (`serve.rs`) runs the services, gRPC health and
//! reflection on one listener, with what it needs besides in [`options`]; the API's TLS and the
//! cluster's mutual TLS ([`tls`]); the token / cluster-secret layer in front of every route
//! ([`auth`]), which first asks [`node_identity`] whether a node certificate is needed; and the
//! mark of a request another node forwarded ([`forwarded`]).

pub mod auth;
pub mod forwarded;
pub mod node_identity;
pub mod options;
mod serve;
pub mod tls;

pub use serve::serve;
