//! The headline speedups, paired: baseline and strategy alternated in one
//! process after a warm-up (A B, B A, …), the median of the pair ratios with
//! its spread. Criterion times every strategy on its own, minutes apart on a
//! shared machine; a ratio of two such medians can drift by tens of percent.
//! These pairs cannot.
//!
//! `cargo bench -p benches --bench paired` (or `-- --list`, or `-- pi` to
//! select by substring). Under `cargo test --benches` it runs every pair at
//! tiny sizes and writes nothing. Writes `paired.json` to `$CRITERION_HOME` (set by
//! `cargo xtask bench`, which puts the pairs into its report) and prints a
//! summary.
//!
//! The pairs:
//! - `pi` at 2 jobs (16 seeds × 10^6 trials): coarse tasks, the speedup
//!   that should be stable run to run;
//! - `pi` on a warm `ProcessPool` against rayon at 2 jobs: what processes
//!   cost against threads on the same tasks (1.00 would be as fast);
//! - `pi_streams` at 2 jobs: the vectorised kernel `pi_mc_streams`, same tasks;
//! - `pi_streams`, `driver`, `driver_vec` (4^10 elements) and
//!   `square_slices` (10^6 elements) on fork-join at 2 jobs: the caller
//!   works, idle workers spin (`workloads::SpinPool`), as OpenMP runs
//!   numba's `prange`; the baseline is the same loop on the caller alone
//!   (`SpinPool::new(1)`), so only the threads differ;
//! - `driver` at 2 jobs (4^10 elements): rayon per element and in chunks;
//! - `serial_map/driver`: `my_map` against the `for` loop — the same code,
//!   so the paired speedup must be 1.00 within its spread (the A/A test).

use std::hint::black_box;

use workloads::measure::PairedRecord;

use benches::{
    DRIVER_VEC_WORKLOAD, PI_STREAMS_WORKLOAD, SQUARE_SLICES_WORKLOAD, paired_result,
    paired_title, selected, sized, write_paired,
};
use process_pools::ProcessPool;
use process_pools::demo::PiMc;
use process_pools::names::PROCESS_POOL;
use serial_map::names::{FOR_LOOP, MY_MAP};
use serial_map::{for_loop, my_map};
use thread_pools::names::{FORK_JOIN, RAYON, RAYON_PAR_CHUNKS};
use thread_pools::{rayon_map_in, rayon_pool};
use workloads::{
    DRIVER_DEN, DRIVER_NUM, SERIAL, WorkloadKind, driver, pi_mc, pi_mc_streams,
};
use workloads::{
    SpinPool, driver_par_chunks, driver_spin, driver_vec_spin, pi_streams_map,
    pi_streams_spin, square_spin,
};

/// The jobs of every pair: the headline "2 jobs".
const JOBS: usize = 2;

fn driver_task(x: &f64) -> f64 {
    driver(black_box(*x), DRIVER_NUM, DRIVER_DEN)
}

/// The serial baseline of the `pi_streams` pairs.
fn pi_streams_serial(seeds: &[u64], trials: u64) -> Vec<f64> {
    seeds
        .iter()
        .map(|&s| pi_mc_streams(black_box(s), trials))
        .collect()
}

/// Every pair, as (title, a closure that measures it).
type Pair<'a> = (String, Box<dyn FnOnce() -> PairedRecord + 'a>);

/// A fork-join pair: `run` on the caller alone (`one`: the serial loop
/// itself) against `run` on the pool `spin`, so only the threads differ.
fn fork_join_pair<'a, T: PartialEq + 'a>(
    workload: &'static str,
    n: u64,
    one: &'a SpinPool,
    spin: &'a SpinPool,
    run: impl Fn(&SpinPool) -> T + 'a,
) -> Pair<'a> {
    let title = paired_title(workload, FORK_JOIN, JOBS, n);
    let measure = move || {
        paired_result(
            workload,
            (SERIAL, || run(one)),
            (FORK_JOIN, || run(spin)),
            JOBS,
            n,
        )
    };
    (title, Box::new(measure))
}

