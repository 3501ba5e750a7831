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

/// Settings for a group whose iterations take tens of milliseconds or more:
/// 10 samples, with a longer warm-up and measurement time, except in a smoke
/// run, where the command line's short times must win.
pub fn slow_group(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.sample_size(10);
    if !smoke() {
        g.warm_up_time(std::time::Duration::from_millis(500));
        g.measurement_time(std::time::Duration::from_secs(2));
    }
}

/// Jobs to sweep: 1 to twice the cores (showing oversubscription).
pub fn jobs_sweep() -> Vec<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (1..=2 * cores).collect()
}

/// The id of `strategy` run on `jobs` workers over `n` tasks of size `size`,
/// for benches that sweep the size of each task (the `crossover` bench).
///
/// The parameter is `jobs=J,n=N,<size_name>=S`: `n` is still the number of
/// tasks (the throughput), and `size_name` names the unit of the task size in
/// the workload's own terms, e.g. `trials` for `pi_mc`. `cargo xtask bench`
/// reads the extra key as the task size and plots time against it.
pub fn sized_id(
    strategy: &str,
    jobs: usize,
    n: u64,
    size_name: &str,
    size: u64,
) -> BenchmarkId {
    BenchmarkId::new(strategy, sized_parameter(jobs, n, size_name, size))
}

/// The parameter of [`sized_id`]: `jobs=J,n=N,<size_name>=S`.
pub fn sized_parameter(jobs: usize, n: u64, size_name: &str, size: u64) -> String {
    format!("jobs={jobs},n={n},{size_name}={size}")
}

/// A parameter written by [`id`] or [`sized_id`], parsed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// Workers.
    pub jobs: usize,
    /// Tasks.
    pub n: u64,
    /// The task size and the name of its unit, for [`sized_id`].
    pub size: Option<(String, u64)>,
}

/// Parses a parameter written by [`id`] or [`sized_id`].
pub fn parse_sized_parameter(parameter: &str) -> Option<Parameter> {
    let mut parts = parameter.split(',');
    let jobs = parts.next()?.strip_prefix("jobs=")?.parse().ok()?;
    let n = parts.next()?.strip_prefix("n=")?.parse().ok()?;
    let size = match parts.next() {
        None => None,
        Some(part) => {
            let (name, value) = part.split_once('=')?;
            if name.is_empty() || name == "jobs" || name == "n" {
                return None;
            }
            Some((name.to_string(), value.parse().ok()?))
        }
    };
    if parts.next().is_some() {
        return None;
    }
    Some(Parameter { jobs, n, size })
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

    #[test]
    fn sized_parameter_round_trips() {
        let parameter = sized_parameter(2, 16, "trials", 1000);
        assert_eq!(parameter, "jobs=2,n=16,trials=1000");
        assert_eq!(
            parse_sized_parameter(&parameter),
            Some(Parameter {
                jobs: 2,
                n: 16,
                size: Some(("trials".into(), 1000))
            })
        );
        assert_eq!(
            parse_sized_parameter("jobs=1,n=8"),
            Some(Parameter {
                jobs: 1,
                n: 8,
                size: None
            })
        );
        for bad in ["jobs=1", "jobs=1,n=8,x", "jobs=1,n=8,t=1,u=2", "n=8,jobs=1"] {
            assert_eq!(parse_sized_parameter(bad), None, "{bad}");
        }
    }
}
