//! INVITE→200 response times of a SIPp uac, from its `-trace_rtt -rtt_freq 1` file
//! (`<scenario>_<pid>_rtt.csv` in the run's directory: `Date_ms;response_time_ms;rtd_no`, one
//! row per call, whole milliseconds) — `uac.xml` marks the 200 with `rtd="true"`.

use std::fs;
use std::path::Path;

/// The SIPp arguments that write the file.
pub const SIPP_ARGS: [&str; 3] = ["-trace_rtt", "-rtt_freq", "1"];

/// Response times (ms) of every `*_rtt.csv` in `dir`.
pub fn read_dir(dir: &Path) -> Vec<f64> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with("_rtt.csv"))
        .flat_map(|e| parse(&fs::read_to_string(e.path()).unwrap_or_default()))
        .collect()
}

/// The second column of every data row.
pub fn parse(text: &str) -> Vec<f64> {
    text.lines()
        .skip_while(|l| l.starts_with("Date"))
        .filter_map(|l| l.split(';').nth(1)?.trim().parse().ok())
        .collect()
}

/// The `p`-th percentile (0–100, nearest rank) of `values`, none if empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_and_percentiles_taken_by_nearest_rank() {
        let text = "Date_ms;response_time_ms;rtd_no\n108.001;0;1\n208.001;4;1\n304.001;2;1\nbad\n";
        let values = parse(text);
        assert_eq!(values, vec![0.0, 4.0, 2.0]);
        assert_eq!(percentile(&values, 50.0), Some(2.0));
        assert_eq!(percentile(&values, 99.0), Some(4.0));
        assert_eq!(percentile(&values, 0.0), Some(0.0));
        assert_eq!(percentile(&[], 50.0), None);
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&hundred, 99.0), Some(99.0));
    }
}
