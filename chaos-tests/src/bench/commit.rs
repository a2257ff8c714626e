//! Admission commit latency over one step, from `dialogd_admission_commit_seconds` on every
//! node's `/metrics` before and after it.
//!
//! dialogd renders the metric as a Prometheus histogram with fixed buckets (0.1 ms to 1 s,
//! crates/node/src/metrics.rs). The per-bucket delta over the step, summed over the nodes that
//! admitted calls during it, gives p50 and p99 the way Prometheus's `histogram_quantile` does
//! (linear interpolation inside the bucket holding the rank), so the figures cover exactly that
//! step's admissions. A binary rendering the metric as a summary (quantiles over a rolling
//! window) is still read: the highest quantile over the nodes that admitted, at the end of the
//! step, marked [`Source::Summary`] because those windows overlap earlier steps.

use serde::Serialize;

/// The metric's name.
pub const COMMIT_METRIC: &str = "dialogd_admission_commit_seconds";

/// The metric as one node's `/metrics` shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommitMetric {
    /// Cumulative `(le, count)` of a histogram, sorted by `le` (`+Inf` last); empty for a
    /// summary.
    pub buckets: Vec<(f64, f64)>,
    /// `(quantile, seconds)` of a summary; empty when there are buckets.
    pub quantiles: Vec<(f64, f64)>,
    pub sum: f64,
    pub count: u64,
}

/// Where the quantiles of a step come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Per-bucket deltas over the step.
    Buckets,
    /// A summary's rolling-window quantiles at the end of the step.
    Summary,
}

/// The step's figures; all `None` (and `admitted` 0) when no node admitted a call.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CommitLatency {
    pub admitted: u64,
    pub mean_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub source: Option<Source>,
}

/// The value of `name="..."` in a label set.
fn label<'a>(labels: &'a str, name: &str) -> Option<&'a str> {
    let start = labels.find(&format!("{name}=\""))? + name.len() + 2;
    let len = labels[start..].find('"')?;
    Some(&labels[start..start + len])
}

/// The metric's samples in a Prometheus text page.
pub fn parse(text: &str) -> CommitMetric {
    let mut out = CommitMetric::default();
    let mut quantiles = Vec::new();
    for line in text.lines().filter(|l| l.starts_with(COMMIT_METRIC)) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let rest = &series[COMMIT_METRIC.len()..];
        if let Some(labels) = rest.strip_prefix("_bucket{") {
            let le = match label(labels, "le") {
                Some("+Inf") => f64::INFINITY,
                Some(le) => match le.parse() {
                    Ok(le) => le,
                    Err(_) => continue,
                },
                None => continue,
            };
            out.buckets.push((le, value));
        } else if rest == "_sum" {
            out.sum = value;
        } else if rest == "_count" {
            out.count = value as u64;
        } else if let Some(labels) = rest.strip_prefix('{')
            && let Some(q) = label(labels, "quantile").and_then(|q| q.parse().ok())
        {
            quantiles.push((q, value));
        }
    }
    out.buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if out.buckets.is_empty() {
        out.quantiles = quantiles;
    }
    out
}

/// `histogram_quantile(q)` over cumulative `(le, count)` buckets sorted by `le`, in the unit of
/// `le`; `None` when they count nothing. A rank in the `+Inf` bucket gives the highest finite
/// bound.
pub fn bucket_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let (mut prev_le, mut prev_count) = (0.0, 0.0);
    for &(le, count) in buckets {
        if count >= rank {
            if le == f64::INFINITY {
                return Some(prev_le);
            }
            if count == prev_count {
                return Some(le);
            }
            return Some(prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count));
        }
        (prev_le, prev_count) = (le, count);
    }
    Some(prev_le)
}

