//! Keep-alive probes with time stepped by hand: which legs are probed and when, a healthy call
//! over five intervals, the outcomes that kill a leg, the failed limit, unanswered probes and
//! late answers.

use super::*;
use KeepaliveOutput::{Dead, SendProbe};
use Leg::{Callee, Caller};

/// A keep-alive created at second 0.
struct Run {
    ka: Keepalive,
    t0: Instant,
}

impl Run {
    fn new(caller: bool, callee: bool, interval: u64) -> Run {
        Run::with(KeepaliveConfig {
            caller,
            callee,
            interval: Duration::from_secs(interval),
            ..KeepaliveConfig::default()
        })
    }

    fn with(config: KeepaliveConfig) -> Run {
        let t0 = Instant::now();
        Run {
            ka: Keepalive::new(t0, config),
            t0,
        }
    }

    fn at(&self, secs: u64) -> Instant {
        self.t0 + Duration::from_secs(secs)
    }

    /// `handle_timeout` at `secs`; the outputs.
    fn tick(&mut self, secs: u64) -> Vec<KeepaliveOutput> {
        self.ka.handle_timeout(self.at(secs));
        self.drain()
    }

    /// An outcome at `secs`: whether it counted, and the outputs.
    fn answer(&mut self, secs: u64, probe: u64, o: ProbeOutcome) -> (bool, Vec<KeepaliveOutput>) {
        let counted = self.ka.handle_outcome(self.at(secs), ProbeId(probe), o);
        (counted, self.drain())
    }

    fn drain(&mut self) -> Vec<KeepaliveOutput> {
        std::iter::from_fn(|| self.ka.poll_output()).collect()
    }

    /// Seconds from the origin to the deadline.
    fn deadline(&self) -> Option<u64> {
        self.ka.poll_timeout().map(|d| (d - self.t0).as_secs())
    }
}

fn probe(leg: Leg, id: u64) -> KeepaliveOutput {
    SendProbe {
        leg,
        probe: ProbeId(id),
    }
}

fn dead(leg: Leg, failure: ProbeFailure) -> KeepaliveOutput {
    Dead { leg, failure }
}

const OK: ProbeOutcome = ProbeOutcome::Response(200);

#[test]
fn probes_go_to_the_enabled_legs_only_one_interval_after_the_answer() {
    // (caller, callee, deadline, probes at 30)
    let table = [
        (false, false, None, vec![]),
        (true, false, Some(30), vec![probe(Caller, 0)]),
        (false, true, Some(30), vec![probe(Callee, 0)]),
        (
            true,
            true,
            Some(30),
            vec![probe(Caller, 0), probe(Callee, 1)],
        ),
    ];
    for (caller, callee, deadline, probes) in table {
        let mut r = Run::new(caller, callee, 30);
        assert_eq!(r.deadline(), deadline, "{caller} {callee}");
        assert_eq!(r.tick(29), vec![], "not yet");
        assert_eq!(r.tick(30), probes, "{caller} {callee}");
        assert_eq!(r.tick(31), vec![], "once");
    }
}

#[test]
fn a_healthy_call_is_probed_every_interval_for_five_intervals() {
    let mut r = Run::new(true, true, 30);
    let mut sent = 0;
    for i in 1..=5 {
        let due = 30 * i;
        assert_eq!(r.deadline(), Some(due), "interval {i}");
        let probes = r.tick(due);
        assert_eq!(probes, vec![probe(Caller, sent), probe(Callee, sent + 1)]);
        for p in [sent, sent + 1] {
            assert_eq!(r.answer(due + 1, p, OK), (true, vec![]), "probe {p}");
        }
        sent += 2;
    }
    assert_eq!(sent, 10);
    assert_eq!(r.ka.dead(), None);
    assert_eq!(r.deadline(), Some(180));
}

