//! [`Resolver`]: the async side of the DNS module — cache lookups, joining queries in flight,
//! the concurrency bound and the timeout around hickory-resolver. The module doc
//! ([`super`]) draws the path of one lookup.
//!
//! hickory's own cache is switched off: [`DnsCache`] is the single cache, so its bound and
//! TTL clamps are the ones in force. Each query runs in its own task, so it completes, fills
//! the cache and frees its permit even when every caller waiting for it has gone (a dropped
//! SIP transaction), and callers asking for the same name meanwhile share it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError as HickoryDnsError, NetError};
use hickory_resolver::{Hosts, TokioResolver};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::cache::{Answer, DnsCache, negative_expiry, positive_expiry};
use super::{DnsConfig, DnsError};

/// Most addresses kept per name: enough to fail over, bounded whatever the answer holds.
pub const MAX_ADDRESSES: usize = 16;

/// Longest host name (RFC 1035 §2.3.4: 255 octets on the wire, 253 characters written).
const MAX_NAME_LEN: usize = 253;

type Outcome = Result<Arc<[IpAddr]>, DnsError>;
type Pending = Shared<BoxFuture<'static, Outcome>>;

/// Caching, bounded resolver; cheap to clone (one shared state).
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

struct Inner {
    config: DnsConfig,
    backend: TokioResolver,
    state: Mutex<State>,
    permits: Arc<Semaphore>,
}

struct State {
    cache: DnsCache,
    in_flight: HashMap<String, Pending>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Resolver {
    /// A resolver with the system's configuration: name servers, search list and options
    /// from `/etc/resolv.conf`, names from `/etc/hosts`. Without a usable resolv.conf it
    /// asks a server on 127.0.0.1, as the C library does, and says so in a warning.
    pub fn new(config: DnsConfig) -> Result<Resolver, DnsError> {
        let (servers, opts) = hickory_resolver::system_conf::read_system_conf().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "dns: cannot read /etc/resolv.conf; asking a name server on 127.0.0.1");
            local_server()
        });
        let hosts = Hosts::from_system().unwrap_or_default();
        Resolver::with_system(config, servers, opts, hosts)
    }

    /// A resolver with the given name servers, options and static hosts (tests give their
    /// own). The timeout and cache settings of `opts` are replaced by those of `config`, and
    /// `hosts` is the only static table consulted. Addresses are looked up A first, AAAA
    /// only for a name without A records: one query for most names, and IPv4 first, which
    /// every listener of a dual-stack or IPv4-only proxy can reach.
    pub fn with_system(
        config: DnsConfig,
        servers: ResolverConfig,
        mut opts: ResolverOpts,
        hosts: Hosts,
    ) -> Result<Resolver, DnsError> {
        opts.timeout = config.timeout;
        opts.cache_size = 0;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.ip_strategy = LookupIpStrategy::Ipv4thenIpv6;
        let mut backend =
            TokioResolver::builder_with_config(servers, TokioRuntimeProvider::default())
                .with_options(opts)
                .build()
                .map_err(|e| DnsError::Other {
                    host: String::new(),
                    reason: format!("resolver set-up: {e}"),
                })?;
        backend.set_hosts(Arc::new(hosts));
        Ok(Resolver {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(config.max_concurrent)),
                state: Mutex::new(State {
                    cache: DnsCache::new(config.max_entries),
                    in_flight: HashMap::new(),
                }),
                config,
                backend,
            }),
        })
    }

    /// The settings in force.
    pub fn config(&self) -> &DnsConfig {
        &self.inner.config
    }

    /// The first address of `host` with `port`. `host` may be an IP literal (IPv6 with or
    /// without brackets), answered without a query. Runs within a tokio runtime (the query
    /// is a task of its own).
    pub async fn lookup(&self, host: &str, port: u16) -> Result<SocketAddr, DnsError> {
        let addrs = self.lookup_all(host).await?;
        match addrs.first() {
            Some(&ip) => Ok(SocketAddr::new(ip, port)),
            None => Err(DnsError::NotFound(host.to_owned())),
        }
    }

    /// Every address of `host` (at most [`MAX_ADDRESSES`]), in the order to try them.
    pub async fn lookup_all(&self, host: &str) -> Result<Arc<[IpAddr]>, DnsError> {
        if let Some(ip) = ip_literal(host) {
            return Ok(Arc::from([ip]));
        }
        let key = normalise(host)?;
        let pending = {
            let mut state = self.inner.lock();
            match state.cache.get(&key, crate::clock::now()) {
                Some(Answer::Addresses(addrs)) => {
                    count("hit");
                    return Ok(addrs);
                }
                Some(Answer::NotFound) => {
                    count("negative");
                    return Err(DnsError::NotFound(key));
                }
                None => {}
            }
            match state.in_flight.get(&key) {
                Some(pending) => pending.clone(),
                None => {
                    let Ok(permit) = self.inner.permits.clone().try_acquire_owned() else {
                        count("busy");
                        return Err(DnsError::Busy(key));
                    };
                    let task = tokio::spawn(query(self.inner.clone(), key.clone(), permit));
                    let host = key.clone();
                    let pending = async move {
                        task.await.unwrap_or_else(|e| {
                            Err(DnsError::Other {
                                host,
                                reason: format!("lookup task ended: {e}"),
                            })
                        })
                    }
                    .boxed()
                    .shared();
                    state.in_flight.insert(key, pending.clone());
                    pending
                }
            }
        };
        let outcome = pending.await;
        count(match &outcome {
            Ok(_) | Err(DnsError::NotFound(_)) => "miss",
            Err(DnsError::Timeout(_)) => "timeout",
            Err(DnsError::Busy(_)) => "busy",
            Err(DnsError::InvalidName(_) | DnsError::Other { .. }) => "error",
        });
        outcome
    }

    /// What the cache knows of `host` now, without a query: `Some(Ok)` (first address with
    /// `port`; IP literals too), `Some(Err(NotFound))`, or `None` (not cached, expired, or not
    /// a valid name).
    pub fn cached(&self, host: &str, port: u16) -> Option<Result<SocketAddr, DnsError>> {
        if let Some(ip) = ip_literal(host) {
            return Some(Ok(SocketAddr::new(ip, port)));
        }
        let key = normalise(host).ok()?;
        let answer = self.inner.lock().cache.get(&key, crate::clock::now())?;
        Some(match answer {
            Answer::Addresses(addrs) => Ok(SocketAddr::new(*addrs.first()?, port)),
            Answer::NotFound => Err(DnsError::NotFound(key)),
        })
    }

    /// Names cached now (expired ones not yet read included).
    pub fn cached_names(&self) -> usize {
        self.inner.lock().cache.len()
    }
}

