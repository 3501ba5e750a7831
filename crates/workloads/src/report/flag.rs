//! The one rule of the ⚠ flag, shared by every table that shows a speedup: the
//! chapter demos' tables ([`super::Report`]) and every table of
//! `cargo xtask bench` (per workload, paired, per kernel; Rust and Python).
//!
//! A row is flagged only when all of these hold:
//! - it is a **parallel** speedup of **CPU work**: the same strategy on J > 1
//!   workers against itself on one worker (or, when the table has no
//!   one-worker row of that strategy, against the table's one-worker
//!   baseline), both rows shown in the table;
//! - it is not a slowdown against the baseline (a row below 1× spends its
//!   time handing tasks out, not computing them: how it scales is waiting
//!   overlapped, not the CPUs' work);
//! - it is above the ceiling × (1 + [`TOLERANCE`]): for CPU work the measured
//!   parallel capacity, for waiting (sleeps) the ideal speedup of those sleeps
//!   on J workers ([`sleeps_ceiling`]).
//!
//! A cached rerun is never flagged: it is faster because it skips the work,
//! not because it shares it, so no ceiling applies to it.

/// The noise allowed above a ceiling before a speedup is flagged: 10 %.
pub const TOLERANCE: f64 = 0.10;

/// What the tasks of a table spend their time on, which decides the ceiling
/// a parallel speedup is held against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Work<'a> {
    /// Computing: no parallel speedup can exceed the measured capacity.
    Cpu,
    /// Waiting (sleeps of these relative lengths, run one after another by
    /// the baseline): the ceiling is the ideal for those sleeps on J workers.
    /// An empty list means the baseline already overlaps every wait (an
    /// async gather on one thread): the ideal of more workers is 1×.
    Sleeps(&'a [f64]),
    /// Cached reruns against a computing baseline: never flagged.
    Cache,
}

/// The rule in one sentence, for a footnote under a flagged table.
pub const RULE: &str = "⚠ marks a parallel speedup (the same strategy on J \
    workers against itself on one, or against the one-worker baseline when \
    the table has no such row) of work that computes, above the machine's \
    measured parallel capacity plus 10 % — more than the CPUs can give, so an \
    artefact of the measurement (load that changed between the two medians), \
    not a result; for waiting tasks the ceiling is the ideal for those sleeps \
    instead. A slowdown and a cached rerun are never flagged. The paired \
    speedups are the ones to read.";

/// The ceiling of a parallel speedup of `work` on `jobs` workers: `None`
/// when none applies (a cache, or CPU work with no measured capacity).
pub fn ceiling(work: Work<'_>, jobs: usize, capacity: Option<f64>) -> Option<f64> {
    match work {
        Work::Cpu => capacity,
        Work::Sleeps([]) => Some(1.0),
        Work::Sleeps(sleeps) => Some(sleeps_ceiling(sleeps, jobs)),
        Work::Cache => None,
    }
}

/// Whether a row is flagged: `jobs` workers, `vs_baseline` its speedup as
/// shown, `parallel` its speedup over one worker (see the module doc).
/// Returns the ceiling it exceeds.
pub fn flagged(
    work: Work<'_>,
    jobs: usize,
    vs_baseline: f64,
    parallel: f64,
    capacity: Option<f64>,
) -> Option<f64> {
    if jobs <= 1 || vs_baseline < 1.0 {
        return None;
    }
    ceiling(work, jobs, capacity).filter(|c| parallel > c * (1.0 + TOLERANCE))
}

