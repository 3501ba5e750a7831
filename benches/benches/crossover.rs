//! The crossover bench: the same batch of `pi` tasks run serially, on a
//! rayon thread pool, on a process pool (`process_pools::ProcessPool`) and as
//! async tasks on a multi-threaded tokio runtime (`async_gather::Executor`),
//! while each task grows from ~100 ns (10 trials) to ~10 ms (3 × 10^6
//! trials). `cargo xtask bench` plots time per task against task size: where a
//! parallel line drops below the serial one, parallelism starts to pay off.
//!
//! `cargo bench -p benches --bench crossover -- --quick`
//!
//! Naming: group `crossover/pi`, function = strategy (`serial`, `threads`,
//! `processes`, `async`), parameter `jobs=J,n=N,trials=T`
//! ([`benches::sized_id`]): `n` tasks of `T` trials each. Every pool is started
//! once, outside the timing, with one worker per core; task `i` is
//! `pi_mc(i, trials)` everywhere, and every strategy is checked against serial
//! before it is timed.
//!
//! The process workers are this bench binary itself, re-executed: `main` calls
//! `process_pools::demo::worker_main_if_requested()` before criterion starts.

use std::hint::black_box;

use async_gather::{Executor, Scheduler, all_ok};
use benches::{sized, sized_id};
use criterion::{Criterion, Throughput, criterion_group};
use process_pools::ProcessPool;
use process_pools::demo::PiMc;
use rayon::prelude::*;
use workloads::jobs::{default_jobs, rayon_pool};
use workloads::{SERIAL, WorkloadKind, pi_mc};

/// Tasks per batch: a few per core, as in a small parameter sweep.
const TASKS: u64 = 16;

/// Trials per task: 10 to 3 × 10^6 in half-decade steps (roughly 100 ns to
/// 10 ms per task at ~4 ns per trial).
fn trial_sizes() -> Vec<u64> {
    let full = [
        10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000,
        3_000_000,
    ];
    // A smoke run keeps every other size up to 10^3: 10, 100 and 1000. An
    // unoptimised build (`cargo test --benches` runs each benchmark once in
    // the debug profile) stops at 10^5, to stay fast; it measures nothing.
    let largest = if cfg!(debug_assertions) {
        sized(100_000, 1_000)
    } else {
        sized(3_000_000, 1_000)
    };
    let step = sized(1, 2) as usize;
    full.into_iter()
        .filter(|&t| t <= largest)
        .step_by(step)
        .collect()
}

fn serial(n: u64, trials: u64) -> Vec<f64> {
    (0..n).map(|i| pi_mc(black_box(i), trials)).collect()
}

fn threads(pool: &rayon::ThreadPool, n: u64, trials: u64) -> Vec<f64> {
    pool.install(|| {
        (0..n)
            .into_par_iter()
            .map(|i| pi_mc(black_box(i), trials))
            .collect()
    })
}

fn processes(pool: &ProcessPool, n: u64, trials: u64) -> Vec<f64> {
    let results = pool.map::<PiMc>((0..n).map(|i| (i, trials)));
    results
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("no pi task fails")
}

fn run_async(runtime: &Executor, n: u64, trials: u64) -> Vec<f64> {
    let results = runtime.map(0..n, move |i| pi_mc(black_box(i), trials));
    all_ok(results).expect("no pi task fails")
}

fn crossover(c: &mut Criterion) {
    let jobs = default_jobs();
    let n = sized(TASKS, 4);
    let threads_pool = rayon_pool(jobs).expect("a rayon pool");
    let process_pool = ProcessPool::builder()
        .workers(jobs)
        .build()
        .expect("a process pool");
    let runtime =
        Executor::new(Scheduler::MultiThread, jobs).expect("a tokio runtime");
    let mut g = benches::group(c, "crossover", WorkloadKind::Pi.name());
    g.throughput(Throughput::Elements(n));
    for trials in trial_sizes() {
        let expected = serial(n, trials);
        assert_eq!(threads(&threads_pool, n, trials), expected, "threads");
        assert_eq!(processes(&process_pool, n, trials), expected, "processes");
        assert_eq!(run_async(&runtime, n, trials), expected, "async");
        g.bench_function(sized_id(SERIAL, 1, n, "trials", trials), |b| {
            b.iter(|| serial(n, trials))
        });
        g.bench_function(sized_id("threads", jobs, n, "trials", trials), |b| {
            b.iter(|| threads(&threads_pool, n, trials))
        });
        g.bench_function(sized_id("processes", jobs, n, "trials", trials), |b| {
            b.iter(|| processes(&process_pool, n, trials))
        });
        g.bench_function(sized_id("async", jobs, n, "trials", trials), |b| {
            b.iter(|| run_async(&runtime, n, trials))
        });
    }
    g.finish();
}

criterion_group!(benches, crossover);

fn main() {
    // A process-pool worker started by this very binary serves tasks and exits.
    process_pools::demo::worker_main_if_requested();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
