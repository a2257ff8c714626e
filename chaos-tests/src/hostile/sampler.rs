//! What dialogd costs during a phase, read from /proc every [`INTERVAL`] on a thread of its own:
//! peak resident memory (`VmRSS` of `/proc/<pid>/status`), peak open file descriptors (entries
//! of `/proc/<pid>/fd`), and CPU time (`utime + stime` of `/proc/<pid>/stat`, proc(5)) over the
//! phase, with the CPU share of one core it amounts to.
//!
//! Must not outlive its handle: stopped and joined by [`Sampler::stop`] or on drop.

use std::fs;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// Time between two samples.
pub const INTERVAL: Duration = Duration::from_millis(500);
/// Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux ABI dialogd runs on).
pub const USER_HZ: f64 = 100.0;

/// Figures over a phase.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Samples {
    pub peak_rss_kb: u64,
    pub peak_fds: u64,
    pub cpu_seconds: f64,
    pub wall_seconds: f64,
}

impl Samples {
    /// CPU time over wall time, in % of one core.
    pub fn cpu_percent(&self) -> f64 {
        if self.wall_seconds > 0.0 {
            100.0 * self.cpu_seconds / self.wall_seconds
        } else {
            0.0
        }
    }
}

/// A running sampler of one process.
#[derive(Debug)]
pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Samples>>,
}

impl Sampler {
    /// Starts sampling process `pid`.
    pub fn start(pid: u32) -> Result<Sampler> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = thread::Builder::new()
            .name("hostile-sampler".into())
            .spawn(move || sample(pid, &flag))
            .context("cannot start the sampler thread")?;
        Ok(Sampler {
            stop,
            handle: Some(handle),
        })
    }

    /// Stops sampling; the figures.
    pub fn stop(mut self) -> Samples {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn sample(pid: u32, stop: &AtomicBool) -> Samples {
    let proc_dir = format!("/proc/{pid}");
    let ticks = || {
        fs::read_to_string(format!("{proc_dir}/stat"))
            .ok()
            .and_then(|s| cpu_ticks(&s))
    };
    let started = Instant::now();
    let first = ticks();
    let mut last = first;
    let mut out = Samples::default();
    loop {
        if let Some(kb) = fs::read_to_string(format!("{proc_dir}/status"))
            .ok()
            .and_then(|s| vm_rss_kb(&s))
        {
            out.peak_rss_kb = out.peak_rss_kb.max(kb);
        }
        if let Ok(entries) = fs::read_dir(format!("{proc_dir}/fd")) {
            out.peak_fds = out.peak_fds.max(entries.count() as u64);
        }
        last = ticks().or(last);
        out.wall_seconds = started.elapsed().as_secs_f64();
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let until = Instant::now() + INTERVAL;
        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
            thread::sleep(Duration::from_millis(20));
        }
    }
    if let (Some(a), Some(b)) = (first, last) {
        out.cpu_seconds = b.saturating_sub(a) as f64 / USER_HZ;
    }
    out
}

/// `VmRSS:   12345 kB` of /proc/<pid>/status.
pub fn vm_rss_kb(status: &str) -> Option<u64> {
    kb_field(status, "VmRSS")
}

/// The kB figure of line `key:` in /proc text of that shape (`status`, `smaps_rollup`).
pub fn kb_field(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The parent pid (field 4) of /proc/<pid>/stat.
pub fn parent_pid(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// `utime + stime` (fields 14 and 15) of /proc/<pid>/stat; read after the command name's `)`,
/// which may itself hold spaces.
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_and_cpu_ticks_are_read_from_proc_text() {
        let status = "Name:\tdialogd\nVmPeak:\t  999 kB\nVmRSS:\t   45678 kB\nThreads:\t9\n";
        assert_eq!(vm_rss_kb(status), Some(45_678));
        assert_eq!(vm_rss_kb("Name: x\n"), None);
        let rollup = "55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:  9000 kB\nPss:   3072 kB\nPss_Anon:  100 kB\n";
        assert_eq!(kb_field(rollup, "Pss"), Some(3072));
        assert_eq!(kb_field(rollup, "Swap"), None);
        let stat = "4242 (dial ogd) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 75 0 0 20 0 9 0";
        assert_eq!(cpu_ticks(stat), Some(325));
        assert_eq!(parent_pid(stat), Some(1));
        assert_eq!(parent_pid("4242 (x"), None);
        assert_eq!(cpu_ticks("4242 (x) S 1"), None);
    }

    #[test]
    fn the_sampler_sees_this_process() {
        let sampler = Sampler::start(std::process::id()).unwrap();
        let spin = Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < Duration::from_millis(300) {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        let samples = sampler.stop();
        assert!(x > 0);
        assert!(
            samples.peak_rss_kb > 0 && samples.peak_fds > 0,
            "{samples:?}"
        );
        assert!(samples.wall_seconds > 0.2, "{samples:?}");
    }
}
