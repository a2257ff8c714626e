//! The limit watch: a thread that asks every serving member, about every 200 ms, for the
//! `caller` profile's counts — linearizable (`profile values caller`, every value at once) and
//! from the member's own copy (`profile size caller capped --stale-ok`, the value whose limit the
//! load presses) — and keeps the highest count seen per value and mode, and every count above its
//! limit.
//!
//! Must not ask a paused member (dialogctl would wait for its timeout): the run tells the watch
//! which members serve ([`Poller::set_serving`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use dialogd_test_support::Dialogctl;
use dialogd_test_support::serde_json::Value;
use serde::Serialize;

use crate::config::{CAPPED_USER, PROFILE};

/// Time between two rounds of reads.
const PERIOD: Duration = Duration::from_millis(200);
/// Violations kept in the report (the count is always exact).
const KEEP_VIOLATIONS: usize = 20;

/// A count above its limit.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// Seconds since the watch started.
    pub at_s: f64,
    /// Member (1-based).
    pub node: usize,
    pub value: String,
    pub size: u64,
    pub limit: u64,
    /// `linearizable` or `stale`.
    pub mode: &'static str,
}

/// What the watch saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LimitWatch {
    /// Rounds done.
    pub rounds: u64,
    /// Reads answered.
    pub reads: u64,
    /// Reads that failed (a member down or between leaders): not counts, not violations.
    pub read_errors: u64,
    /// Highest linearizable count per value.
    pub max_linearizable: BTreeMap<String, u64>,
    /// Highest own-copy count per value.
    pub max_stale: BTreeMap<String, u64>,
    pub violations: u64,
    pub first_violations: Vec<Violation>,
    /// Counts at or above 2^63: a counter that went below zero and wrapped.
    pub wrapped: u64,
}

#[derive(Debug)]
struct Shared {
    stop: AtomicBool,
    serving: Mutex<Vec<usize>>,
    watch: Mutex<LimitWatch>,
}

/// The running watch. Stops (and joins its thread) on [`Poller::finish`] or drop.
#[derive(Debug)]
pub struct Poller {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Poller {
    /// Starts watching `members` (one dialogctl per member), serving as given, against `limits`.
    pub fn start(
        members: Vec<Dialogctl>,
        serving: Vec<usize>,
        limits: Vec<(String, u64)>,
    ) -> Poller {
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            serving: Mutex::new(serving),
            watch: Mutex::new(LimitWatch::default()),
        });
        let inner = Arc::clone(&shared);
        let thread = thread::spawn(move || watch(&inner, &members, &limits));
        Poller {
            shared,
            thread: Some(thread),
        }
    }

    /// The members to ask from now on.
    pub fn set_serving(&self, serving: Vec<usize>) {
        *self
            .shared
            .serving
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = serving;
    }

    /// Stops the watch and returns what it saw.
    pub fn finish(&mut self) -> LimitWatch {
        self.stop_thread();
        self.shared
            .watch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn stop_thread(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            // A panic of the watch thread only loses its last round.
            let _ = t.join();
        }
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

fn watch(shared: &Shared, members: &[Dialogctl], limits: &[(String, u64)]) {
    let started = Instant::now();
    while !shared.stop.load(Ordering::SeqCst) {
        let round = Instant::now();
        let serving = shared
            .serving
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for i in serving {
            let Some(ctl) = members.get(i) else { continue };
            let linear = read_values(ctl);
            let stale = read_stale(ctl, CAPPED_USER);
            let mut w = shared.watch.lock().unwrap_or_else(PoisonError::into_inner);
            let at_s = started.elapsed().as_secs_f64();
            match linear {
                Ok(values) => {
                    w.reads += 1;
                    for (value, size) in values {
                        record(&mut w, limits, at_s, i, value, size, "linearizable");
                    }
                }
                Err(_) => w.read_errors += 1,
            }
            match stale {
                Ok(size) => {
                    w.reads += 1;
                    record(
                        &mut w,
                        limits,
                        at_s,
                        i,
                        CAPPED_USER.to_owned(),
                        size,
                        "stale",
                    );
                }
                Err(_) => w.read_errors += 1,
            }
        }
        shared
            .watch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .rounds += 1;
        if let Some(left) = PERIOD.checked_sub(round.elapsed()) {
            thread::sleep(left);
        }
    }
}

fn record(
    w: &mut LimitWatch,
    limits: &[(String, u64)],
    at_s: f64,
    node: usize,
    value: String,
    size: u64,
    mode: &'static str,
) {
    let max = if mode == "stale" {
        &mut w.max_stale
    } else {
        &mut w.max_linearizable
    };
    let m = max.entry(value.clone()).or_insert(0);
    *m = (*m).max(size);
    if size >= crate::invariants::WRAPPED {
        w.wrapped += 1;
    }
    let Some((_, limit)) = limits.iter().find(|(v, _)| *v == value) else {
        return;
    };
    if size > *limit {
        w.violations += 1;
        if w.first_violations.len() < KEEP_VIOLATIONS {
            w.first_violations.push(Violation {
                at_s,
                node: node + 1,
                value,
                size,
                limit: *limit,
                mode,
            });
        }
    }
}

/// `profile values caller`: every value with its count (linearizable).
fn read_values(ctl: &Dialogctl) -> Result<Vec<(String, u64)>> {
    let v = ctl.json(&["profile", "values", PROFILE])?;
    parse_values(&v)
}

/// `{"name":..,"values":[{"value":"x","count":3},..]}`.
pub(crate) fn parse_values(v: &Value) -> Result<Vec<(String, u64)>> {
    let list = v
        .get("values")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("profile values JSON has no \"values\" array: {v}"))?;
    list.iter()
        .map(|x| {
            let value = x
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let count = x
                .get("count")
                .and_then(Value::as_u64)
                .ok_or_else(|| anyhow!("profile value without an unsigned count: {x}"))?;
            Ok((value, count))
        })
        .collect()
}

/// `profile size caller VALUE --stale-ok`.
fn read_stale(ctl: &Dialogctl, value: &str) -> Result<u64> {
    let v = ctl.json(&["profile", "size", PROFILE, value, "--stale-ok"])?;
    v.get("size")
        .and_then(Value::as_u64)
        .ok_or_else(|| anyhow!("profile size JSON has no unsigned \"size\": {v}"))
}
