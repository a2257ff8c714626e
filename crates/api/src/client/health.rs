//! The standard gRPC health check (`grpc.health.v1.Health/Check`) from a client: what
//! `dialogctl health` and the container image's HEALTHCHECK run. The health service is open
//! (no token needed), so a probe works on a node with `[api] token` set without knowing it.

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::client::options::ClientOptions;
use crate::error::Result;

/// The serving status of `service` (`""`: the node as a whole; `dialogd.v1.Dialogs` ...) at
/// `addr`. A service the node does not know is a `NOT_FOUND` error.
pub async fn check_health(
    addr: &str,
    options: &ClientOptions,
    service: &str,
) -> Result<ServingStatus> {
    let channel = options.connect_channel(addr).await?;
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await?
        .into_inner();
    Ok(ServingStatus::try_from(reply.status).unwrap_or(ServingStatus::Unknown))
}
