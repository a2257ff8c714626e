//! The cluster secret: every node-to-node call carries it in `x-dialogd-cluster-secret`;
//! the server refuses a call without the right one (UNAUTHENTICATED).

use tonic::metadata::MetadataValue;
use tonic::{Request, Status};

/// The metadata key.
pub const SECRET_HEADER: &str = "x-dialogd-cluster-secret";

/// Adds the secret to outgoing calls.
#[derive(Clone)]
pub struct AddSecret(pub Option<MetadataValue<tonic::metadata::Ascii>>);

impl tonic::service::Interceptor for AddSecret {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        if let Some(v) = &self.0 {
            req.metadata_mut().insert(SECRET_HEADER, v.clone());
        }
        Ok(req)
    }
}

/// Checks the secret of incoming calls.
#[derive(Clone)]
pub struct CheckSecret(pub String);

impl tonic::service::Interceptor for CheckSecret {
    fn call(&mut self, req: Request<()>) -> Result<Request<()>, Status> {
        let given = req
            .metadata()
            .get(SECRET_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if constant_time_eq(given, self.0.as_bytes()) {
            Ok(req)
        } else {
            Err(Status::unauthenticated(
                "missing or wrong cluster secret (x-dialogd-cluster-secret)",
            ))
        }
    }
}

/// Compares without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