#[test]
fn a_481_on_the_callee_leg_kills_it_at_once_and_everything_stops() {
    let mut r = Run::with(KeepaliveConfig {
        caller: true,
        callee: true,
        interval: Duration::from_secs(30),
        failed_limit: 3,
    });
    r.tick(30);
    assert_eq!(r.answer(31, 0, OK), (true, vec![]));
    let (counted, out) = r.answer(31, 1, ProbeOutcome::Response(481));
    assert!(counted);
    assert_eq!(out, vec![dead(Callee, ProbeFailure::NoSuchDialog)]);
    assert_eq!(r.ka.dead(), Some(Callee));
    assert_eq!(r.deadline(), None);
    assert_eq!(r.tick(1000), vec![]);
}

#[test]
fn final_responses_but_481_and_408_mean_alive() {
    // (outcome, counted, outputs)
    let table = [
        (ProbeOutcome::Response(200), true, vec![]),
        (ProbeOutcome::Response(404), true, vec![]),
        (ProbeOutcome::Response(405), true, vec![]),
        (ProbeOutcome::Response(486), true, vec![]),
        (ProbeOutcome::Response(500), true, vec![]),
        (ProbeOutcome::Response(503), true, vec![]),
        (ProbeOutcome::Response(603), true, vec![]),
        (ProbeOutcome::Response(100), false, vec![]),
        (ProbeOutcome::Response(183), false, vec![]),
        (
            ProbeOutcome::Response(481),
            true,
            vec![dead(Callee, ProbeFailure::NoSuchDialog)],
        ),
        (
            ProbeOutcome::Response(408),
            true,
            vec![dead(Callee, ProbeFailure::Timeout)],
        ),
        (
            ProbeOutcome::Timeout,
            true,
            vec![dead(Callee, ProbeFailure::Timeout)],
        ),
    ];
    for (outcome, counted, outputs) in table {
        let mut r = Run::new(false, true, 30);
        r.tick(30);
        assert_eq!(r.answer(32, 0, outcome), (counted, outputs), "{outcome:?}");
        // A live leg is timed again at 60 (a probe after an answer, or the 1xx's probe
        // checked for an answer); a dead one never.
        let alive = r.ka.dead().is_none();
        assert_eq!(r.deadline(), alive.then_some(60), "{outcome:?}");
    }
}

#[test]
fn timeouts_in_a_row_kill_at_the_failed_limit_and_an_answer_resets_the_count() {
    let mut r = Run::with(KeepaliveConfig {
        caller: true,
        callee: false,
        interval: Duration::from_secs(10),
        failed_limit: 2,
    });
    // (second of the probe, its outcome, outputs of the outcome)
    let script = [
        (10, ProbeOutcome::Timeout, vec![]),
        (20, OK, vec![]),
        (30, ProbeOutcome::Timeout, vec![]),
        (
            40,
            ProbeOutcome::Response(408),
            vec![dead(Caller, ProbeFailure::Timeout)],
        ),
    ];
    for (i, (secs, outcome, outputs)) in script.into_iter().enumerate() {
        assert_eq!(
            r.tick(secs),
            vec![probe(Caller, i as u64)],
            "probe at {secs}"
        );
        assert_eq!(
            r.answer(secs + 5, i as u64, outcome),
            (true, outputs),
            "{secs}"
        );
    }
    assert_eq!(r.deadline(), None);
}

#[test]
fn a_leg_that_leaves_a_probe_unanswered_for_an_interval_is_dead_within_two_intervals() {
    // The callee stops answering after the answer; its probe at 30 is never answered.
    let mut r = Run::new(true, true, 30);
    assert_eq!(r.tick(30), vec![probe(Caller, 0), probe(Callee, 1)]);
    r.answer(30, 0, OK);
    assert_eq!(r.deadline(), Some(60), "the unanswered probe is timed too");
    // At 60 the callee's probe has gone unanswered for an interval: dead, and the caller is
    // not probed any more.
    assert_eq!(r.tick(60), vec![dead(Callee, ProbeFailure::Timeout)]);
    // Timer F of the callee's probe fires at 62: too late, ignored.
    assert_eq!(r.answer(62, 1, ProbeOutcome::Timeout), (false, vec![]));
    assert_eq!(r.deadline(), None);
}

