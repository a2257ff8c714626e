//! Generates the node-to-node `dialogd.cluster.v1` tonic server and client from
//! `proto/dialogd/cluster/v1/cluster.proto` (pure Rust: protox parses it, no `protoc`).

use std::error::Error;

const PROTO_ROOT: &str = "../../proto";
const PROTO: &str = "../../proto/dialogd/cluster/v1/cluster.proto";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={PROTO}");
    let fds = protox::compile([PROTO], [PROTO_ROOT])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}
