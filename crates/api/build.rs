//! Generates the `dialogd.v1` protobuf types, the tonic server and client, and the encoded file
//! descriptor set served by gRPC reflection, from `proto/dialogd/v1/*.proto`. Pure Rust: protox
//! parses the protos, so no system `protoc` is needed. Must not generate anything else.

use std::error::Error;
use std::path::{Path, PathBuf};

use protox::prost::Message as _;

const PROTO_ROOT: &str = "../../proto";
const PROTO_DIR: &str = "../../proto/dialogd/v1";
/// File name (in `OUT_DIR`) of the encoded descriptor set `pb::FILE_DESCRIPTOR_SET` includes.
const DESCRIPTOR_FILE: &str = "dialogd_v1_descriptor.bin";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={PROTO_DIR}");
    let mut protos: Vec<PathBuf> = std::fs::read_dir(PROTO_DIR)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "proto"))
        .collect();
    protos.sort();
    for proto in &protos {
        println!("cargo:rerun-if-changed={}", proto.display());
    }

    let fds = protox::compile(&protos, [PROTO_ROOT])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        Path::new(&out_dir).join(DESCRIPTOR_FILE),
        fds.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .btree_map(".dialogd.v1.Dialog.vars")
        .compile_fds(fds)?;
    Ok(())
}
