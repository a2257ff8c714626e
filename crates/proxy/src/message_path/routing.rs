//! Loose routing (RFC 3261 §16.4, §16.12) and next-hop choice: which Route elements are ours,
//! the `did` they carry, where a request goes next, and how a URI becomes a socket address.
//!
//! Precedence for the next hop: a policy rule's `next_hop`, else the first Route left after
//! ours are popped, else the request-URI.

use std::net::{IpAddr, SocketAddr};

use dialogd_sip::values::{NameAddr, Uri};
use dialogd_sip::{HeaderName, ListElement, SipMessage};

use crate::dns::{DnsError, Resolver};
use crate::transport::TransportKind;

/// The address the proxy writes in its Via and Record-Route, and recognises in Routes.
#[derive(Debug, Clone)]
pub struct LocalIdentity {
    /// Host as advertised (IP literal or name; IPv6 in brackets).
    pub host: String,
    /// Port as advertised.
    pub port: u16,
    /// Other addresses that also mean "this node" (the listen address).
    pub aliases: Vec<SocketAddr>,
    /// `sip_record_route`: the host and port written in Record-Route instead of `host:port`
    /// — a name every member of the cluster answers to (DNS A/SRV records of all members, a
    /// Kubernetes Service, an anycast address), so an endpoint's in-dialog requests reach a
    /// live member after the node that created the call died. Recognised in Routes like
    /// `host:port`; Via keeps `host:port`, so responses come back to the node that sent the
    /// request.
    pub record_route: Option<(String, u16)>,
}

impl LocalIdentity {
    /// `host:port` as written in Via and Record-Route.
    pub fn host_port(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// `host:port` as written in Record-Route: the shared `record_route`, else our own.
    pub fn record_route_host_port(&self) -> String {
        match &self.record_route {
            Some((host, port)) => format!("{host}:{port}"),
            None => self.host_port(),
        }
    }

    /// True if `uri` points at this node (or at the cluster's shared Record-Route address).
    pub fn is_local(&self, uri: &Uri) -> bool {
        if uri.scheme != "sip" && uri.scheme != "sips" {
            return false;
        }
        let port = uri.port.unwrap_or(5060);
        if uri.host.eq_ignore_ascii_case(&self.host) && port == self.port {
            return true;
        }
        if let Some((host, rr_port)) = &self.record_route
            && uri.host.eq_ignore_ascii_case(host)
            && port == *rr_port
        {
            return true;
        }
        let host = uri.host.trim_start_matches('[').trim_end_matches(']');
        match host.parse::<IpAddr>() {
            Ok(ip) => self.aliases.iter().any(|a| {
                a.port() == port && (a.ip() == ip || (a.ip().is_unspecified() && ip.is_loopback()))
            }),
            Err(_) => false,
        }
    }
}

/// Our Route elements at the top of a request.
#[derive(Debug, Clone, Default)]
pub struct OwnRoutes {
    /// The elements to remove when forwarding.
    pub elements: Vec<ListElement>,
    /// The `did` parameter value found in one of them, if any.
    pub did: Option<String>,
}

/// Collects the leading Route elements that point at us (one, or two with double
/// record-routing), and the `did` they carry.
pub fn own_routes(msg: &SipMessage, local: &LocalIdentity) -> OwnRoutes {
    let mut out = OwnRoutes::default();
    for e in msg.list(&HeaderName::Route) {
        let Some(uri) = NameAddr::parse(&msg.element(&e)).and_then(|n| n.uri()) else {
            break;
        };
        if !local.is_local(&uri) {
            break;
        }
        if out.did.is_none() {
            out.did = uri.param("did").map(str::to_owned);
        }
        out.elements.push(e);
    }
    out
}

/// The URI a request goes to once our Routes are removed: the next Route, else the
/// request-URI. Returns the raw URI text.
pub fn next_hop_uri(msg: &SipMessage, own: &OwnRoutes) -> Option<String> {
    let skip = own.elements.len();
    if let Some(e) = msg.list(&HeaderName::Route).get(skip) {
        return NameAddr::parse(&msg.element(e)).map(|n| n.uri);
    }
    msg.request_uri().map(str::to_owned)
}

/// Where and how to send a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub transport: TransportKind,
    pub addr: SocketAddr,
}

/// Why a URI could not be turned into a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("cannot route to URI {0:?}")]
    BadUri(String),
    #[error("unsupported transport {transport:?} in {uri:?}")]
    Transport { transport: String, uri: String },
    #[error(transparent)]
    Resolve(#[from] DnsError),
}

/// Resolves a SIP URI to a transport and address: IP literals directly, names through `dns`
/// (cached, bounded in time and concurrency; A/AAAA, no NAPTR/SRV). Default port 5060,
/// default transport UDP.
pub async fn resolve(dns: &Resolver, uri_text: &str) -> Result<Target, RouteError> {
    let uri = Uri::parse(uri_text).ok_or_else(|| RouteError::BadUri(uri_text.to_owned()))?;
    if uri.scheme != "sip" || uri.host.is_empty() {
        return Err(RouteError::BadUri(uri_text.to_owned()));
    }
    let transport = match uri
        .param("transport")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("udp") => TransportKind::Udp,
        Some("tcp") => TransportKind::Tcp,
        Some(other) => {
            return Err(RouteError::Transport {
                transport: other.to_owned(),
                uri: uri_text.to_owned(),
            });
        }
    };
    let port = uri.port.unwrap_or(5060);
    let host = uri.host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Target {
            transport,
            addr: SocketAddr::new(ip, port),
        });
    }
    let addr = dns.lookup(host, port).await?;
    Ok(Target { transport, addr })
}

