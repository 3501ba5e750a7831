//! Shared conventions of the criterion benches, so `cargo xtask bench` can read
//! every result the same way.
//!
//! Every measurement is named `<bench>/<workload>` (criterion's group), the
//! strategy (criterion's function) and `jobs=J,n=N` (criterion's parameter), and
//! its group's throughput is the number of tasks, so time per task is derivable.
//! Use [`group`] and [`id`] rather than naming benchmarks by hand.
#![warn(missing_docs)]

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};

/// A benchmark group named `<bench>/<workload>`.
pub fn group<'a>(
    c: &'a mut Criterion,
    bench: &str,
    workload: &str,
) -> BenchmarkGroup<'a, WallTime> {
    c.benchmark_group(format!("{bench}/{workload}"))
}

/// The id of `strategy` run on `jobs` workers over `n` tasks.
pub fn id(strategy: &str, jobs: usize, n: u64) -> BenchmarkId {
    BenchmarkId::new(strategy, format!("jobs={jobs},n={n}"))
}

/// Environment variable set by `cargo xtask bench --smoke`: every bench runs
/// with tiny sizes, so the whole pipeline is exercised in seconds.
pub const SMOKE_ENV: &str = "PPR_BENCH_SMOKE";

/// Whether this is a smoke run (see [`SMOKE_ENV`]).
pub fn smoke() -> bool {
    std::env::var_os(SMOKE_ENV).is_some()
}

/// `full` normally, `tiny` in a smoke run. Use it for every size a bench sweeps.
pub fn sized(full: u64, tiny: u64) -> u64 {
    if smoke() { tiny } else { full }
}

/// Jobs to sweep: 1 to twice the cores (showing oversubscription).
pub fn jobs_sweep() -> Vec<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (1..=2 * cores).collect()
}

/// Parses the parameter written by [`id`] back into `(jobs, n)`.
pub fn parse_parameter(parameter: &str) -> Option<(usize, u64)> {
    let (jobs, n) = parameter.split_once(",n=")?;
    Some((jobs.strip_prefix("jobs=")?.parse().ok()?, n.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_round_trips() {
        assert_eq!(parse_parameter("jobs=2,n=16"), Some((2, 16)));
        assert_eq!(parse_parameter("n=16"), None);
    }
}
