//! Shared conventions of the criterion benches, so `cargo xtask bench` can read
//! every result the same way.
//!
//! Every measurement is named `<bench>/<workload>` (criterion's group), the
//! strategy (criterion's function) and `jobs=J,n=N` (criterion's parameter), and
//! its group's throughput is the number of tasks, so time per task is derivable.
//! Use [`group`] and [`id`] rather than naming benchmarks by hand.
#![warn(missing_docs)]

use std::sync::atomic::{AtomicBool, Ordering};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use workloads::measure::PairedRecord;

/// A benchmark group named `<bench>/<workload>`.
pub fn group<'a>(
    c: &'a mut Criterion,
    bench: &str,
    workload: &str,
) -> BenchmarkGroup<'a, WallTime> {
    c.benchmark_group(format!("{bench}/{workload}"))
}

/// The workload name of the groups timing the vectorised π kernel
/// (`workloads::pi_mc_streams`) on the tasks of the `pi` workload
/// (`WorkloadKind::Pi`): a different estimator, so its own group, with its
/// own serial baseline. Every other workload is named by `WorkloadKind::name`.
pub const PI_STREAMS_WORKLOAD: &str = "pi_streams";

/// The workload name of the group timing `square` over whole slices (one
/// loop, no opaque call per element) on the inputs of `thread_pools/square`,
/// whose per-element `black_box` is there on purpose, to time the per-task
/// overhead. This is the group compared with numpy and numba, with its own
/// serial baseline.
pub const SQUARE_SLICES_WORKLOAD: &str = "square_slices";

/// The workload name of the group timing the memory floor of
/// `square_slices`: the same bytes copied (`workloads::copy_spin`), no
/// arithmetic. A reference, not a strategy: the report bounds `square` by it
/// and compares it with nothing.
pub const COPY_WORKLOAD: &str = "copy";

/// The workload name of the groups timing `driver` with the vectorised `ln`
/// (`workloads::driver_vec_into`) on the inputs of `thread_pools/driver`:
/// results within a few ulp of `driver`'s, not bit-identical, so its own
/// group, with its own serial baseline.
pub const DRIVER_VEC_WORKLOAD: &str = "driver_vec";

/// The id of `strategy` run on `jobs` workers over `n` tasks.
pub fn id(strategy: &str, jobs: usize, n: u64) -> BenchmarkId {
    BenchmarkId::new(strategy, format!("jobs={jobs},n={n}"))
}

/// Environment variable set by `cargo xtask bench --smoke`: every bench runs
/// with tiny sizes, so the whole pipeline is exercised in seconds.
pub const SMOKE_ENV: &str = "PPR_BENCH_SMOKE";

/// Whether this is a smoke run (see [`SMOKE_ENV`]), or tiny sizes were
/// forced ([`force_tiny`]).
pub fn smoke() -> bool {
    std::env::var_os(SMOKE_ENV).is_some() || TINY.load(Ordering::Relaxed)
}

static TINY: AtomicBool = AtomicBool::new(false);

