//! The grid bench: pool size × number of tasks, for threads (a rayon pool)
//! and processes (`process_pools::ProcessPool`), so that `cargo xtask bench`
//! can fit a cost model per strategy (fixed cost per map + cost per task +
//! work / effective cores; `xtask/src/bench/cost_model/`) and answer "how
//! many tasks before processes pay off" on this machine and, predicted, on
//! larger ones.
//!
//! `cargo bench -p benches --bench grid -- --quick`
//!
//! Two groups, each with its serial baseline at every task count:
//! - `grid/pi`: 4, 16, 64 and 256 tasks of `pi_mc(seed, 2·10^4)` (a fixed
//!   work per task of tens of microseconds, so that the per-map and per-task
//!   costs of a pool show next to the work), process pool with chunksize 1;
//! - `grid/square`: 10^3, 10^4 and 10^5 `square` tasks (no work: the cost per
//!   task itself), process pool batched as Python's `Pool.map` does (4
//!   chunks per worker).
//!
//! Each on 1, 2 and 4 workers. Every pool is built once per jobs value,
//! outside the timed closure (a warm pool: what a program that maps many
//! times pays per map), and every strategy is checked against serial before
//! it is timed. The process workers are this bench binary itself,
//! re-executed: `main` calls `process_pools::demo::worker_main_if_requested()`
//! before criterion starts.

use std::hint::black_box;

use benches::{group, id};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group};
use process_pools::ProcessPool;
use process_pools::demo::{PiMc, Square};
use process_pools::names::{PROCESS_POOL, RAYON_THREADS};
use rayon::prelude::*;
use workloads::jobs::rayon_pool;
use workloads::{SERIAL, WorkloadKind, pi_mc, square};

/// The pool sizes of the grid: one worker, one per core here, oversubscribed.
const JOBS: [usize; 3] = [1, 2, 4];

/// Whether to use tiny sizes: a smoke run, or an unoptimised build
/// (`cargo test --benches` runs each benchmark once in the debug profile;
/// it measures nothing there).
fn tiny() -> bool {
    benches::smoke() || cfg!(debug_assertions)
}

fn pick(full: &[u64], small: &[u64]) -> Vec<u64> {
    if tiny() {
        small.to_vec()
    } else {
        full.to_vec()
    }
}

/// Trials per π task: ~80 µs of work at ~4 ns per trial.
fn pi_trials() -> u64 {
    if tiny() { 100 } else { 20_000 }
}

fn pi_serial(seeds: &[u64], trials: u64) -> Vec<f64> {
    seeds.iter().map(|&s| pi_mc(black_box(s), trials)).collect()
}

fn pi_threads(pool: &rayon::ThreadPool, seeds: &[u64], trials: u64) -> Vec<f64> {
    pool.install(|| {
        seeds
            .par_iter()
            .map(|&s| pi_mc(black_box(s), trials))
            .collect()
    })
}

fn pi_processes(pool: &ProcessPool, seeds: &[u64], trials: u64) -> Vec<f64> {
    let results = pool.map::<PiMc>(seeds.iter().map(|&s| (s, trials)));
    results
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("no pi task fails")
}

fn square_serial(inputs: &[u64]) -> Vec<u64> {
    inputs.iter().map(|&x| square(black_box(x))).collect()
}

fn square_threads(pool: &rayon::ThreadPool, inputs: &[u64]) -> Vec<u64> {
    pool.install(|| inputs.par_iter().map(|&x| square(black_box(x))).collect())
}

fn square_processes(pool: &ProcessPool, inputs: &[u64]) -> Vec<u64> {
    let results = pool.map::<Square>(inputs.iter().copied());
    results
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("no square task fails")
}

/// A warm process pool of `jobs` workers handing out `chunksize` tasks at
/// a time.
fn process_pool(jobs: usize, chunksize: usize) -> ProcessPool {
    ProcessPool::builder()
        .workers(jobs)
        .chunksize(chunksize)
        .build()
        .expect("a process pool")
}

/// One group's grid: the serial baseline at every task count, then threads
/// and processes at every jobs value and task count. Each closure maps the
/// first `n` inputs (built once, outside the timing); `chunksize(jobs, n)`
/// sets the process pool's batches.
struct Grid<'a, T> {
    counts: Vec<u64>,
    serial: &'a dyn Fn(u64) -> T,
    threads: &'a dyn Fn(&rayon::ThreadPool, u64) -> T,
    processes: &'a dyn Fn(&ProcessPool, u64) -> T,
    process_name: String,
    chunksize: fn(usize, u64) -> usize,
}

impl<T: PartialEq + std::fmt::Debug> Grid<'_, T> {
    fn run(&self, g: &mut BenchmarkGroup<'_, WallTime>) {
        for &n in &self.counts {
            g.throughput(Throughput::Elements(n));
            g.bench_function(id(SERIAL, 1, n), |b| b.iter(|| (self.serial)(n)));
        }
        for jobs in JOBS {
            let threads = rayon_pool(jobs).expect("a rayon pool");
            for &n in &self.counts {
                assert_eq!((self.threads)(&threads, n), (self.serial)(n));
                g.throughput(Throughput::Elements(n));
                g.bench_function(id(RAYON_THREADS, jobs, n), |b| {
                    b.iter(|| (self.threads)(&threads, n))
                });
            }
            drop(threads);
            for &n in &self.counts {
                // A pool per count, as its batches may depend on the count.
                let processes = process_pool(jobs, (self.chunksize)(jobs, n));
                assert_eq!((self.processes)(&processes, n), (self.serial)(n));
                g.throughput(Throughput::Elements(n));
                g.bench_function(id(&self.process_name, jobs, n), |b| {
                    b.iter(|| (self.processes)(&processes, n))
                });
            }
        }
    }
}

fn grid_pi(c: &mut Criterion) {
    let trials = pi_trials();
    let counts = pick(&[4, 16, 64, 256], &[2, 4, 8]);
    let all: Vec<u64> = (0..counts.iter().copied().max().unwrap_or(0)).collect();
    let seeds = |n: u64| &all[..n as usize];
    let grid = Grid {
        counts,
        serial: &|n| pi_serial(seeds(n), trials),
        threads: &|pool, n| pi_threads(pool, seeds(n), trials),
        processes: &|pool, n| pi_processes(pool, seeds(n), trials),
        process_name: PROCESS_POOL.to_string(),
        chunksize: |_, _| 1,
    };
    let mut g = group(c, "grid", WorkloadKind::Pi.name());
    grid.run(&mut g);
    g.finish();
}

fn grid_square(c: &mut Criterion) {
    let counts = pick(&[1_000, 10_000, 100_000], &[16, 64, 256]);
    let all: Vec<u64> = (0..counts.iter().copied().max().unwrap_or(0)).collect();
    let inputs = |n: u64| &all[..n as usize];
    let grid = Grid {
        counts,
        serial: &|n| square_serial(inputs(n)),
        threads: &|pool, n| square_threads(pool, inputs(n)),
        processes: &|pool, n| square_processes(pool, inputs(n)),
        process_name: format!("{PROCESS_POOL} batched"),
        // What Python's Pool.map does by default: 4 chunks per worker.
        chunksize: |jobs, n| (n as usize).div_ceil(4 * jobs),
    };
    let mut g = group(c, "grid", "square");
    grid.run(&mut g);
    g.finish();
}

criterion_group!(benches, grid_pi, grid_square);

fn main() {
    // A process-pool worker started by this very binary serves tasks and exits.
    process_pools::demo::worker_main_if_requested();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
