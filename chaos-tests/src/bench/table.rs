//! The benchmark's rows and their Markdown tables (docs/benchmarks.md quotes them): one row
//! per proxy and rate, the cluster-size comparison, the CPU ratio to Kamailio, and the held-calls
//! table.

use std::fmt::Write as _;

use serde::Serialize;

use super::commit::Source;

/// One proxy at one rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateRow {
    /// `dialogd`, `dialogd ×3`, `kamailio`.
    pub proxy: String,
    pub nodes: usize,
    /// SIPp uacs that placed the calls.
    pub uacs: usize,
    /// Target calls per second.
    pub rate: u64,
    /// Calls the uacs created.
    pub calls: u64,
    /// Successful calls per second of the uacs' run.
    pub achieved: f64,
    /// Failed calls, plus the calls the uacs never created.
    pub failed: u64,
    /// Proxy CPU time over the step ÷ calls created (NaN when none).
    pub cpu_ms_per_call: f64,
    /// Proxy CPU time over the step's wall time, in % of one core.
    pub cpu_pct: f64,
    /// dialogd: RSS summed over the nodes; Kamailio: PSS summed over its processes.
    pub mem_mib: f64,
    /// The highest exit code of the uacs (None: killed).
    pub sipp_exit: Option<i32>,
    /// Admissions during the step (None for a proxy without the metric).
    pub admitted: Option<u64>,
    pub commit_mean_ms: Option<f64>,
    pub commit_p50_ms: Option<f64>,
    pub commit_p99_ms: Option<f64>,
    pub commit_source: Option<Source>,
}

/// One proxy holding a number of calls.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldRow {
    pub proxy: String,
    /// Calls answered and held.
    pub held: u64,
    /// Seconds from the first call to the last answer.
    pub setup_s: f64,
    pub idle_mib: f64,
    pub held_mib: f64,
    /// (held − idle) / held calls, in KB.
    pub kb_per_dialog: f64,
}

/// `value` with `decimals` decimals; `nan` and `inf` spelled as Python prints them.
pub fn fixed(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        "nan".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else {
        format!("{value:.decimals$}")
    }
}

