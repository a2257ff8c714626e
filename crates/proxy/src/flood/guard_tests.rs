//! Flood guard behaviour with time stepped by hand.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::*;

const MAX: u32 = 5;
const WINDOW: Duration = Duration::from_secs(2);
const BLOCK: Duration = Duration::from_secs(30);

fn config() -> FloodConfig {
    FloodConfig {
        max_requests: MAX,
        window: WINDOW,
        block_for: BLOCK,
        ..FloodConfig::default()
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// `n` requests from `src` at `now`, asserting they all pass.
fn pass_n(g: &mut FloodGuard, src: IpAddr, now: Instant, n: u32) {
    for i in 0..n {
        assert_eq!(g.check(src, now), Verdict::Pass, "request {i} from {src}");
    }
}

fn newly(v: Verdict) -> Option<bool> {
    match v {
        Verdict::Blocked { newly, .. } => Some(newly),
        Verdict::Pass => None,
    }
}

#[test]
fn under_the_limit_passes() {
    let t0 = crate::clock::now();
    let mut g = FloodGuard::new(config());
    pass_n(&mut g, ip("192.0.2.1"), t0, MAX);
    assert_eq!(g.blocked(), 0);
}

#[test]
fn over_the_limit_blocks_and_says_newly_once() {
    let t0 = crate::clock::now();
    let mut g = FloodGuard::new(config());
    let src = ip("192.0.2.1");
    pass_n(&mut g, src, t0, MAX);
    let v = g.check(src, t0 + ms(10));
    assert_eq!(
        v,
        Verdict::Blocked {
            newly: true,
            source: SourceKey::of(src),
            count: MAX + 1,
            until: t0 + ms(10) + BLOCK,
        }
    );
    for i in 0..100 {
        assert_eq!(newly(g.check(src, t0 + ms(20 + i))), Some(false));
    }
    assert_eq!(g.blocks_started(), 1);
    assert_eq!(g.blocked(), 1);
}

#[test]
fn stays_blocked_while_quiet_then_unblocks_and_counting_restarts() {
    let t0 = crate::clock::now();
    let mut g = FloodGuard::new(config());
    let src = ip("192.0.2.1");
    pass_n(&mut g, src, t0, MAX);
    assert_eq!(newly(g.check(src, t0)), Some(true));
    let until = t0 + BLOCK;

    assert_eq!(newly(g.check(src, until - ms(1))), Some(false));
    pass_n(&mut g, src, until, MAX);
    assert_eq!(newly(g.check(src, until + ms(1))), Some(true));
    assert_eq!(g.blocks_started(), 2);
}

#[test]
fn a_new_window_restarts_the_count() {
    let t0 = crate::clock::now();
    let mut g = FloodGuard::new(config());
    let src = ip("192.0.2.1");
    pass_n(&mut g, src, t0, MAX);
    pass_n(&mut g, src, t0 + WINDOW, MAX);
    pass_n(&mut g, src, t0 + WINDOW * 2 + ms(500), MAX);
    assert!(g.check(src, t0 + WINDOW * 2 + ms(501)).is_blocked());
}

#[test]
fn the_window_is_fixed_from_its_first_request() {
    let t0 = crate::clock::now();
    let mut g = FloodGuard::new(config());
    let src = ip("192.0.2.1");
    pass_n(&mut g, src, t0, MAX - 1);
    assert_eq!(g.check(src, t0 + WINDOW - ms(1)), Verdict::Pass);
    assert!(g.check(src, t0 + WINDOW - ms(1)).is_blocked());
}

#[test]
fn exempt_sources_and_a_disabled_guard_never_block() {
    let t0 = crate::clock::now();
    let mut g = FloodGuard::new(FloodConfig {
        exempt: vec![policy_cidr("10.0.0.0/8"), policy_cidr("2001:db8:aaaa::/48")],
        ..config()
    });
    for src in ["10.1.2.3", "::ffff:10.9.9.9", "2001:db8:aaaa:1::5"] {
        pass_n(&mut g, ip(src), t0, MAX * 10);
    }
    assert_eq!(g.sources(), 0, "exempt sources take no entry");
    assert!(
        g.check(ip("11.0.0.1"), t0) == Verdict::Pass && g.sources() == 1,
        "others are counted"
    );

    let mut off = FloodGuard::new(FloodConfig {
        enabled: false,
        ..config()
    });
    pass_n(&mut off, ip("192.0.2.1"), t0, MAX * 10);
}

fn policy_cidr(s: &str) -> crate::policy::cidr::Cidr {
    crate::policy::cidr::Cidr::parse(s).unwrap()
}

#[test]
fn ipv6_sources_share_the_budget_of_their_64() {
    let t0 = crate::clock::now();
    let mut g = FloodGuard::new(config());
    for i in 0..MAX {
        let src = ip(&format!("2001:db8:1:2::{:x}", i + 1));
        assert_eq!(g.check(src, t0), Verdict::Pass);
    }
    let v = g.check(ip("2001:db8:1:2:dead:beef::1"), t0);
    match v {
        Verdict::Blocked { newly, source, .. } => {
            assert!(newly);
            assert_eq!(source.to_string(), "2001:db8:1:2::/64");
        }
        Verdict::Pass => panic!("the /64 went over the limit"),
    }
    pass_n(&mut g, ip("2001:db8:1:3::1"), t0, MAX);
}

#[test]
fn many_sources_are_counted_apart() {
    let t0 = crate::clock::now();
    let mut g = FloodGuard::new(config());
    let sources: Vec<IpAddr> = (0..1000u32)
        .map(|n| IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 | n)))
        .collect();
    for &src in &sources {
        pass_n(&mut g, src, t0, MAX);
    }
    assert_eq!(g.sources(), 1000);
    for &src in &sources[..10] {
        assert_eq!(newly(g.check(src, t0)), Some(true));
    }
    assert_eq!(g.blocked(), 10);
    assert_eq!(g.check(sources[500], t0 + WINDOW), Verdict::Pass);
}

