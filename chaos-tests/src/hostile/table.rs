//! The benchmark's tables: one block per phase as it ends (the row, the attacks' counts, the
//! interesting metrics) and a summary of every phase at the end.

use std::fmt::Write as _;

use super::phase::PhaseReport;

const HEADER: &str = "phase              placed  success  failed  success%  p50 ms  p99 ms  peak RSS MB  peak fds  CPU s  CPU %";

fn optional(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.decimals$}"))
}

/// One row of [`HEADER`].
pub fn row(r: &PhaseReport) -> String {
    let mut name = r.name.clone();
    if !r.node_alive {
        name.push_str(" (died)");
    }
    format!(
        "{name:<18} {:>6}  {:>7}  {:>6}  {:>8}  {:>6}  {:>6}  {:>11.1}  {:>8}  {:>5.1}  {:>5.0}",
        r.placed,
        r.successful,
        r.failed,
        optional(r.success_percent(), 1),
        optional(r.p50_ms, 0),
        optional(r.p99_ms, 0),
        r.samples.peak_rss_kb as f64 / 1024.0,
        r.samples.peak_fds,
        r.samples.cpu_seconds,
        r.samples.cpu_percent(),
    )
}

/// The block printed when a phase ends.
pub fn phase_block(r: &PhaseReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{HEADER}\n{}", row(r));
    if r.caller_killed {
        let _ = writeln!(
            out,
            "  (the SIPp uac was still running at its bound and was killed)"
        );
    }
    for line in &r.attacks {
        let _ = writeln!(out, "  attack  {line}");
    }
    match &r.metrics {
        Ok(lines) if lines.is_empty() => {
            let _ = writeln!(
                out,
                "  metrics (none of shed/flood/refused/dropped/closed/bad)"
            );
        }
        Ok(lines) => {
            for line in lines {
                let _ = writeln!(out, "  metric  {line}");
            }
        }
        Err(e) => {
            let _ = writeln!(out, "  metrics unavailable: {e}");
        }
    }
    out
}

/// Every phase's row under one header.
pub fn summary(reports: &[PhaseReport]) -> String {
    let mut out = format!("{HEADER}\n");
    for r in reports {
        out.push_str(&row(r));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostile::sampler::Samples;

    fn report(name: &str, placed: u64, successful: u64) -> PhaseReport {
        PhaseReport {
            name: name.into(),
            placed,
            successful,
            failed: placed - successful,
            caller_killed: false,
            p50_ms: Some(2.0),
            p99_ms: None,
            samples: Samples {
                peak_rss_kb: 51_200,
                peak_fds: 40,
                cpu_seconds: 3.0,
                wall_seconds: 10.0,
            },
            metrics: Ok(vec!["dialogd_overload_shed_total 4".into()]),
            attacks: vec!["forged: 15 responses, 0 send errors".into()],
            node_alive: true,
        }
    }

    #[test]
    fn a_phase_block_shows_the_row_the_attacks_and_the_metrics() {
        let block = phase_block(&report("forged", 300, 150));
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines[0], HEADER);
        let cells: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "forged", "300", "150", "150", "50.0", "2", "-", "50.0", "40", "3.0", "30"
            ]
        );
        assert_eq!(lines[2], "  attack  forged: 15 responses, 0 send errors");
        assert_eq!(lines[3], "  metric  dialogd_overload_shed_total 4");
    }

    #[test]
    fn the_summary_has_a_row_per_phase_and_marks_a_dead_node() {
        let mut dead = report("all", 10, 0);
        dead.node_alive = false;
        let text = summary(&[report("clean", 300, 300), dead]);
        assert_eq!(text.lines().count(), 3);
        assert!(text.lines().nth(2).unwrap().starts_with("all (died)"));
        assert!(text.lines().nth(1).unwrap().contains("100.0"));
    }
}
