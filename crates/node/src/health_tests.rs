//! The health decision with time stepped by hand: a table for [`decide`], then sequences of
//! inputs into [`HealthCheck`] and the transitions that come out.

use std::time::{Duration, Instant};

use dialogd_cluster::Failure;

use super::*;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn enospc() -> Failure {
    Failure::Storage("raft log write failed: No space left on device (os error 28)".into())
}

fn leaderless(s: u64) -> Health {
    Health::NotServing(Reason::Leaderless { after: secs(s) })
}

/// failure, leader seen at +s, now at +s, threshold in s -> health
type Row<'a> = (Option<&'a Failure>, u64, u64, Option<u64>, Health);

#[test]
fn decide_table() {
    let t0 = Instant::now();
    let failed = enospc();
    let rows: [Row; 8] = [
        (None, 0, 0, Some(10), Health::Serving),
        (None, 0, 9, Some(10), Health::Serving),
        (None, 0, 10, Some(10), leaderless(10)),
        (None, 5, 14, Some(10), Health::Serving),
        (None, 5, 15, Some(10), leaderless(10)),
        (None, 0, 100_000, None, Health::Serving),
        (
            Some(&failed),
            0,
            0,
            Some(10),
            Health::NotServing(Reason::Failed(failed.clone())),
        ),
        (
            Some(&failed),
            0,
            50,
            None,
            Health::NotServing(Reason::Failed(failed.clone())),
        ),
    ];
    for (i, (failure, seen, now, after, want)) in rows.into_iter().enumerate() {
        let got = decide(failure, t0 + secs(seen), t0 + secs(now), after.map(secs));
        assert_eq!(got, want, "row {i}");
    }
}

#[test]
fn a_leader_seen_in_time_keeps_the_node_serving() {
    let t0 = Instant::now();
    let mut check = HealthCheck::new(t0, Some(secs(10)));
    assert_eq!(check.poll_timeout(), Some(t0 + secs(10)));
    for s in 1..=30 {
        let now = t0 + secs(s);
        check.handle_leader_seen(now, now);
        check.handle_timeout(now);
    }
    assert_eq!(check.health(), &Health::Serving);
    assert_eq!(check.poll_transition(), None);
    assert_eq!(check.poll_timeout(), Some(t0 + secs(40)));
}

#[test]
fn leaderless_for_the_threshold_is_not_serving_until_a_leader_is_seen_again() {
    let t0 = Instant::now();
    let mut check = HealthCheck::new(t0, Some(secs(2)));
    check.handle_leader_seen(t0 + secs(1), t0 + secs(1));
    check.handle_timeout(t0 + Duration::from_millis(2_999));
    assert_eq!(check.poll_transition(), None, "not yet: 1.999 s without");
    let deadline = check.poll_timeout().unwrap();
    assert_eq!(deadline, t0 + secs(3));
    check.handle_timeout(deadline);
    assert_eq!(check.poll_transition(), Some(leaderless(2)));
    assert_eq!(check.poll_timeout(), None, "time alone brings no leader");
    check.handle_timeout(t0 + secs(60));
    assert_eq!(
        check.poll_transition(),
        None,
        "one transition, not one per tick"
    );

    check.handle_leader_seen(t0 + secs(61), t0 + secs(61));
    assert_eq!(check.poll_transition(), Some(Health::Serving));
    assert_eq!(check.poll_timeout(), Some(t0 + secs(63)));
}

#[test]
fn a_leader_whose_quorum_ack_is_old_counts_from_that_ack() {
    let t0 = Instant::now();
    let mut check = HealthCheck::new(t0, Some(secs(10)));
    // A leader sampled at +12 s whose quorum last answered 11 s ago: seen at +1 s.
    let now = t0 + secs(12);
    check.handle_leader_seen(now, now - secs(11));
    assert_eq!(check.poll_transition(), Some(leaderless(10)));
    // An older sighting does not move the clock back; a sighting "in the future" counts as now.
    check.handle_leader_seen(now, t0);
    assert_eq!(check.poll_transition(), None);
    check.handle_leader_seen(now, now + secs(5));
    assert_eq!(check.poll_transition(), Some(Health::Serving));
    assert_eq!(check.poll_timeout(), Some(now + secs(10)));
}

#[test]
fn a_node_that_never_finds_a_leader_is_not_serving_after_the_threshold_from_its_start() {
    let t0 = Instant::now();
    let mut check = HealthCheck::new(t0, Some(secs(10)));
    check.handle_timeout(t0 + secs(9));
    assert_eq!(check.poll_transition(), None);
    check.handle_timeout(t0 + secs(10));
    assert_eq!(check.poll_transition(), Some(leaderless(10)));
}

#[test]
fn without_a_threshold_a_missing_leader_never_counts() {
    let t0 = Instant::now();
    let mut check = HealthCheck::new(t0, None);
    assert_eq!(check.poll_timeout(), None);
    check.handle_timeout(t0 + secs(86_400 * 365));
    assert_eq!(check.poll_transition(), None);
    assert_eq!(check.health(), &Health::Serving);
}

#[test]
fn a_failure_is_not_serving_at_once_and_for_good() {
    let t0 = Instant::now();
    let mut check = HealthCheck::new(t0, Some(secs(10)));
    check.handle_failure(t0 + secs(1), enospc());
    let failed = Health::NotServing(Reason::Failed(enospc()));
    assert_eq!(check.poll_transition(), Some(failed.clone()));
    assert_eq!(check.health().failure(), Some(&enospc()));
    assert_eq!(check.poll_timeout(), None);

    // A leader seen afterwards, a later failure, time: nothing changes.
    check.handle_leader_seen(t0 + secs(2), t0 + secs(2));
    check.handle_failure(t0 + secs(3), Failure::Raft("panicked".into()));
    check.handle_timeout(t0 + secs(100));
    assert_eq!(check.poll_transition(), None);
    assert_eq!(check.health(), &failed);
}

#[test]
fn a_failure_while_leaderless_is_a_second_transition() {
    let t0 = Instant::now();
    let mut check = HealthCheck::new(t0, Some(secs(2)));
    check.handle_timeout(t0 + secs(2));
    check.handle_failure(t0 + secs(3), enospc());
    assert_eq!(check.poll_transition(), Some(leaderless(2)));
    assert_eq!(
        check.poll_transition(),
        Some(Health::NotServing(Reason::Failed(enospc())))
    );
    assert_eq!(check.poll_transition(), None);
}

#[test]
fn reasons_read_as_an_operator_needs_them() {
    assert_eq!(
        leaderless(10).to_string(),
        "not serving: no cluster leader with a quorum for 10 s or more (health.leaderless_secs)"
    );
    assert_eq!(
        Health::NotServing(Reason::Failed(enospc())).to_string(),
        "not serving: raft storage failed: raft log write failed: No space left on device \
         (os error 28)"
    );
    assert_eq!(Health::Serving.to_string(), "serving");
}