#[test]
fn with_a_higher_limit_an_unanswered_probe_is_one_failure_and_the_next_goes_at_once() {
    let mut r = Run::with(KeepaliveConfig {
        caller: false,
        callee: true,
        interval: Duration::from_secs(30),
        failed_limit: 2,
    });
    assert_eq!(r.tick(30), vec![probe(Callee, 0)]);
    assert_eq!(r.tick(60), vec![probe(Callee, 1)], "probe 0 failed once");
    assert_eq!(
        r.answer(61, 0, OK),
        (false, vec![]),
        "late: probe 0 is over"
    );
    assert_eq!(
        r.answer(61, 1, OK),
        (true, vec![]),
        "probe 1 resets the count"
    );
    assert_eq!(r.tick(90), vec![probe(Callee, 2)]);
    assert_eq!(r.tick(120), vec![probe(Callee, 3)]);
    assert_eq!(r.tick(150), vec![dead(Callee, ProbeFailure::Timeout)]);
}

#[test]
fn late_repeated_unknown_and_pre_reconfiguration_answers_are_ignored() {
    let mut r = Run::new(false, true, 30);
    r.tick(30);
    assert_eq!(r.answer(31, 0, OK), (true, vec![]));
    // (second, probe, outcome): none counts, none kills.
    let ignored = [
        (32, 0, OK),
        (33, 0, ProbeOutcome::Response(481)),
        (34, 0, ProbeOutcome::Timeout),
        (35, 7, ProbeOutcome::Response(481)),
    ];
    for (secs, p, outcome) in ignored {
        assert_eq!(
            r.answer(secs, p, outcome),
            (false, vec![]),
            "{p} {outcome:?}"
        );
    }
    assert_eq!(r.tick(60), vec![probe(Callee, 1)]);
    // Reconfigured while probe 1 is out: it no longer counts; the next one is 40 s away.
    let config = KeepaliveConfig {
        caller: true,
        callee: true,
        interval: Duration::from_secs(40),
        ..KeepaliveConfig::default()
    };
    r.ka.reconfigure(r.at(61), config);
    assert_eq!(
        r.answer(62, 1, ProbeOutcome::Response(481)),
        (false, vec![])
    );
    assert_eq!(r.deadline(), Some(101));
    assert_eq!(r.tick(101), vec![probe(Caller, 2), probe(Callee, 3)]);
    assert_eq!(r.ka.dead(), None);
}

#[test]
fn a_slow_answer_lets_the_next_probe_go_when_it_is_due_not_before() {
    let mut r = Run::new(true, false, 30);
    r.tick(30);
    // Answered at 45: the next probe is still due at 60.
    assert_eq!(r.answer(45, 0, OK), (true, vec![]));
    assert_eq!(r.deadline(), Some(60));
    // A timer that fires late (at 75) sends one probe, due again 30 s after it was sent.
    assert_eq!(r.tick(75), vec![probe(Caller, 1)]);
    assert_eq!(r.deadline(), Some(105));
}

#[test]
fn stop_and_short_intervals() {
    let mut r = Run::new(true, true, 30);
    r.ka.stop();
    assert_eq!(r.deadline(), None);
    assert_eq!(r.tick(30), vec![]);

    let config = KeepaliveConfig {
        caller: true,
        interval: Duration::from_millis(10),
        failed_limit: 0,
        ..KeepaliveConfig::default()
    };
    assert_eq!(
        config.validate(),
        Err(Error::KeepaliveInterval(Duration::from_millis(10)))
    );
    assert_eq!(KeepaliveConfig::default().validate(), Ok(()));
    let r = Run::with(config);
    assert_eq!(r.ka.config().interval, MIN_KEEPALIVE_INTERVAL);
    assert_eq!(r.ka.config().failed_limit, 1);
    assert_eq!(r.deadline(), Some(1));
    assert!(config.probes(Caller) && !config.probes(Callee));
}
