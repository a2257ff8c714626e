//! [`DnsCache`]: the resolver's positive and negative cache, sans-IO (time passed in).
//!
//! An entry maps a normalised host name to an [`Answer`] — its addresses, or "does not
//! exist" — until an expiry the resolver computes from the record TTLs ([`positive_expiry`],
//! [`negative_expiry`]: RFC 1035 §3.2.1 TTLs and RFC 2308 §5 negative caching, clamped to the
//! configured bounds). The cache holds at most `max_entries`; inserting past that evicts the
//! entry inserted longest ago (O(log n) through an ordered index), so a stream of
//! attacker-chosen names costs a bounded amount of memory. Expired entries are dropped when
//! read.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::DnsConfig;

/// What is known about a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Its addresses, in the order to try them (never empty).
    Addresses(Arc<[IpAddr]>),
    /// The name does not exist or has no address (NXDOMAIN or NODATA).
    NotFound,
}

#[derive(Debug)]
struct Cached {
    answer: Answer,
    expires: Instant,
    seq: u64,
}

/// Bounded TTL cache of DNS answers; see the module doc.
#[derive(Debug)]
pub struct DnsCache {
    entries: HashMap<String, Cached>,
    /// Insertion order: sequence number → name.
    order: BTreeMap<u64, String>,
    next_seq: u64,
    max_entries: usize,
}

impl DnsCache {
    /// An empty cache of at most `max_entries` (at least 1).
    pub fn new(max_entries: usize) -> DnsCache {
        DnsCache {
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
            max_entries: max_entries.max(1),
        }
    }

    /// Number of entries, expired ones not yet read included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The answer for `host` if one is cached and not expired at `now`; an expired one is
    /// dropped.
    pub fn get(&mut self, host: &str, now: Instant) -> Option<Answer> {
        let cached = self.entries.get(host)?;
        if now < cached.expires {
            return Some(cached.answer.clone());
        }
        self.remove(host);
        None
    }

    /// Caches `answer` for `host` until `expires`, replacing any entry for it; the oldest entry
    /// gives way when the cache is full.
    pub fn insert(&mut self, host: String, answer: Answer, expires: Instant) {
        self.remove(&host);
        while self.entries.len() >= self.max_entries {
            match self.order.pop_first() {
                Some((_, oldest)) => {
                    self.entries.remove(&oldest);
                }
                None => break,
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, host.clone());
        self.entries.insert(
            host,
            Cached {
                answer,
                expires,
                seq,
            },
        );
    }

    fn remove(&mut self, host: &str) {
        if let Some(old) = self.entries.remove(host) {
            self.order.remove(&old.seq);
        }
    }
}

/// Expiry of a positive answer: the records' own (`valid_until`, the lowest TTL of the
/// answer) clamped to `[min_ttl, max_ttl]` from `now`.
pub fn positive_expiry(now: Instant, valid_until: Instant, config: &DnsConfig) -> Instant {
    let ttl = valid_until.saturating_duration_since(now);
    later(
        now,
        ttl.clamp(config.min_ttl, config.max_ttl.max(config.min_ttl)),
    )
}

/// Expiry of a negative answer: the zone's negative TTL (RFC 2308 §5, from the SOA) clamped
/// to `[min_ttl, negative_ttl]`, or `negative_ttl` when the answer carried no SOA.
pub fn negative_expiry(now: Instant, soa_ttl: Option<Duration>, config: &DnsConfig) -> Instant {
    let max = config.negative_ttl.max(config.min_ttl);
    let ttl = soa_ttl.map_or(max, |t| t.clamp(config.min_ttl, max));
    later(now, ttl)
}

fn later(now: Instant, ttl: Duration) -> Instant {
    now.checked_add(ttl).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Answer {
        Answer::Addresses(list.iter().map(|s| s.parse().unwrap()).collect())
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn entries_expire_at_their_time() {
        let t0 = crate::clock::now();
        let mut c = DnsCache::new(10);
        c.insert("a.example".into(), addrs(&["192.0.2.1"]), t0 + secs(5));
        c.insert("b.example".into(), Answer::NotFound, t0 + secs(30));
        assert_eq!(
            c.get("a.example", t0 + secs(4)),
            Some(addrs(&["192.0.2.1"]))
        );
        assert_eq!(c.get("b.example", t0 + secs(4)), Some(Answer::NotFound));
        assert_eq!(c.get("a.example", t0 + secs(5)), None);
        assert_eq!(c.len(), 1, "expired entry dropped when read");
        assert_eq!(c.get("b.example", t0 + secs(29)), Some(Answer::NotFound));
        assert_eq!(c.get("c.example", t0), None);
    }

    #[test]
    fn full_cache_evicts_the_oldest_insert() {
        let t0 = crate::clock::now();
        let far = t0 + secs(3600);
        let mut c = DnsCache::new(3);
        for name in ["a", "b", "c"] {
            c.insert(name.into(), Answer::NotFound, far);
        }
        // Re-inserting `a` makes it the newest: `b` is now the oldest.
        c.insert("a".into(), addrs(&["192.0.2.1"]), far);
        c.insert("d".into(), Answer::NotFound, far);
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("b", t0), None);
        assert_eq!(c.get("a", t0), Some(addrs(&["192.0.2.1"])));
        assert!(c.get("c", t0).is_some() && c.get("d", t0).is_some());
    }

    #[test]
    fn a_flood_of_names_stays_within_max_entries() {
        let t0 = crate::clock::now();
        let mut c = DnsCache::new(100);
        for n in 0..10_000 {
            c.insert(format!("n{n}.example"), Answer::NotFound, t0 + secs(30));
            assert!(c.len() <= 100);
        }
        assert_eq!(c.order.len(), 100);
        assert!(c.get("n9999.example", t0).is_some());
        assert!(c.get("n0.example", t0).is_none());
    }

    #[test]
    fn ttls_are_clamped() {
        let t0 = crate::clock::now();
        let cfg = DnsConfig::default();
        let cases = [
            (secs(0), cfg.min_ttl),
            (secs(60), secs(60)),
            (secs(7 * 86_400), cfg.max_ttl),
        ];
        for (ttl, want) in cases {
            assert_eq!(
                positive_expiry(t0, t0 + ttl, &cfg),
                t0 + want,
                "ttl {ttl:?}"
            );
        }
        assert_eq!(
            positive_expiry(t0, t0 - secs(1), &cfg),
            t0 + cfg.min_ttl,
            "valid_until in the past"
        );
        let neg = [
            (None, cfg.negative_ttl),
            (Some(secs(0)), cfg.min_ttl),
            (Some(secs(10)), secs(10)),
            (Some(secs(86_400)), cfg.negative_ttl),
        ];
        for (soa, want) in neg {
            assert_eq!(negative_expiry(t0, soa, &cfg), t0 + want, "soa {soa:?}");
        }
    }
}
