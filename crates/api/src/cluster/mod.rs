//! The `Cluster` service (`proto/dialogd/v1/cluster.proto`): the tonic implementation
//! ([`service`]) over the [`backend::ClusterBackend`] trait the node implements with the domain
//! view it answers with, the conversions of that view to and from protobuf ([`convert`]) and
//! the argument checks (`validate.rs`).

pub mod backend;
pub mod convert;
pub mod service;
mod validate;