/// Where a response goes (RFC 3261 §18.2.2 with RFC 3581): the Via's `received` and `rport`
/// when present, else its sent-by (default port 5060).
pub fn via_target(via: &dialogd_sip::values::Via) -> Option<Target> {
    let transport = match via.transport.as_str() {
        "UDP" => TransportKind::Udp,
        "TCP" => TransportKind::Tcp,
        _ => return None,
    };
    let host = via.param("received").unwrap_or(&via.host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = host.parse().ok()?;
    let port = via
        .param("rport")
        .and_then(|p| p.parse().ok())
        .or(via.port)
        .unwrap_or(5060);
    Some(Target {
        transport,
        addr: SocketAddr::new(ip, port),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn local() -> LocalIdentity {
        LocalIdentity {
            host: "127.0.0.1".into(),
            port: 5060,
            aliases: vec!["127.0.0.1:5060".parse().unwrap()],
            record_route: None,
        }
    }

    fn msg(routes: &str) -> SipMessage {
        SipMessage::parse(Bytes::from(format!(
            "BYE sip:bob@10.0.0.2:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n{routes}From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: c\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
        )))
        .unwrap()
    }

    #[test]
    fn pops_our_routes_and_finds_next_hop() {
        let m = msg(
            "Route: <sip:127.0.0.1;lr;did=00000000000000aa.01020304>, <sip:127.0.0.1:5060;lr;transport=tcp>\r\nRoute: <sip:10.0.0.9;lr>\r\n",
        );
        let own = own_routes(&m, &local());
        assert_eq!(own.elements.len(), 2);
        assert_eq!(own.did.as_deref(), Some("00000000000000aa.01020304"));
        assert_eq!(next_hop_uri(&m, &own).as_deref(), Some("sip:10.0.0.9;lr"));
        let m = msg("");
        let own = own_routes(&m, &local());
        assert!(own.elements.is_empty());
        assert_eq!(
            next_hop_uri(&m, &own).as_deref(),
            Some("sip:bob@10.0.0.2:5070")
        );
    }

    #[test]
    fn the_shared_record_route_is_ours_too() {
        let shared = LocalIdentity {
            record_route: Some(("sip.example.net".into(), 5060)),
            ..local()
        };
        assert_eq!(shared.record_route_host_port(), "sip.example.net:5060");
        assert_eq!(local().record_route_host_port(), "127.0.0.1:5060");
        let m = msg(
            "Route: <sip:SIP.example.net;lr;did=00000000000000aa.01020304>, <sip:10.0.0.9;lr>\r\n",
        );
        let own = own_routes(&m, &shared);
        assert_eq!(own.elements.len(), 1);
        assert_eq!(own.did.as_deref(), Some("00000000000000aa.01020304"));
        assert_eq!(next_hop_uri(&m, &own).as_deref(), Some("sip:10.0.0.9;lr"));
        // Another port of that name is not ours; without the setting, the name is not ours.
        let m = msg("Route: <sip:sip.example.net:5070;lr>\r\n");
        assert!(own_routes(&m, &shared).elements.is_empty());
        let m = msg("Route: <sip:sip.example.net;lr>\r\n");
        assert!(own_routes(&m, &local()).elements.is_empty());
    }

    #[tokio::test]
    async fn resolves_ip_literals_with_transport() {
        let dns = Resolver::new(Default::default()).unwrap();
        let resolve = |uri: &'static str| {
            let dns = dns.clone();
            async move { super::resolve(&dns, uri).await }
        };
        let t = resolve("sip:bob@127.0.0.1:5070;transport=TCP")
            .await
            .unwrap();
        assert_eq!(
            t,
            Target {
                transport: TransportKind::Tcp,
                addr: "127.0.0.1:5070".parse().unwrap()
            }
        );
        let t = resolve("sip:[::1]").await.unwrap();
        assert_eq!(t.addr, "[::1]:5060".parse().unwrap());
        assert!(resolve("tel:+123").await.is_err());
        assert!(resolve("sip:x@h;transport=sctp").await.is_err());
    }

    #[test]
    fn via_target_prefers_received_and_rport() {
        let v = dialogd_sip::values::Via::parse(
            "SIP/2.0/UDP host.invalid:5070;rport=6000;received=10.1.1.1;branch=z9hG4bKx",
        )
        .unwrap();
        assert_eq!(
            via_target(&v).unwrap().addr,
            "10.1.1.1:6000".parse().unwrap()
        );
        let v = dialogd_sip::values::Via::parse("SIP/2.0/TCP 10.2.2.2;branch=z9hG4bKx").unwrap();
        assert_eq!(
            via_target(&v).unwrap(),
            Target {
                transport: TransportKind::Tcp,
                addr: "10.2.2.2:5060".parse().unwrap()
            }
        );
    }
}
