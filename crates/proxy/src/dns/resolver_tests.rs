//! Resolver behaviour against the system configuration and against a scripted DNS server on
//! 127.0.0.1 (answers after a delay, NXDOMAIN with an SOA, or silence), so no test needs the
//! network.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_resolver::Hosts;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::proto::op::{Message, OpCode, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, SOA};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use tokio::net::UdpSocket;

use super::*;

/// A DNS server that answers `pbx.test` A with 192.0.2.7 (TTL 60), `nx.test` with NXDOMAIN
/// (negative TTL 10), other names with NOERROR and no data, and never answers names starting
/// with `slow.`. It records every question it gets.
struct ScriptedDns {
    addr: SocketAddr,
    questions: Arc<Mutex<Vec<(String, RecordType)>>>,
}

impl ScriptedDns {
    async fn start(delay: Duration) -> ScriptedDns {
        let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = socket.local_addr().unwrap();
        let questions = Arc::new(Mutex::new(Vec::new()));
        let seen = questions.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                let Ok(query) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                let Some(q) = query.queries.first().cloned() else {
                    continue;
                };
                let name = q.name().to_ascii().to_ascii_lowercase();
                let name = name.trim_end_matches('.').to_owned();
                seen.lock().unwrap().push((name.clone(), q.query_type()));
                if name.starts_with("slow.") {
                    continue;
                }
                let mut reply = Message::response(query.metadata.id, OpCode::Query);
                reply.metadata.recursion_desired = query.metadata.recursion_desired;
                reply.metadata.recursion_available = true;
                reply.add_query(q.clone());
                let soa = || {
                    let zone = Name::from_ascii("test.").unwrap();
                    let soa = SOA::new(zone.clone(), zone.clone(), 1, 60, 60, 60, 10);
                    Record::from_rdata(zone, 10, RData::SOA(soa))
                };
                match (name.as_str(), q.query_type()) {
                    ("pbx.test", RecordType::A) => {
                        let rdata = RData::A(A::new(192, 0, 2, 7));
                        reply.add_answer(Record::from_rdata(q.name().clone(), 60, rdata));
                    }
                    ("nx.test", _) => {
                        reply.metadata.response_code = ResponseCode::NXDomain;
                        reply.add_authority(soa());
                    }
                    _ => {
                        reply.add_authority(soa());
                    }
                }
                let socket = socket.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let _ = socket.send_to(&reply.to_vec().unwrap(), from).await;
                });
            }
        });
        ScriptedDns { addr, questions }
    }

    fn servers(&self) -> ResolverConfig {
        let mut udp = ConnectionConfig::udp();
        udp.port = self.addr.port();
        ResolverConfig::from_name_servers(vec![NameServerConfig::new(
            self.addr.ip(),
            true,
            vec![udp],
        )])
    }

    fn asked(&self, name: &str, rtype: RecordType) -> usize {
        let questions = self.questions.lock().unwrap();
        questions
            .iter()
            .filter(|(n, t)| n == name && *t == rtype)
            .count()
    }

    fn total(&self) -> usize {
        self.questions.lock().unwrap().len()
    }
}

fn config(timeout_ms: u64, max_concurrent: usize) -> DnsConfig {
    DnsConfig {
        timeout: Duration::from_millis(timeout_ms),
        max_concurrent,
        ..DnsConfig::default()
    }
}

fn resolver_for(dns: &ScriptedDns, config: DnsConfig, hosts: Hosts) -> Resolver {
    let mut opts = ResolverOpts::default();
    opts.attempts = 1;
    Resolver::with_system(config, dns.servers(), opts, hosts).unwrap()
}

