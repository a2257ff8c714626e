//! Argument checks for the `Cluster` RPCs: each turns a raw request field into a value the
//! [`crate::ClusterBackend`] can trust, or a [`BackendError::InvalidArgument`] whose message
//! names the field and the bad value (`node_id: 0 is not a node id (1 to 65535)`). Pure
//! functions; must not call the backend.

use tonic::codegen::http::Uri;

use crate::dialogs::backend::BackendError;
use crate::dialogs::validate::invalid;

/// Smallest node id (0 means "no node" on the wire).
pub const MIN_NODE_ID: u64 = 1;
/// Largest node id: node ids are 16 bits inside every dialog id.
pub const MAX_NODE_ID: u64 = 65535;
/// Longest node address, in bytes.
pub const MAX_ADDR_LEN: usize = 256;

type Result<T> = std::result::Result<T, BackendError>;

/// A node id in `MIN_NODE_ID..=MAX_NODE_ID`.
pub fn node_id(field: &str, id: u64) -> Result<u64> {
    if (MIN_NODE_ID..=MAX_NODE_ID).contains(&id) {
        Ok(id)
    } else {
        Err(invalid(
            field,
            format_args!("{id} is not a node id ({MIN_NODE_ID} to {MAX_NODE_ID})"),
        ))
    }
}

/// A node's gRPC address: `http://host:port` or `https://host:port`, nothing else (no user
/// info, path or query). Returned as `scheme://authority`, without a trailing `/`.
pub fn node_addr(field: &str, addr: &str) -> Result<String> {
    if addr.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if addr.len() > MAX_ADDR_LEN {
        return Err(invalid(
            field,
            format_args!("{addr:?} is longer than {MAX_ADDR_LEN} bytes"),
        ));
    }
    let not_url = || {
        invalid(
            field,
            format_args!("{addr:?} is not a URL like http://host:port"),
        )
    };
    let uri: Uri = addr.parse().map_err(|_| not_url())?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(not_url());
    };
    if scheme != "http" && scheme != "https" {
        return Err(invalid(
            field,
            format_args!("{addr:?}: scheme {scheme:?} is not http or https"),
        ));
    }
    if authority.as_str().contains('@') {
        return Err(invalid(field, format_args!("{addr:?} holds user info")));
    }
    if authority.host().is_empty() {
        return Err(invalid(field, format_args!("{addr:?} has no host")));
    }
    match authority.port_u16() {
        None => return Err(invalid(field, format_args!("{addr:?} has no port"))),
        Some(0) => {
            return Err(invalid(
                field,
                format_args!("{addr:?}: port 0 is not a port"),
            ));
        }
        Some(_) => {}
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(invalid(
            field,
            format_args!("{addr:?} has a path or query; give only {scheme}://host:port"),
        ));
    }
    Ok(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(err: BackendError) -> String {
        match err {
            BackendError::InvalidArgument(m) => m,
            other => panic!("not INVALID_ARGUMENT: {other:?}"),
        }
    }

    #[test]
    fn node_ids() {
        for ok in [1, 2, 65535] {
            assert_eq!(node_id("node_id", ok), Ok(ok));
        }
        for bad in [0, 65536, u64::MAX] {
            let got = node_id("node_id", bad).map_err(message);
            assert_eq!(
                got,
                Err(format!("node_id: {bad} is not a node id (1 to 65535)"))
            );
        }
    }

    #[test]
    fn good_addresses_are_normalised() {
        let cases = [
            ("http://10.0.0.2:50051", "http://10.0.0.2:50051"),
            (
                "https://node-2.example.com:443/",
                "https://node-2.example.com:443",
            ),
            ("http://[2001:db8::2]:50051", "http://[2001:db8::2]:50051"),
        ];
        for (input, want) in cases {
            assert_eq!(node_addr("addr", input).map_err(message), Ok(want.into()));
        }
    }

    #[test]
    fn bad_addresses_name_field_and_value() {
        let long = format!("http://{}:1", "a".repeat(MAX_ADDR_LEN));
        let cases = [
            ("", "addr: must not be empty".to_owned()),
            (
                "10.0.0.2:50051",
                "addr: \"10.0.0.2:50051\" is not a URL like http://host:port".into(),
            ),
            (
                "not a url",
                "addr: \"not a url\" is not a URL like http://host:port".into(),
            ),
            (
                "ftp://h:21",
                "addr: \"ftp://h:21\": scheme \"ftp\" is not http or https".into(),
            ),
            (
                "http://u:p@h:1",
                "addr: \"http://u:p@h:1\" holds user info".into(),
            ),
            ("http://h", "addr: \"http://h\" has no port".into()),
            (
                "http://:50051",
                "addr: \"http://:50051\" has no host".into(),
            ),
            (
                "http://h:0",
                "addr: \"http://h:0\": port 0 is not a port".into(),
            ),
            (
                "http://h:1/raft?x=1",
                "addr: \"http://h:1/raft?x=1\" has a path or query; give only http://host:port"
                    .into(),
            ),
            (
                long.as_str(),
                format!("addr: {long:?} is longer than {MAX_ADDR_LEN} bytes"),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                node_addr("addr", input).map_err(message),
                Err(want),
                "{input:?}"
            );
        }
    }
}