/// Tiny sizes from now on, as in a smoke run: for a `harness = false` bench
/// run by `cargo test --benches` (test mode, where only "does it run" counts).
pub fn force_tiny() {
    TINY.store(true, Ordering::Relaxed);
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
/// the workload's own terms, e.g. `trials` for `pi`. `cargo xtask bench`
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

/// The pause after each pair, before the capacity sample and the next
/// baseline: a pool's idle threads keep spinning for a while after a map
/// (rayon's do, before they sleep), and on 2 cores a probe or a baseline
/// started at once shares the CPU with them. Measured here: without it the
/// probe after a `pi` pair read 1.0× while the pair itself ran at 1.9×.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(10);

/// Sample the capacity after every third pair only: whichever side runs
/// first after the pause and the probe runs slower (measured here: the A/A
/// control read 1.25× when every pair was probed). Every third pair, with
/// the sides taking turns to go first, puts that cost on either side in
/// turn, in a third of the pairs, which the median shrugs off.
const PROBE_EVERY: usize = 3;

/// A [`PairedRecord`] (the format of `paired.json`, which `cargo xtask bench`
/// reads) for one pair of runs: times `baseline` and `strategy`
/// alternately after a warm-up ([`workloads::measure::paired_between`]),
/// samples the machine's capacity before, between the pairs and after, and
/// checks their last results are equal.
pub fn paired_result<T: PartialEq>(
    workload: &str,
    (baseline, run_baseline): (&str, impl FnMut() -> T),
    (strategy, run_strategy): (&str, impl FnMut() -> T),
    jobs: usize,
    n: u64,
) -> PairedRecord {
    use workloads::measure::{Budget, CapacityProbe, median, paired_between};
    let budget = if smoke() {
        Budget {
            warm_up: 1,
            min_pairs: 3,
            max_pairs: 3,
            time: std::time::Duration::ZERO,
        }
    } else {
        Budget::bench()
    };
    // A long calibrated probe around the pairs, a short one between them:
    // the capacity the strategy had while it ran, not only around it.
    let work = std::time::Duration::from_millis(if smoke() { 2 } else { 40 });
    let around = CapacityProbe::calibrate(jobs, work);
    let between = CapacityProbe::calibrate(jobs, work / 8);
    let before = around.measure();
    let mut samples = Vec::new();
    let mut pairs = 0;
    let (speedup, a, b) = paired_between(budget, run_baseline, run_strategy, || {
        pairs += 1;
        if pairs % PROBE_EVERY == 0 {
            std::thread::sleep(SETTLE);
            samples.push(between.sample());
        }
    });
    let after = around.measure();
    PairedRecord {
        title: paired_title(workload, strategy, jobs, n),
        group: format!("paired/{workload}"),
        workload: workload.to_string(),
        strategy: strategy.to_string(),
        baseline: baseline.to_string(),
        jobs,
        n,
        equal: a == b,
        speedup,
        capacity_before: before,
        capacity_during: Some(median(&samples)),
        capacity_after: after,
        clock_ghz: None,
    }
}

/// Writes `results` as a JSON list to `paired.json` in `$CRITERION_HOME`
/// (where `cargo xtask bench` looks), or in the workspace's
/// `target/criterion` without it.
pub fn write_paired(
    results: &[PairedRecord],
) -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::var_os("CRITERION_HOME").map_or_else(
        || {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/criterion")
        },
        Into::into,
    );
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("paired.json");
    let text = serde_json::to_string_pretty(results)?;
    std::fs::write(&path, text + "\n")?;
    Ok(path)
}

/// `paired/<workload>/<strategy>/jobs=J,n=N`, as criterion would title it.
pub fn paired_title(workload: &str, strategy: &str, jobs: usize, n: u64) -> String {
    format!("paired/{workload}/{strategy}/jobs={jobs},n={n}")
}

/// Whether `title` is selected by the command line's filter: criterion's
/// convention, the first argument that is not an option. The `paired` bench
/// has no regex engine: a filter selects a title when one of its
/// `|`-separated alternatives (without `^`/`$`) is a substring of it.
pub fn selected(title: &str, filter: Option<&str>) -> bool {
    let Some(filter) = filter else { return true };
    filter
        .split('|')
        .map(|alt| alt.trim_start_matches('^').trim_end_matches('$'))
        .any(|alt| title.contains(alt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_select_titles_by_alternatives() {
        let title = paired_title(workloads::WorkloadKind::Pi.name(), "rayon", 2, 16);
        assert_eq!(title, "paired/pi/rayon/jobs=2,n=16");
        assert!(selected(&title, None));
        assert!(selected(&title, Some("^paired")));
        assert!(selected(&title, Some("driver|pi")));
        assert!(!selected(&title, Some("thread_pools")));
    }

    #[test]
    fn the_pi_streams_workload_is_named_after_pi() {
        let pi = workloads::WorkloadKind::Pi.name();
        assert_eq!(PI_STREAMS_WORKLOAD, format!("{pi}_streams"));
        assert!(SQUARE_SLICES_WORKLOAD.starts_with("square_"));
        let driver = workloads::WorkloadKind::Driver.name();
        assert_eq!(DRIVER_VEC_WORKLOAD, format!("{driver}_vec"));
    }

    #[test]
    fn paired_results_check_equality() {
        let same = paired_result("w", ("a", || 1), ("b", || 1), 2, 3);
        assert!(same.equal);
        assert_eq!(same.title, "paired/w/b/jobs=2,n=3");
        let differ = paired_result("w", ("a", || 1), ("b", || 2), 2, 3);
        assert!(!differ.equal);
    }

    #[test]
    fn parameters_read_as_xtask_parses_them() {
        // xtask/src/bench/criterion.rs (`parse_parameter`) reads these back.
        assert_eq!(
            sized_parameter(2, 16, "trials", 1000),
            "jobs=2,n=16,trials=1000"
        );
    }
}
