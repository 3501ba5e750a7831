//! Chapter 3 bench: what a process pool costs. Start-up to the first result,
//! the per-task round trip with chunksize 1, batched, and with automatic
//! batch sizes (`square`), and
//! throughput on `pi` (16 seeds × 10^6 trials) with start-up included,
//! next to serial and to rayon threads; and what the conveniences cost on
//! `driver` (4^10 tasks, chunked): progress off and on, lazy `imap`.
//!
//! `cargo bench -p benches --bench process_pools -- --quick`
//!
//! The workers are this bench binary itself, re-executed: `main` calls
//! `process_pools::demo::worker_main_if_requested()` before criterion starts, so the
//! bench runs the same under `cargo bench` and `cargo test --benches` with no
//! other binary built first.

use std::hint::black_box;
use std::time::{Duration, Instant};

use benches::{group, id, jobs_sweep, sized};
use criterion::{Criterion, Throughput, criterion_group};
use process_pools::ProcessPool;
use process_pools::demo::{Driver, PiMc, Square};
use process_pools::names::{PROCESS_POOL, RAYON_THREADS};
use workloads::jobs::rayon_pool;
use workloads::progress::Progress;
use workloads::{SERIAL, WorkloadKind, driver, pi_mc, square};

fn pool(jobs: usize, chunksize: usize) -> ProcessPool {
    ProcessPool::builder()
        .workers(jobs)
        .chunksize(chunksize)
        .build()
        .expect("a process pool")
}

/// Time from nothing to the first result of a trivial task (the pool's
/// shutdown is not timed).
fn startup(c: &mut Criterion) {
    let mut g = group(c, "process_pools", "startup");
    g.throughput(Throughput::Elements(1));
    g.bench_function(id(SERIAL, 1, 1), |b| b.iter(|| square(black_box(3))));
    let jobs = 2;
    g.bench_function(id(PROCESS_POOL, jobs, 1), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let pool = pool(jobs, 1);
                let first = pool.map::<Square>([black_box(3)]);
                total += start.elapsed();
                assert_eq!(first, vec![Ok(9)]);
                drop(pool);
            }
            total
        })
    });
    g.bench_function(id(RAYON_THREADS, jobs, 1), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let pool = rayon_pool(jobs).unwrap();
                let first = pool.install(|| square(black_box(3)));
                total += start.elapsed();
                assert_eq!(first, 9);
                drop(pool);
            }
            total
        })
    });
    g.finish();
}

/// The cost of one task's round trip: one message per task, batched as
/// Python's `Pool.map` does, or in batches the pool sizes as it runs
/// (`auto_chunksize`, joblib's `batch_size="auto"`).
fn round_trip(c: &mut Criterion) {
    let n = sized(20_000, 64);
    let inputs: Vec<u64> = (0..n).collect();
    let mut g = group(c, "process_pools", "square");
    g.throughput(Throughput::Elements(n));
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| {
            inputs
                .iter()
                .map(|&x| square(black_box(x)))
                .collect::<Vec<_>>()
        })
    });
    for jobs in [1, 2] {
        let unbatched = pool(jobs, 1);
        g.bench_function(id("ProcessPool unbatched", jobs, n), |b| {
            b.iter(|| unbatched.map::<Square>(inputs.iter().copied()))
        });
        drop(unbatched);
        // What Python's Pool.map does by default: 4 chunks per worker.
        let chunksize = (n as usize).div_ceil(4 * jobs);
        let batched = pool(jobs, chunksize);
        g.bench_function(id("ProcessPool batched", jobs, n), |b| {
            b.iter(|| batched.map::<Square>(inputs.iter().copied()))
        });
        drop(batched);
        let auto = ProcessPool::builder()
            .workers(jobs)
            .auto_chunksize()
            .build()
            .expect("a process pool");
        g.bench_function(id("ProcessPool auto batches", jobs, n), |b| {
            b.iter(|| auto.map::<Square>(inputs.iter().copied()))
        });
    }
    g.finish();
}

/// Throughput on heavy tasks, start-up and shutdown included.
fn pi(c: &mut Criterion) {
    let n = sized(16, 4);
    let trials = sized(1_000_000, 1_000);
    let inputs: Vec<(u64, u64)> = (0..n).map(|seed| (seed, trials)).collect();
    let mut g = group(c, "process_pools", WorkloadKind::Pi.name());
    g.sample_size(10);
    g.throughput(Throughput::Elements(n));
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| {
            inputs
                .iter()
                .map(|&(seed, t)| pi_mc(black_box(seed), t))
                .collect::<Vec<f64>>()
        })
    });
    for jobs in jobs_sweep() {
        g.bench_function(id(PROCESS_POOL, jobs, n), |b| {
            b.iter(|| pool(jobs, 1).map::<PiMc>(inputs.iter().copied()))
        });
    }
    let jobs = 2;
    let threads = rayon_pool(jobs).unwrap();
    g.bench_function(id(RAYON_THREADS, jobs, n), |b| {
        use rayon::prelude::*;
        b.iter(|| {
            threads.install(|| {
                inputs
                    .par_iter()
                    .map(|&(seed, t)| pi_mc(black_box(seed), t))
                    .collect::<Vec<f64>>()
            })
        })
    });
    g.finish();
}

/// The cost of progress reporting and of lazy submission on `driver`, 4^10
/// tasks in chunks of 64: `map` with progress off, with progress on (plain
/// lines into a sink, as in a log; the drivers count each batch), and the
/// lazy `imap`, next to serial.
fn conveniences(c: &mut Criterion) {
    let n = sized(4u64.pow(10), 256);
    let inputs: Vec<(f64, f64, f64)> =
        (0..n).map(|i| (i as f64, 1.0, 2.0)).collect();
    let (jobs, chunksize) = (2, 64);
    let mut g = group(c, "process_pools", WorkloadKind::Driver.name());
    g.throughput(Throughput::Elements(n));
    // Every group with parallel rows needs its serial baseline (the report
    // computes speedups against it).
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| {
            inputs
                .iter()
                .map(|&(x, num, den)| driver(black_box(x), num, den))
                .sum::<f64>()
        })
    });
    let quiet = pool(jobs, chunksize);
    g.bench_function(id("ProcessPool chunked", jobs, n), |b| {
        b.iter(|| quiet.map::<Driver>(inputs.iter().copied()))
    });
    g.bench_function(id("ProcessPool chunked imap", jobs, n), |b| {
        b.iter(|| {
            let lazy = quiet.imap::<Driver, _>(inputs.iter().copied());
            lazy.map(Result::unwrap).sum::<f64>()
        })
    });
    drop(quiet);
    let every = Duration::from_secs(1);
    let reporting = ProcessPool::builder()
        .workers(jobs)
        .chunksize(chunksize)
        .progress(Progress::lines_to("bench", every, std::io::sink()))
        .build()
        .expect("a process pool");
    g.bench_function(id("ProcessPool chunked + progress", jobs, n), |b| {
        b.iter(|| reporting.map::<Driver>(inputs.iter().copied()))
    });
    g.finish();
}

criterion_group!(benches, startup, round_trip, pi, conveniences);

fn main() {
    // A worker started by a pool of this bench serves tasks and exits here.
    process_pools::demo::worker_main_if_requested();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