#[test]
fn a_spoofed_source_flood_stays_within_max_sources() {
    let t0 = crate::clock::now();
    let mut g = FloodGuard::new(FloodConfig {
        max_sources: 100,
        ..config()
    });
    for n in 0..20_000u32 {
        let src = IpAddr::from(std::net::Ipv4Addr::from(n.wrapping_mul(2_654_435_761)));
        let _ = g.check(src, t0 + ms(u64::from(n % 1000)));
        assert!(g.sources() <= 100, "{} sources after {n}", g.sources());
    }
    assert_eq!(g.sources(), 100);
    assert!(g.evicted() > 0);
}

#[test]
fn a_blocked_source_outlives_a_spoofed_flood_while_counting_entries_remain() {
    let t0 = crate::clock::now();
    let mut g = FloodGuard::new(FloodConfig {
        max_sources: 10,
        ..config()
    });
    let attacker = ip("198.51.100.1");
    pass_n(&mut g, attacker, t0, MAX);
    assert_eq!(newly(g.check(attacker, t0)), Some(true));
    for n in 0..5_000u32 {
        let src = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 | n));
        assert_eq!(g.check(src, t0 + ms(1)), Verdict::Pass);
    }
    assert_eq!(newly(g.check(attacker, t0 + BLOCK - ms(1))), Some(false));
}

#[test]
fn when_blocked_sources_fill_the_table_the_earliest_block_gives_way() {
    let t0 = crate::clock::now();
    let mut g = FloodGuard::new(FloodConfig {
        max_sources: 2,
        ..config()
    });
    let (a, b, c) = (ip("192.0.2.1"), ip("192.0.2.2"), ip("192.0.2.3"));
    pass_n(&mut g, a, t0, MAX);
    assert!(g.check(a, t0).is_blocked());
    pass_n(&mut g, b, t0 + ms(1), MAX);
    assert!(g.check(b, t0 + ms(1)).is_blocked());

    assert_eq!(g.check(c, t0 + ms(2)), Verdict::Pass);
    assert_eq!(g.sources(), 2);
    assert_eq!(g.evicted(), 1);
    assert_eq!(
        newly(g.check(b, t0 + ms(3))),
        Some(false),
        "b still blocked"
    );
    // `a` gave way to `c`, then takes the place of `c` (the only counting entry).
    assert_eq!(g.check(a, t0 + ms(4)), Verdict::Pass);
}

#[test]
fn ended_blocks_and_idle_sources_are_forgotten() {
    let t0 = crate::clock::now();
    let mut g = FloodGuard::new(config());
    for n in 1..=3u8 {
        let src = IpAddr::from([192, 0, 2, n]);
        pass_n(&mut g, src, t0, MAX);
        assert!(g.check(src, t0).is_blocked());
    }
    pass_n(&mut g, ip("192.0.2.50"), t0, 1);
    assert_eq!((g.sources(), g.blocked()), (4, 3));
    g.sweep(t0 + BLOCK);
    assert_eq!((g.sources(), g.blocked()), (0, 0));
}

#[test]
fn counts_everything_but_responses() {
    let cases: &[(&[u8], bool)] = &[
        (b"INVITE sip:bob@example.com SIP/2.0\r\n", true),
        (b"OPTIONS sip:x SIP/2.0\r\n", true),
        (b"SIP/2.0 200 OK\r\n", false),
        (b"sip/2.0 180 Ringing\r\n", false),
        (b"\r\n\r\nSIP/2.0 100 Trying\r\n", false),
        (b"\r\n\r\n", true),
        (b"", true),
        (b"SIP/2.0", true),
        (b"SIP/2.00 200 OK", true),
        (b"SIPX2.0 200 OK", true),
    ];
    for (data, want) in cases {
        assert_eq!(counts(data), *want, "{:?}", String::from_utf8_lossy(data));
    }
}

#[test]
fn validate_names_the_key() {
    assert_eq!(FloodConfig::default().validate(), Ok(()));
    let bad = [
        (
            FloodConfig {
                window: Duration::ZERO,
                ..config()
            },
            "window",
        ),
        (
            FloodConfig {
                max_requests: 0,
                ..config()
            },
            "max_requests",
        ),
        (
            FloodConfig {
                block_for: MAX_BLOCK_FOR + ms(1),
                ..config()
            },
            "block_for",
        ),
        (
            FloodConfig {
                max_sources: 0,
                ..config()
            },
            "max_sources",
        ),
    ];
    for (c, key) in bad {
        assert_eq!(c.validate().unwrap_err().0, key);
    }
}

#[test]
fn shared_guard_blocks_across_threads() {
    let shared = std::sync::Arc::new(SharedFloodGuard::new(config()));
    let src = ip("192.0.2.9");
    let t0 = crate::clock::now();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let shared = shared.clone();
            std::thread::spawn(move || {
                (0..MAX)
                    .filter(|_| shared.check_at(src, t0).is_blocked())
                    .count()
            })
        })
        .collect();
    let blocked: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(blocked, (4 * MAX - MAX) as usize);
    assert_eq!(shared.stats(), (1, 1));
    assert_eq!(shared.check(ip("10.0.0.1")), Verdict::Pass);
}