/// The step's commit latency from per-node snapshots before and after it (`None`: the node's
/// page could not be read). Only the nodes whose count grew contribute.
pub fn commit_latency(
    before: &[Option<CommitMetric>],
    after: &[Option<CommitMetric>],
) -> CommitLatency {
    let empty = CommitMetric::default();
    let mut admitted = 0;
    let mut total = 0.0;
    let mut merged: Vec<(f64, f64)> = Vec::new();
    let mut quantile_nodes: Vec<&[(f64, f64)]> = Vec::new();
    for (b, a) in before.iter().zip(after) {
        let Some(a) = a else { continue };
        let b = b.as_ref().unwrap_or(&empty);
        if a.count <= b.count {
            continue;
        }
        admitted += a.count - b.count;
        total += a.sum - b.sum;
        if !a.buckets.is_empty() {
            for &(le, count) in &a.buckets {
                let prev = b
                    .buckets
                    .iter()
                    .find(|(l, _)| *l == le)
                    .map_or(0.0, |x| x.1);
                match merged.iter_mut().find(|(l, _)| *l == le) {
                    Some(slot) => slot.1 += count - prev,
                    None => merged.push((le, count - prev)),
                }
            }
        } else if !a.quantiles.is_empty() {
            quantile_nodes.push(&a.quantiles);
        }
    }
    let mut out = CommitLatency {
        admitted,
        ..CommitLatency::default()
    };
    if admitted == 0 {
        return out;
    }
    out.mean_ms = Some(total * 1000.0 / admitted as f64);
    if !merged.is_empty() {
        merged.sort_by(|a, b| a.0.total_cmp(&b.0));
        out.p50_ms = bucket_quantile(0.5, &merged).map(|s| s * 1000.0);
        out.p99_ms = bucket_quantile(0.99, &merged).map(|s| s * 1000.0);
        out.source = Some(Source::Buckets);
    } else if !quantile_nodes.is_empty() {
        let highest = |q: f64| {
            quantile_nodes
                .iter()
                .filter_map(|qs| qs.iter().find(|(x, _)| *x == q).map(|x| x.1))
                .reduce(f64::max)
                .map(|s| s * 1000.0)
        };
        out.p50_ms = highest(0.5);
        out.p99_ms = highest(0.99);
        out.source = Some(Source::Summary);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(buckets: &[(&str, u64)], sum: f64, count: u64) -> String {
        let mut text = format!("# TYPE {COMMIT_METRIC} histogram\n");
        for (le, n) in buckets {
            text.push_str(&format!("{COMMIT_METRIC}_bucket{{le=\"{le}\"}} {n}\n"));
        }
        text.push_str(&format!(
            "{COMMIT_METRIC}_sum {sum}\n{COMMIT_METRIC}_count {count}\ndialogd_calls_total 9\n"
        ));
        text
    }

    #[test]
    fn a_histogram_page_gives_sorted_buckets_sum_and_count() {
        let m = parse(&page(&[("0.001", 2), ("+Inf", 5), ("0.0001", 1)], 0.5, 5));
        assert_eq!(
            m.buckets,
            [(0.0001, 1.0), (0.001, 2.0), (f64::INFINITY, 5.0)]
        );
        assert_eq!((m.sum, m.count), (0.5, 5));
        assert!(m.quantiles.is_empty());
    }

    #[test]
    fn a_summary_page_gives_quantiles() {
        let text = format!(
            "{COMMIT_METRIC}{{quantile=\"0.5\"}} 0.002\n{COMMIT_METRIC}{{quantile=\"0.99\"}} 0.01\n{COMMIT_METRIC}_sum 1\n{COMMIT_METRIC}_count 300\n"
        );
        let m = parse(&text);
        assert!(m.buckets.is_empty());
        assert_eq!(m.quantiles, [(0.5, 0.002), (0.99, 0.01)]);
        assert_eq!(m.count, 300);
    }

    #[test]
    fn bucket_quantile_interpolates_like_prometheus() {
        let b = [
            (0.001, 0.0),
            (0.002, 50.0),
            (0.004, 100.0),
            (f64::INFINITY, 100.0),
        ];
        // rank 50 is the top of the (0.001, 0.002] bucket.
        assert_eq!(bucket_quantile(0.5, &b), Some(0.002));
        // rank 75: halfway through (0.002, 0.004].
        assert!((bucket_quantile(0.75, &b).unwrap_or(0.0) - 0.003).abs() < 1e-12);
        // the lowest bucket interpolates from 0.
        let low = [(0.001, 10.0), (f64::INFINITY, 10.0)];
        assert!((bucket_quantile(0.5, &low).unwrap_or(0.0) - 0.0005).abs() < 1e-12);
        // a rank in +Inf reports the highest finite bound.
        let high = [(0.001, 1.0), (f64::INFINITY, 10.0)];
        assert_eq!(bucket_quantile(0.99, &high), Some(0.001));
        assert_eq!(
            bucket_quantile(0.5, &[(0.001, 0.0), (f64::INFINITY, 0.0)]),
            None
        );
        assert_eq!(bucket_quantile(0.5, &[]), None);
    }

    #[test]
    fn latency_comes_from_bucket_deltas_summed_over_the_nodes_that_admitted() {
        let before = [
            Some(parse(&page(
                &[("0.001", 100), ("0.01", 100), ("+Inf", 100)],
                0.05,
                100,
            ))),
            Some(parse(&page(
                &[("0.001", 0), ("0.01", 0), ("+Inf", 0)],
                0.0,
                0,
            ))),
            Some(parse(&page(
                &[("0.001", 7), ("0.01", 7), ("+Inf", 7)],
                0.0,
                7,
            ))),
        ];
        // node 1: 100 new admissions, all in (0.001, 0.01]; node 2: 100 in (0, 0.001];
        // node 3: nothing new (it would not contribute even with other buckets); node 4 unread.
        let after = [
            Some(parse(&page(
                &[("0.001", 100), ("0.01", 200), ("+Inf", 200)],
                0.55,
                200,
            ))),
            Some(parse(&page(
                &[("0.001", 100), ("0.01", 100), ("+Inf", 100)],
                0.05,
                100,
            ))),
            Some(parse(&page(
                &[("0.001", 0), ("0.01", 900), ("+Inf", 900)],
                0.0,
                7,
            ))),
        ];
        let l = commit_latency(&before, &after);
        assert_eq!(l.admitted, 200);
        assert_eq!(l.source, Some(Source::Buckets));
        assert!((l.mean_ms.unwrap_or(0.0) - 2.75).abs() < 1e-9);
        // merged deltas: 100 ≤ 1 ms, 200 ≤ 10 ms. p50 = rank 100 → 1 ms; p99 = rank 198 →
        // 1 + 9 × 98/100 ms.
        assert!((l.p50_ms.unwrap_or(0.0) - 1.0).abs() < 1e-9);
        assert!((l.p99_ms.unwrap_or(0.0) - 9.82).abs() < 1e-9);
    }

    #[test]
    fn summaries_give_the_highest_quantile_and_no_admission_gives_nothing() {
        let summary = |p50: f64, p99: f64, count: u64| CommitMetric {
            quantiles: vec![(0.5, p50), (0.99, p99)],
            count,
            sum: count as f64 * 0.001,
            ..CommitMetric::default()
        };
        let l = commit_latency(
            &[None, Some(summary(0.0, 0.0, 10))],
            &[
                Some(summary(0.002, 0.004, 5)),
                Some(summary(0.003, 0.009, 20)),
            ],
        );
        assert_eq!(l.source, Some(Source::Summary));
        assert_eq!(l.admitted, 15);
        assert!((l.p50_ms.unwrap_or(0.0) - 3.0).abs() < 1e-9);
        assert!((l.p99_ms.unwrap_or(0.0) - 9.0).abs() < 1e-9);
        let none = commit_latency(&[Some(summary(0.0, 0.0, 5))], &[Some(summary(1.0, 1.0, 5))]);
        assert_eq!(none, CommitLatency::default());
    }
}