fn sock(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[tokio::test]
async fn concurrent_lookups_of_one_name_share_one_query_and_the_answer_is_cached() {
    let dns = ScriptedDns::start(Duration::from_millis(200)).await;
    let r = resolver_for(&dns, config(5000, 32), Hosts::default());
    let lookups = (0..5).map(|_| r.lookup("PBX.test", 5060));
    for result in futures::future::join_all(lookups).await {
        assert_eq!(result, Ok(sock("192.0.2.7:5060")));
    }
    assert_eq!(dns.asked("pbx.test", RecordType::A), 1);

    assert_eq!(r.lookup("pbx.test", 5080).await, Ok(sock("192.0.2.7:5080")));
    assert_eq!(r.cached("pbx.test", 5070), Some(Ok(sock("192.0.2.7:5070"))));
    assert_eq!(
        dns.asked("pbx.test", RecordType::A),
        1,
        "answered from cache"
    );
}

#[tokio::test]
async fn a_missing_name_is_cached_as_negative() {
    let dns = ScriptedDns::start(Duration::ZERO).await;
    let r = resolver_for(&dns, config(5000, 32), Hosts::default());
    let want = Err(DnsError::NotFound("nx.test".into()));
    assert_eq!(r.lookup("nx.test", 5060).await, want);
    let asked = dns.total();
    assert!(asked >= 1);
    assert_eq!(r.lookup("nx.test", 5060).await, want);
    assert_eq!(r.cached("nx.test", 5060), Some(want));
    assert_eq!(dns.total(), asked, "answered from cache");

    // NODATA (the name exists, no address) is "not found" too.
    assert_eq!(
        r.lookup("mail.test", 5060).await,
        Err(DnsError::NotFound("mail.test".into()))
    );
}

#[tokio::test]
async fn past_max_concurrent_lookups_fail_fast_and_a_silent_server_times_out() {
    let dns = ScriptedDns::start(Duration::ZERO).await;
    let r = resolver_for(&dns, config(300, 1), Hosts::default());
    let slow = tokio::spawn({
        let r = r.clone();
        async move { r.lookup("slow.test", 5060).await }
    });
    let joined = tokio::spawn({
        let r = r.clone();
        async move { r.lookup("slow.test", 5060).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        r.lookup("pbx.test", 5060).await,
        Err(DnsError::Busy("pbx.test".into()))
    );
    let timed_out = Err(DnsError::Timeout("slow.test".into()));
    assert_eq!(slow.await.unwrap(), timed_out);
    assert_eq!(
        joined.await.unwrap(),
        timed_out,
        "a query in flight is joined"
    );
    assert_eq!(r.cached("slow.test", 5060), None, "timeouts are not cached");
    assert_eq!(r.lookup("pbx.test", 5060).await, Ok(sock("192.0.2.7:5060")));
}

#[tokio::test]
async fn static_hosts_answer_without_a_query_and_ip_literals_need_nothing_at_all() {
    let dns = ScriptedDns::start(Duration::ZERO).await;
    let mut hosts = Hosts::default();
    hosts
        .read_hosts_conf(&b"192.0.2.10 pbx.example pbx\n2001:db8::5 v6.example\n"[..])
        .unwrap();
    let r = resolver_for(&dns, config(1000, 32), hosts);
    assert_eq!(
        r.lookup("Pbx.Example", 5060).await,
        Ok(sock("192.0.2.10:5060"))
    );
    assert_eq!(
        r.lookup_all("v6.example").await.unwrap().as_ref(),
        ["2001:db8::5".parse::<IpAddr>().unwrap()]
    );
    assert_eq!(r.lookup("[::1]", 5062).await, Ok(sock("[::1]:5062")));
    assert_eq!(r.lookup("10.0.0.1", 5062).await, Ok(sock("10.0.0.1:5062")));
    assert_eq!(
        r.lookup("bad host", 5060).await,
        Err(DnsError::InvalidName("bad host".into()))
    );
    // hosts answers per record type: `v6.example` has no A line, so its A is asked of DNS.
    assert_eq!(
        dns.total(),
        dns.asked("v6.example", RecordType::A),
        "only v6.example A asked: {:?}",
        dns.questions.lock().unwrap()
    );
}

#[tokio::test]
async fn system_resolver_answers_localhost_and_caches_an_invalid_name() {
    let r = Resolver::new(config(500, 32)).unwrap();
    let local = r.lookup("localhost", 5060).await.unwrap();
    assert!(local.ip().is_loopback(), "{local}");
    assert_eq!(local.port(), 5060);

    // `.invalid` (RFC 6761 §6.4) is answered NXDOMAIN without a query by hickory; a resolver
    // that asks anyway may time out on a machine without DNS.
    match r.lookup("nonexistent.invalid", 5060).await {
        Err(DnsError::NotFound(_)) => {
            assert_eq!(
                r.cached("nonexistent.invalid", 5060),
                Some(Err(DnsError::NotFound("nonexistent.invalid".into())))
            );
            assert_eq!(
                r.lookup("nonexistent.invalid", 5060).await,
                Err(DnsError::NotFound("nonexistent.invalid".into()))
            );
        }
        Err(DnsError::Timeout(_)) => {}
        other => panic!("nonexistent.invalid gave {other:?}"),
    }
}

#[tokio::test]
async fn system_resolver_reads_etc_hosts() {
    let Ok(text) = std::fs::read_to_string("/etc/hosts") else {
        return;
    };
    // A name listed with an IPv4 address, other than localhost (answered by RFC 6761 rules
    // whatever the file says).
    let entry = text.lines().find_map(|line| {
        let mut fields = line.split('#').next()?.split_whitespace();
        let ip: std::net::Ipv4Addr = fields.next()?.parse().ok()?;
        let name = fields.find(|n| !n.to_ascii_lowercase().starts_with("localhost"))?;
        Some((ip, name.to_owned()))
    });
    let Some((ip, name)) = entry else {
        return;
    };
    let r = Resolver::new(config(500, 32)).unwrap();
    let listed: Vec<IpAddr> = text
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('#').next()?.split_whitespace();
            let addr: IpAddr = fields.next()?.parse().ok()?;
            fields
                .any(|n| n.eq_ignore_ascii_case(&name))
                .then_some(addr)
        })
        .collect();
    let got = r.lookup(&name, 5060).await.unwrap();
    assert!(
        listed.contains(&got.ip()),
        "{name} resolved to {got}, /etc/hosts lists {listed:?} (first {ip})"
    );
}