/// The ideal speedup of sleeps of these lengths on `jobs` workers over one
/// worker sleeping them one after another: their sum over the shortest
/// possible makespan (found exactly for up to 12 sleeps; beyond, the bound
/// `min(jobs, sum / longest)`, which no schedule can beat either).
pub fn sleeps_ceiling(sleeps: &[f64], jobs: usize) -> f64 {
    let total: f64 = sleeps.iter().sum();
    let longest = sleeps.iter().copied().fold(0.0, f64::max);
    if jobs == 0 || total <= 0.0 {
        return 1.0;
    }
    if sleeps.len() > 12 {
        return (jobs as f64).min(total / longest);
    }
    let mut sorted = sleeps.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let mut loads = vec![0.0; jobs.min(sorted.len())];
    let mut best = total;
    shortest_makespan(&sorted, &mut loads, &mut best);
    total / best
}

/// Branch and bound over the assignments of `sleeps` (longest first) to
/// workers with `loads`, keeping the shortest makespan in `best`.
fn shortest_makespan(sleeps: &[f64], loads: &mut [f64], best: &mut f64) {
    let Some((&next, rest)) = sleeps.split_first() else {
        let makespan = loads.iter().copied().fold(0.0, f64::max);
        *best = best.min(makespan);
        return;
    };
    for w in 0..loads.len() {
        // Two idle workers are the same choice: try only the first.
        if loads[w] == 0.0 && loads[..w].contains(&0.0) {
            continue;
        }
        if loads[w] + next >= *best {
            continue;
        }
        loads[w] += next;
        shortest_makespan(rest, loads, best);
        loads[w] -= next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNEVEN: &[f64] = &[1.0, 2.0, 3.0, 4.0, 5.0];

    #[test]
    fn the_ideal_of_uneven_sleeps_is_bounded_by_the_longest() {
        // 15 s of sleeps: on 5 workers the 5 s one bounds the run (3×); on 2
        // the best split is 8 + 7 (15 / 8).
        assert_eq!(sleeps_ceiling(UNEVEN, 5), 3.0);
        assert_eq!(sleeps_ceiling(UNEVEN, 2), 15.0 / 8.0);
        assert_eq!(sleeps_ceiling(UNEVEN, 1), 1.0);
        assert_eq!(sleeps_ceiling(&[1.0; 4], 2), 2.0);
        assert_eq!(sleeps_ceiling(&[1.0; 20], 4), 4.0, "the bound, beyond 12");
    }

    #[test]
    fn only_a_parallel_cpu_speedup_above_the_capacity_is_flagged() {
        let c = Some(1.95);
        assert_eq!(flagged(Work::Cpu, 2, 2.4, 2.4, c), Some(1.95));
        assert_eq!(flagged(Work::Cpu, 2, 2.1, 2.1, c), None, "within 10 %");
        assert_eq!(flagged(Work::Cpu, 1, 4.0, 4.0, c), None, "one worker");
        assert_eq!(flagged(Work::Cpu, 2, 2.4, 2.4, None), None, "no capacity");
        // Slower than the baseline, however it scales over its own one-worker
        // row: never flagged.
        assert_eq!(flagged(Work::Cpu, 2, 0.00034, 2.88, c), None);
        // Faster than serial for another reason (a better one-thread code),
        // but a parallel speedup within the capacity: not flagged.
        assert_eq!(flagged(Work::Cpu, 4, 2.24, 1.9, c), None);
        assert_eq!(flagged(Work::Cache, 2, 7.35, 7.35, c), None, "cache");
    }

    #[test]
    fn waiting_is_held_against_the_ideal_for_its_sleeps() {
        let c = Some(1.95);
        let sleeps = Work::Sleeps(UNEVEN);
        assert_eq!(flagged(sleeps, 5, 2.98, 2.98, c), None, "3× is the ideal");
        assert_eq!(flagged(sleeps, 5, 3.6, 3.6, c), Some(3.0));
        assert_eq!(flagged(sleeps, 2, 1.66, 1.66, c), None);
        let overlapped = Work::Sleeps(&[]);
        assert_eq!(flagged(overlapped, 4, 0.98, 0.98, c), None);
        assert_eq!(flagged(overlapped, 4, 1.5, 1.5, c), Some(1.0));
    }
}