impl Inner {
    /// A panic while the lock is held leaves the cache and the map whole (each operation is
    /// one map call), so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One query, run in its own task: ask, cache the answer, leave the in-flight map.
async fn query(inner: Arc<Inner>, key: String, permit: OwnedSemaphorePermit) -> Outcome {
    let answer = tokio::time::timeout(inner.config.timeout, inner.backend.lookup_ip(key.as_str()));
    let answer = answer.await;
    drop(permit);
    let now = crate::clock::now();
    let config = &inner.config;
    let (outcome, cache) = match answer {
        Err(_elapsed) => (Err(DnsError::Timeout(key.clone())), None),
        Ok(Ok(lookup)) => {
            let addrs: Arc<[IpAddr]> = lookup.iter().take(MAX_ADDRESSES).collect();
            if addrs.is_empty() {
                let expires = negative_expiry(now, None, config);
                (
                    Err(DnsError::NotFound(key.clone())),
                    Some((Answer::NotFound, expires)),
                )
            } else {
                let expires = positive_expiry(now, lookup.valid_until(), config);
                (Ok(addrs.clone()), Some((Answer::Addresses(addrs), expires)))
            }
        }
        Ok(Err(NetError::Dns(HickoryDnsError::NoRecordsFound(none)))) => {
            let soa_ttl = none.negative_ttl.map(|s| Duration::from_secs(u64::from(s)));
            let expires = negative_expiry(now, soa_ttl, config);
            (
                Err(DnsError::NotFound(key.clone())),
                Some((Answer::NotFound, expires)),
            )
        }
        Ok(Err(NetError::Timeout)) => (Err(DnsError::Timeout(key.clone())), None),
        Ok(Err(e)) => (
            Err(DnsError::Other {
                host: key.clone(),
                reason: e.to_string(),
            }),
            None,
        ),
    };
    if let Err(e @ (DnsError::Timeout(_) | DnsError::Other { .. })) = &outcome {
        tracing::debug!(error = %e, "dns: lookup failed");
    }
    let mut state = inner.lock();
    if let Some((answer, expires)) = cache {
        state.cache.insert(key.clone(), answer, expires);
    }
    state.in_flight.remove(&key);
    outcome
}

fn count(result: &'static str) {
    metrics::counter!("dialogd_dns_lookups_total", "result" => result).increment(1);
}

/// `host` as an IP address, brackets of an IPv6 reference (RFC 3261 §25.1) allowed.
fn ip_literal(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// The cache key of a host name: lowercased (DNS names compare case-insensitively, RFC 4343),
/// after checking it is a name at all (RFC 1035 §2.3.1, with `_` allowed as in SRV owner
/// names): 1 to 63 characters per label, 253 in all, an optional final dot.
fn normalise(host: &str) -> Result<String, DnsError> {
    let bad = || DnsError::InvalidName(host.to_owned());
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(bad());
    }
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !name.split('.').all(label_ok) {
        return Err(bad());
    }
    Ok(host.to_ascii_lowercase())
}

/// What the C library does without a resolv.conf: one name server on the local host.
fn local_server() -> (ResolverConfig, ResolverOpts) {
    let server = NameServerConfig::udp_and_tcp(IpAddr::V4(Ipv4Addr::LOCALHOST));
    (
        ResolverConfig::from_name_servers(vec![server]),
        ResolverOpts::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_lowercased() {
        let ok = [
            ("Example.COM", "example.com"),
            ("pbx.example.com.", "pbx.example.com."),
            ("_sip._udp.example.com", "_sip._udp.example.com"),
            ("localhost", "localhost"),
        ];
        for (host, want) in ok {
            assert_eq!(normalise(host).as_deref(), Ok(want), "{host}");
        }
        let long_label = "a".repeat(64);
        let long_name = ["abcdefghi"; 26].join(".");
        for host in [
            "",
            ".",
            "a..b",
            ".a",
            "a b",
            "a/b",
            "é.example",
            long_label.as_str(),
            long_name.as_str(),
        ] {
            assert_eq!(
                normalise(host),
                Err(DnsError::InvalidName(host.to_owned())),
                "{host:?}"
            );
        }
    }

    #[test]
    fn ip_literals_with_and_without_brackets() {
        assert_eq!(ip_literal("192.0.2.1"), Some("192.0.2.1".parse().unwrap()));
        assert_eq!(ip_literal("[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(ip_literal("::1"), Some("::1".parse().unwrap()));
        assert_eq!(ip_literal("[192.0.2.1"), None);
        assert_eq!(ip_literal("example.com"), None);
    }
}