fn pairs<'a>(
    pool: &'a rayon::ThreadPool,
    processes: &'a ProcessPool,
    spin: &'a SpinPool,
    one: &'a SpinPool,
    seeds: &'a [u64],
    xs: &'a [f64],
    ints: &'a [u64],
) -> Vec<Pair<'a>> {
    let trials = sized(1_000_000, 1_000);
    let n_pi = seeds.len() as u64;
    let n_driver = xs.len() as u64;
    let n_square = ints.len() as u64;
    let pi_task = move |&s: &u64| pi_mc(black_box(s), trials);
    vec![
        (
            paired_title(WorkloadKind::Pi.name(), RAYON, JOBS, n_pi),
            Box::new(move || {
                paired_result(
                    WorkloadKind::Pi.name(),
                    (SERIAL, || seeds.iter().map(pi_task).collect::<Vec<f64>>()),
                    (RAYON, || rayon_map_in(pool, seeds, pi_task)),
                    JOBS,
                    n_pi,
                )
            }),
        ),
        (
            paired_title(WorkloadKind::Pi.name(), PROCESS_POOL, JOBS, n_pi),
            Box::new(move || {
                let inputs: Vec<(u64, u64)> =
                    seeds.iter().map(|&s| (s, trials)).collect();
                paired_result(
                    WorkloadKind::Pi.name(),
                    (RAYON, || rayon_map_in(pool, seeds, pi_task)),
                    (PROCESS_POOL, || {
                        processes
                            .map::<PiMc>(inputs.iter().copied())
                            .into_iter()
                            .map(|r| r.expect("a pi task"))
                            .collect::<Vec<f64>>()
                    }),
                    JOBS,
                    n_pi,
                )
            }),
        ),
        (
            paired_title(PI_STREAMS_WORKLOAD, RAYON, JOBS, n_pi),
            Box::new(move || {
                paired_result(
                    PI_STREAMS_WORKLOAD,
                    (SERIAL, || pi_streams_serial(seeds, trials)),
                    (RAYON, || pi_streams_map(pool, seeds, trials)),
                    JOBS,
                    n_pi,
                )
            }),
        ),
        fork_join_pair(PI_STREAMS_WORKLOAD, n_pi, one, spin, move |pool| {
            pi_streams_spin(pool, seeds, trials)
        }),
        fork_join_pair(DRIVER_VEC_WORKLOAD, n_driver, one, spin, |pool| {
            driver_vec_spin(pool, black_box(xs), DRIVER_NUM, DRIVER_DEN)
        }),
        fork_join_pair(SQUARE_SLICES_WORKLOAD, n_square, one, spin, |pool| {
            square_spin(pool, black_box(ints))
        }),
        (
            paired_title(WorkloadKind::Driver.name(), RAYON, JOBS, n_driver),
            Box::new(move || {
                paired_result(
                    WorkloadKind::Driver.name(),
                    (SERIAL, || xs.iter().map(driver_task).collect::<Vec<f64>>()),
                    (RAYON, || rayon_map_in(pool, xs, driver_task)),
                    JOBS,
                    n_driver,
                )
            }),
        ),
        fork_join_pair(WorkloadKind::Driver.name(), n_driver, one, spin, |pool| {
            driver_spin(pool, black_box(xs), DRIVER_NUM, DRIVER_DEN)
        }),
        (
            paired_title(
                WorkloadKind::Driver.name(),
                RAYON_PAR_CHUNKS,
                JOBS,
                n_driver,
            ),
            Box::new(move || {
                paired_result(
                    WorkloadKind::Driver.name(),
                    (SERIAL, || xs.iter().map(driver_task).collect::<Vec<f64>>()),
                    (RAYON_PAR_CHUNKS, || {
                        driver_par_chunks(
                            pool,
                            black_box(xs),
                            DRIVER_NUM,
                            DRIVER_DEN,
                        )
                    }),
                    JOBS,
                    n_driver,
                )
            }),
        ),
        (
            paired_title("serial_map", MY_MAP, 1, n_driver),
            Box::new(move || {
                paired_result(
                    "serial_map",
                    (FOR_LOOP, || for_loop(xs, driver_task)),
                    (MY_MAP, || my_map(xs, driver_task)),
                    1,
                    n_driver,
                )
            }),
        ),
    ]
}

fn main() {
    process_pools::demo::worker_main_if_requested();
    // criterion's command line: options (ignored here) and one filter.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let list = args.iter().any(|a| a == "--list");
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then
    // run every pair once at tiny sizes, check the results, write nothing.
    let test_mode = !list && !args.iter().any(|a| a == "--bench");
    if test_mode {
        benches::force_tiny();
    }
    let mut filter = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--measurement-time" | "--nresamples" | "--warm-up-time"
            | "--sample-size" => {
                rest.next();
            }
            a if a.starts_with('-') => {}
            a => filter = Some(a.to_string()),
        }
    }
    let pool = rayon_pool(JOBS).expect("a rayon pool");
    let seeds: Vec<u64> = (0..sized(16, 4)).collect();
    let xs: Vec<f64> = (0..sized(1 << 20, 1 << 10)).map(|i| i as f64).collect();
    let ints: Vec<u64> = (0..sized(1_000_000, 1_000)).collect();
    let spin = SpinPool::new(JOBS);
    // The fork-join pairs' baseline: the same loops on the caller alone.
    let one = SpinPool::new(1);
    // A warm pool, built once (the bench's binary is its worker).
    let processes = ProcessPool::new(JOBS).expect("a process pool");
    let clock = (!list).then(workloads::measure::clock_ghz);
    let mut results = Vec::new();
    for (title, measure) in pairs(&pool, &processes, &spin, &one, &seeds, &xs, &ints)
    {
        if !selected(&title, filter.as_deref()) {
            continue;
        }
        if list {
            println!("{title}: benchmark");
            continue;
        }
        let mut result = measure();
        result.clock_ghz = clock;
        let p = &result.speedup;
        eprintln!(
            "{title}: {:.3}× vs {} (IQR {:.3}–{:.3}, range {:.3}–{:.3}, {} pairs; \
             capacity {:.2}×/{:.2}×/{:.2}× before/during/after){}",
            p.median,
            result.baseline,
            p.q1,
            p.q3,
            p.min,
            p.max,
            p.pairs,
            result.capacity_before,
            result.capacity_during.unwrap_or(f64::NAN),
            result.capacity_after,
            if result.equal { "" } else { "  RESULTS DIFFER" }
        );
        assert!(
            result.equal,
            "{title}: the strategy's result differs from the baseline's"
        );
        results.push(result);
    }
    if test_mode {
        eprintln!("paired: {} pairs checked (test mode)", results.len());
    } else if !list {
        let path = write_paired(&results).expect("writing paired.json");
        eprintln!("paired: {} results in {}", results.len(), path.display());
    }
}