/// A number as `%g` prints it for the values the options take (`1000`, `12.5`).
pub fn general(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

/// A latency cell: `—` when unknown, marked when it comes from a summary.
fn ms(value: Option<f64>, source: Option<Source>) -> String {
    match value {
        None => "—".to_owned(),
        Some(v) if source == Some(Source::Summary) => format!("{} (summary)", fixed(v, 2)),
        Some(v) => fixed(v, 2),
    }
}

/// Every row, one per proxy and rate.
pub fn rates(rows: &[RateRow]) -> String {
    let mut out = String::from(
        "| proxy | target calls/s | calls | achieved calls/s | failed | CPU ms/call | proxy CPU % \
         | memory MiB | commit p50 ms | commit p99 ms |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for r in rows {
        let _ = write!(
            out,
            "\n| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.proxy,
            r.rate,
            r.calls,
            fixed(r.achieved, 1),
            r.failed,
            fixed(r.cpu_ms_per_call, 3),
            fixed(r.cpu_pct, 1),
            fixed(r.mem_mib, 1),
            ms(r.commit_p50_ms, r.commit_source),
            ms(r.commit_p99_ms, r.commit_source),
        );
    }
    out
}

/// Each rate on each cluster size (`sizes`, the first being the reference), dialogd rows only.
pub fn comparison(rows: &[RateRow], sizes: &[usize]) -> String {
    let dialogd: Vec<&RateRow> = rows
        .iter()
        .filter(|r| r.proxy.starts_with("dialogd"))
        .collect();
    let find = |rate: u64, nodes: usize| {
        dialogd
            .iter()
            .rev()
            .find(|r| r.rate == rate && r.nodes == nodes)
    };
    let base = sizes.first().copied().unwrap_or(1);
    let mut out = format!(
        "| target calls/s | nodes | achieved calls/s | failed | CPU ms/call (all nodes) \
         | CPU/call vs {base} node{} | commit p50 ms | commit p99 ms | commit mean ms |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        if base > 1 { "s" } else { "" }
    );
    let mut rates: Vec<u64> = dialogd.iter().map(|r| r.rate).collect();
    rates.sort_unstable();
    rates.dedup();
    for rate in rates {
        for &n in sizes {
            let Some(r) = find(rate, n) else { continue };
            let ratio = match find(rate, base) {
                Some(b) if b.cpu_ms_per_call > 0.0 => r.cpu_ms_per_call / b.cpu_ms_per_call,
                _ => f64::NAN,
            };
            let _ = write!(
                out,
                "\n| {rate} | {n} | {} | {} | {} | {}× | {} | {} | {} |",
                fixed(r.achieved, 1),
                r.failed,
                fixed(r.cpu_ms_per_call, 3),
                fixed(ratio, 2),
                ms(r.commit_p50_ms, r.commit_source),
                ms(r.commit_p99_ms, r.commit_source),
                ms(r.commit_mean_ms, None),
            );
        }
    }
    out
}

/// dialogd's CPU per call over Kamailio's at each rate both ran; `None` when there is none.
pub fn kamailio_ratios(rows: &[RateRow]) -> Option<String> {
    let mut rates: Vec<u64> = rows.iter().map(|r| r.rate).collect();
    rates.sort_unstable();
    rates.dedup();
    let mut lines = Vec::new();
    for rate in rates {
        let at_rate: Vec<&RateRow> = rows.iter().filter(|r| r.rate == rate).collect();
        let Some(k) = at_rate.iter().rev().find(|r| r.proxy == "kamailio") else {
            continue;
        };
        // NaN (no call placed) is not above 0 either.
        if k.cpu_ms_per_call.is_nan() || k.cpu_ms_per_call <= 0.0 {
            continue;
        }
        // One line per proxy name, in the order the proxies first ran, with its last row.
        let mut names: Vec<&str> = Vec::new();
        for r in &at_rate {
            if r.proxy.starts_with("dialogd") && !names.contains(&r.proxy.as_str()) {
                names.push(&r.proxy);
            }
        }
        for name in names {
            if let Some(r) = at_rate.iter().rev().find(|r| r.proxy == name) {
                lines.push(format!(
                    "| {rate} | {name} | {} |",
                    fixed(r.cpu_ms_per_call / k.cpu_ms_per_call, 2)
                ));
            }
        }
    }
    if lines.is_empty() {
        return None;
    }
    Some(format!(
        "| target calls/s | proxy | CPU per call / Kamailio's |\n|---:|---|---:|\n{}",
        lines.join("\n")
    ))
}

/// The held-calls rows.
pub fn held(rows: &[HeldRow]) -> String {
    let mut out = String::from(
        "| proxy | held calls | memory idle MiB | memory held MiB | KB per held dialog |\n\
         |---|---:|---:|---:|---:|",
    );
    for r in rows {
        let _ = write!(
            out,
            "\n| {} | {} | {} | {} | {} |",
            r.proxy,
            r.held,
            fixed(r.idle_mib, 1),
            fixed(r.held_mib, 1),
            fixed(r.kb_per_dialog, 2)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(proxy: &str, nodes: usize, rate: u64, cpu: f64) -> RateRow {
        RateRow {
            proxy: proxy.into(),
            nodes,
            uacs: 1,
            rate,
            calls: rate * 10,
            achieved: rate as f64 - 0.26,
            failed: 0,
            cpu_ms_per_call: cpu,
            cpu_pct: 12.345,
            mem_mib: 20.04,
            sipp_exit: Some(0),
            admitted: Some(rate * 10),
            commit_mean_ms: Some(1.5),
            commit_p50_ms: Some(1.234),
            commit_p99_ms: Some(4.5678),
            commit_source: Some(Source::Buckets),
        }
    }

    #[test]
    fn the_rate_table_has_its_header_and_one_line_per_row() {
        let mut k = row("kamailio", 1, 100, 0.1);
        (
            k.admitted,
            k.commit_p50_ms,
            k.commit_p99_ms,
            k.commit_source,
        ) = (None, None, None, None);
        let mut summary = row("dialogd", 1, 200, f64::NAN);
        summary.commit_source = Some(Source::Summary);
        let text = rates(&[row("dialogd", 1, 100, 0.4567), k, summary]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "| proxy | target calls/s | calls | achieved calls/s | failed | CPU ms/call | proxy CPU % | memory MiB | commit p50 ms | commit p99 ms |"
        );
        assert_eq!(
            lines[1],
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        assert_eq!(
            lines[2],
            "| dialogd | 100 | 1000 | 99.7 | 0 | 0.457 | 12.3 | 20.0 | 1.23 | 4.57 |"
        );
        assert_eq!(
            lines[3],
            "| kamailio | 100 | 1000 | 99.7 | 0 | 0.100 | 12.3 | 20.0 | — | — |"
        );
        assert_eq!(
            lines[4],
            "| dialogd | 200 | 2000 | 199.7 | 0 | nan | 12.3 | 20.0 | 1.23 (summary) | 4.57 (summary) |"
        );
        assert_eq!(lines.len(), 5);
    }

    #[test]
    fn the_comparison_puts_each_size_under_each_rate_with_the_ratio_to_the_first() {
        let rows = [
            row("dialogd", 1, 100, 0.5),
            row("dialogd", 1, 200, 0.4),
            row("dialogd ×3", 3, 100, 1.5),
            row("kamailio", 1, 100, 0.1),
            row("dialogd ×3", 3, 200, 1.0),
        ];
        let text = comparison(&rows, &[1, 3]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("| CPU/call vs 1 node |"), "{}", lines[0]);
        assert_eq!(lines.len(), 6);
        assert_eq!(
            lines[2],
            "| 100 | 1 | 99.7 | 0 | 0.500 | 1.00× | 1.23 | 4.57 | 1.50 |"
        );
        assert_eq!(
            lines[3],
            "| 100 | 3 | 99.7 | 0 | 1.500 | 3.00× | 1.23 | 4.57 | 1.50 |"
        );
        assert_eq!(
            lines[5],
            "| 200 | 3 | 199.7 | 0 | 1.000 | 2.50× | 1.23 | 4.57 | 1.50 |"
        );
        let three_first = comparison(&rows, &[3, 1]);
        assert!(three_first.contains("| CPU/call vs 3 nodes |"));
    }

    #[test]
    fn ratios_to_kamailio_only_where_kamailio_ran() {
        let rows = [
            row("dialogd", 1, 100, 0.4),
            row("dialogd", 1, 200, 0.4),
            row("kamailio", 1, 100, 0.1),
        ];
        assert_eq!(
            kamailio_ratios(&rows).as_deref(),
            Some(
                "| target calls/s | proxy | CPU per call / Kamailio's |\n|---:|---|---:|\n| 100 | dialogd | 4.00 |"
            )
        );
        assert_eq!(kamailio_ratios(&rows[..2]), None);
    }

    #[test]
    fn the_held_table_gives_memory_and_kb_per_dialog() {
        let text = held(&[HeldRow {
            proxy: "dialogd".into(),
            held: 200,
            setup_s: 1.0,
            idle_mib: 10.04,
            held_mib: 11.0,
            kb_per_dialog: 4.916,
        }]);
        assert_eq!(
            text,
            "| proxy | held calls | memory idle MiB | memory held MiB | KB per held dialog |\n\
             |---|---:|---:|---:|---:|\n| dialogd | 200 | 10.0 | 11.0 | 4.92 |"
        );
    }

    #[test]
    fn numbers_print_as_python_formats_them() {
        assert_eq!(fixed(f64::NAN, 3), "nan");
        assert_eq!(fixed(1.23456, 2), "1.23");
        assert_eq!(general(1000.0), "1000");
        assert_eq!(general(12.5), "12.5");
    }
}
