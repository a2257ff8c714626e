//! What a proxy costs, from /proc: CPU time (`utime + stime`) of a process and all its
//! descendants, resident memory (`VmRSS`) and proportional memory (`Pss` of `smaps_rollup`, for
//! processes that share memory, as Kamailio's do). The parsers are the hostile benchmark's
//! ([`crate::hostile::sampler`]); this adds the walk over the process tree.

use std::collections::HashMap;
use std::fs;

use crate::hostile::sampler::{USER_HZ, cpu_ticks, kb_field, parent_pid};

/// `root` and its descendants, from `(pid, parent pid)` pairs; `root` first.
pub fn tree_from(root: u32, parents: &[(u32, u32)]) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for &(pid, ppid) in parents {
        children.entry(ppid).or_default().push(pid);
    }
    let mut tree = Vec::new();
    let mut todo = vec![root];
    while let Some(pid) = todo.pop() {
        tree.push(pid);
        if let Some(kids) = children.get(&pid) {
            todo.extend(kids);
        }
    }
    tree
}

/// `root` and every process below it now.
pub fn process_tree(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            if let Some(ppid) = fs::read_to_string(entry.path().join("stat"))
                .ok()
                .and_then(|s| parent_pid(&s))
            {
                parents.push((pid, ppid));
            }
        }
    }
    tree_from(root, &parents)
}

/// CPU seconds (`utime + stime`) used so far by `root` and its descendants; a process gone
/// meanwhile counts 0.
pub fn tree_cpu_seconds(root: u32) -> f64 {
    let ticks: u64 = process_tree(root)
        .into_iter()
        .filter_map(|pid| {
            fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| cpu_ticks(&s))
        })
        .sum();
    ticks as f64 / USER_HZ
}

/// `VmRSS` of `pid` in KiB (0 when gone).
pub fn rss_kib(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| kb_field(&s, "VmRSS"))
        .unwrap_or(0)
}

/// `Pss` of `pid` in KiB, from `smaps_rollup`; its `VmRSS` where that cannot be read.
pub fn pss_kib(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|s| kb_field(&s, "Pss"))
        .unwrap_or_else(|| rss_kib(pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_holds_the_root_and_every_descendant_only() {
        let parents = [(10, 1), (11, 10), (12, 10), (13, 12), (20, 1), (21, 20)];
        let mut tree = tree_from(10, &parents);
        assert_eq!(tree[0], 10);
        tree.sort_unstable();
        assert_eq!(tree, [10, 11, 12, 13]);
        assert_eq!(tree_from(99, &parents), [99]);
    }

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let me = std::process::id();
        assert!(process_tree(me).contains(&me));
        assert!(rss_kib(me) > 0);
        assert!(pss_kib(me) > 0);
        assert!(tree_cpu_seconds(me) >= 0.0);
    }
}
