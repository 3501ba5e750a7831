//! Chapter 2 bench: every thread-pool strategy against the serial loop, on
//! `pi` (16 seeds × 10^6 trials: few heavy tasks), `pi_streams` (the same
//! tasks with the vectorised kernel `pi_mc_streams`), `driver` (4^10 tiny
//! tasks), `driver_vec` (the same with a vectorised `ln`), `square` (10^6
//! trivial tasks: the per-element overhead), `square_slices` (the same as
//! one loop over slices) and `copy` (its memory floor), for
//! jobs = 1 to the number of cores; rayon also runs up to twice the cores, to
//! show what oversubscription does (the sweep is kept short so that `--quick`
//! stays within a couple of minutes).
//!
//! `cargo bench -p benches --bench thread_pools -- --quick`
//! (add a filter such as `thread_pools/driver` to run one group).
//!
//! Pools are built outside the timed closure (you build a pool once);
//! `scoped`, `crossbeam` and `run_parallel_step` start their threads inside it,
//! because that is what one call of them costs.

use std::hint::black_box;
use std::time::Duration;

use benches::{
    COPY_WORKLOAD, DRIVER_VEC_WORKLOAD, PI_STREAMS_WORKLOAD, SQUARE_SLICES_WORKLOAD,
    group, id, jobs_sweep, sized,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use thread_pools::names::{
    CROSSBEAM, CROSSBEAM_CHUNKED, FORK_JOIN, POOL_MAP, RAYON, RAYON_MIN_LEN,
    RAYON_PAR_CHUNKS, RUN_PARALLEL_STEP, SCOPED,
};
use thread_pools::{
    Pool, channel_map, channel_map_chunked, default_chunk, rayon_map_in,
    rayon_map_min_len, rayon_pool, run_parallel_step, scoped_map,
};
use workloads::jobs::default_jobs;
use workloads::{
    DRIVER_DEN, DRIVER_NUM, SERIAL, SpinPool, WorkloadKind, copy_spin, driver,
    driver_into, driver_par_chunks, driver_spin, driver_vec, driver_vec_par_chunks,
    driver_vec_spin, pi_mc, pi_mc_streams, pi_streams_map, pi_streams_spin, square,
    square_par, square_spin,
};

/// Builds the dedicated rayon pool and the [`Pool`] for `jobs` workers.
fn pools(jobs: usize) -> (rayon::ThreadPool, Pool) {
    (
        rayon_pool(jobs).expect("a rayon pool"),
        Pool::new(jobs).expect("a pool"),
    )
}

/// The jobs of [`jobs_sweep`] beyond the number of cores.
fn oversubscribed() -> impl Iterator<Item = usize> {
    jobs_sweep()
        .into_iter()
        .filter(|&jobs| jobs > default_jobs())
}

fn pi(c: &mut Criterion) {
    let n = sized(16, 4);
    let trials = sized(1_000_000, 1_000);
    let seeds: Vec<u64> = (0..n).collect();
    let task = move |&seed: &u64| pi_mc(black_box(seed), trials);
    let mut g = group(c, "thread_pools", WorkloadKind::Pi.name());
    g.throughput(Throughput::Elements(n));
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| seeds.iter().map(task).collect::<Vec<f64>>())
    });
    for jobs in 1..=default_jobs() {
        let (rayon_jobs, pool) = pools(jobs);
        g.bench_function(id(SCOPED, jobs, n), |b| {
            b.iter(|| scoped_map(&seeds, jobs, task))
        });
        g.bench_function(id(CROSSBEAM, jobs, n), |b| {
            b.iter(|| channel_map(&seeds, jobs, task))
        });
        let chunk = default_chunk(seeds.len(), jobs);
        g.bench_function(id(CROSSBEAM_CHUNKED, jobs, n), |b| {
            b.iter(|| channel_map_chunked(&seeds, jobs, chunk, task))
        });
        g.bench_function(id(RAYON, jobs, n), |b| {
            b.iter(|| rayon_map_in(&rayon_jobs, &seeds, task))
        });
        g.bench_function(id(POOL_MAP, jobs, n), |b| {
            b.iter(|| pool.map(0..n, move |seed| pi_mc(black_box(seed), trials)))
        });
        g.bench_function(id(RUN_PARALLEL_STEP, jobs, n), |b| {
            b.iter(|| run_parallel_step(task, &seeds, jobs, false))
        });
    }
    for jobs in oversubscribed() {
        let rayon_jobs = rayon_pool(jobs).expect("a rayon pool");
        g.bench_function(id(RAYON, jobs, n), |b| {
            b.iter(|| rayon_map_in(&rayon_jobs, &seeds, task))
        });
    }
    g.finish();
}

/// The vectorised π kernel (`pi_mc_streams`, 8 xoshiro256++ lanes per task)
/// on the same 16 × 10^6 trials: its own group (`pi_streams`), because it is
/// a different estimator (same tasks, other random points), so its baseline
/// is its own serial run.
fn pi_streams(c: &mut Criterion) {
    let n = sized(16, 4);
    let trials = sized(1_000_000, 1_000);
    let seeds: Vec<u64> = (0..n).collect();
    let mut g = group(c, "thread_pools", PI_STREAMS_WORKLOAD);
    g.throughput(Throughput::Elements(n));
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| {
            seeds
                .iter()
                .map(|&s| pi_mc_streams(black_box(s), trials))
                .collect::<Vec<f64>>()
        })
    });
    for jobs in 1..=default_jobs() {
        let pool = rayon_pool(jobs).expect("a rayon pool");
        g.bench_function(id(RAYON, jobs, n), |b| {
            b.iter(|| pi_streams_map(&pool, black_box(&seeds), trials))
        });
        let spin = SpinPool::new(jobs);
        g.bench_function(id(FORK_JOIN, jobs, n), |b| {
            b.iter(|| pi_streams_spin(&spin, black_box(&seeds), trials))
        });
    }
    g.finish();
}

/// `driver` with the vectorised `ln` (`driver_vec_into`): its own group
/// (`driver_vec`), because its results are within a few ulp of `driver`'s,
/// not bit-identical; serial, rayon over slices, and fork-join.
fn driver_vec_group(c: &mut Criterion) {
    let n = sized(1 << 20, 1 << 10); // 4^10
    let inputs: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let mut g = group(c, "thread_pools", DRIVER_VEC_WORKLOAD);
    g.throughput(Throughput::Elements(n));
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| driver_vec(black_box(&inputs), DRIVER_NUM, DRIVER_DEN))
    });
    for jobs in 1..=default_jobs() {
        let pool = rayon_pool(jobs).expect("a rayon pool");
        g.bench_function(id(RAYON_PAR_CHUNKS, jobs, n), |b| {
            b.iter(|| {
                driver_vec_par_chunks(
                    &pool,
                    black_box(&inputs),
                    DRIVER_NUM,
                    DRIVER_DEN,
                )
            })
        });
        let spin = SpinPool::new(jobs);
        g.bench_function(id(FORK_JOIN, jobs, n), |b| {
            b.iter(|| {
                driver_vec_spin(&spin, black_box(&inputs), DRIVER_NUM, DRIVER_DEN)
            })
        });
    }
    g.finish();
}

fn driver_task(x: &f64) -> f64 {
    driver(black_box(*x), DRIVER_NUM, DRIVER_DEN)
}

fn tiny_tasks(c: &mut Criterion) {
    let n = sized(1 << 20, 1 << 10); // 4^10
    let inputs: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let mut g = group(c, "thread_pools", WorkloadKind::Driver.name());
    g.throughput(Throughput::Elements(n));
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| inputs.iter().map(driver_task).collect::<Vec<f64>>())
    });
    g.bench_function(id("driver_into", 1, n), |b| {
        b.iter(|| {
            let mut out = vec![0.0; inputs.len()];
            driver_into(black_box(&inputs), DRIVER_NUM, DRIVER_DEN, &mut out);
            out
        })
    });
    for jobs in 1..=default_jobs() {
        let (rayon_jobs, pool) = pools(jobs);
        let chunk = default_chunk(inputs.len(), jobs);
        g.bench_function(id(RAYON_PAR_CHUNKS, jobs, n), |b| {
            b.iter(|| {
                driver_par_chunks(
                    &rayon_jobs,
                    black_box(&inputs),
                    DRIVER_NUM,
                    DRIVER_DEN,
                )
            })
        });
        let spin = SpinPool::new(jobs);
        g.bench_function(id(FORK_JOIN, jobs, n), |b| {
            b.iter(|| driver_spin(&spin, black_box(&inputs), DRIVER_NUM, DRIVER_DEN))
        });
        g.bench_function(id(SCOPED, jobs, n), |b| {
            b.iter(|| scoped_map(&inputs, jobs, driver_task))
        });
        g.bench_function(id(CROSSBEAM, jobs, n), |b| {
            b.iter(|| channel_map(&inputs, jobs, driver_task))
        });
        g.bench_function(id(CROSSBEAM_CHUNKED, jobs, n), |b| {
            b.iter(|| channel_map_chunked(&inputs, jobs, chunk, driver_task))
        });
        g.bench_function(id(RAYON, jobs, n), |b| {
            b.iter(|| rayon_map_in(&rayon_jobs, &inputs, driver_task))
        });
        g.bench_function(id(RAYON_MIN_LEN, jobs, n), |b| {
            b.iter(|| rayon_map_min_len(&rayon_jobs, &inputs, chunk, driver_task))
        });
        g.bench_function(id(POOL_MAP, jobs, n), |b| {
            b.iter(|| pool.map(0..n, |i| driver_task(&(i as f64))))
        });
        g.bench_function(id(RUN_PARALLEL_STEP, jobs, n), |b| {
            b.iter(|| run_parallel_step(driver_task, &inputs, jobs, false))
        });
    }
    for jobs in oversubscribed() {
        let rayon_jobs = rayon_pool(jobs).expect("a rayon pool");
        g.bench_function(id(RAYON, jobs, n), |b| {
            b.iter(|| rayon_map_in(&rayon_jobs, &inputs, driver_task))
        });
    }
    g.finish();
}

fn square_task(x: &u64) -> u64 {
    square(black_box(*x))
}

fn overhead(c: &mut Criterion) {
    let n = sized(1_000_000, 1_000);
    let inputs: Vec<u64> = (0..n).collect();
    let mut g = group(c, "thread_pools", "square");
    g.throughput(Throughput::Elements(n));
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| inputs.iter().map(square_task).collect::<Vec<u64>>())
    });
    for jobs in jobs_sweep() {
        let rayon_jobs = rayon_pool(jobs).expect("a rayon pool");
        g.bench_function(id(RAYON, jobs, n), |b| {
            b.iter(|| rayon_map_in(&rayon_jobs, &inputs, square_task))
        });
        if jobs <= default_jobs() {
            let chunk = default_chunk(inputs.len(), jobs);
            g.bench_function(id(RAYON_MIN_LEN, jobs, n), |b| {
                b.iter(|| {
                    rayon_map_min_len(&rayon_jobs, &inputs, chunk, square_task)
                })
            });
        }
    }
    g.finish();
}

/// `square` as a performance engineer writes it, on the inputs of
/// `overhead`, without its opaque call per element: one loop over the slice
/// serially, and [`square_par`] on rayon. Its own group (`square_slices`),
/// with the same loop on one thread as its baseline.
fn square_slices(c: &mut Criterion) {
    let n = sized(1_000_000, 1_000);
    let inputs: Vec<u64> = (0..n).collect();
    let mut g = group(c, "thread_pools", SQUARE_SLICES_WORKLOAD);
    g.throughput(Throughput::Elements(n));
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| {
            black_box(&inputs)
                .iter()
                .map(|&x| square(x))
                .collect::<Vec<u64>>()
        })
    });
    for jobs in 1..=default_jobs() {
        let pool = rayon_pool(jobs).expect("a rayon pool");
        g.bench_function(id(RAYON_MIN_LEN, jobs, n), |b| {
            b.iter(|| square_par(&pool, black_box(&inputs)))
        });
        let spin = SpinPool::new(jobs);
        g.bench_function(id(FORK_JOIN, jobs, n), |b| {
            b.iter(|| square_spin(&spin, black_box(&inputs)))
        });
    }
    g.finish();
}

/// The memory floor of `square_slices`: the same inputs copied (16 bytes
/// moved per element, as `square` moves) on 1 to J threads of the
/// fork-join pool. A loop that moves that many bytes cannot run faster.
fn copy_floor(c: &mut Criterion) {
    let n = sized(1_000_000, 1_000);
    let inputs: Vec<u64> = (0..n).collect();
    let mut g = group(c, "thread_pools", COPY_WORKLOAD);
    g.throughput(Throughput::Elements(n));
    let one = SpinPool::new(1);
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| copy_spin(&one, black_box(&inputs)))
    });
    for jobs in 2..=default_jobs() {
        let spin = SpinPool::new(jobs);
        g.bench_function(id(FORK_JOIN, jobs, n), |b| {
            b.iter(|| copy_spin(&spin, black_box(&inputs)))
        });
    }
    g.finish();
}

/// What progress reporting costs: `Pool.map` of `driver` (4^10 tasks, the
/// default chunks) with progress off and on (plain lines into a sink: the
/// same counting as in a log), and the worst case, one shared count per task
/// on rayon with `with_min_len`. Paired figures, steadier on a busy machine:
/// `cargo run --release -p thread-pools --example overhead`.
fn progress(c: &mut Criterion) {
    use workloads::progress::Progress;
    let n = sized(1 << 20, 1 << 10); // 4^10
    let inputs: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let jobs = default_jobs();
    let lines =
        || Progress::lines_to("bench", Duration::from_secs(3600), std::io::sink());
    let off = Pool::new(jobs).expect("a pool");
    let on = Pool::builder()
        .jobs(jobs)
        .progress(lines())
        .build()
        .expect("a pool");
    let rayon_jobs = rayon_pool(jobs).expect("a rayon pool");
    let chunk = default_chunk(inputs.len(), jobs);
    let mut g = group(c, "thread_pools", "progress");
    g.throughput(Throughput::Elements(n));
    // The report needs the group's serial baseline.
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| inputs.iter().map(driver_task).collect::<Vec<f64>>())
    });
    g.bench_function(id("Pool.map, progress off", jobs, n), |b| {
        b.iter(|| off.map(0..n, |i| driver_task(&(i as f64))))
    });
    g.bench_function(id("Pool.map, progress on", jobs, n), |b| {
        b.iter(|| on.map(0..n, |i| driver_task(&(i as f64))))
    });
    g.bench_function(id("rayon with_min_len, no progress", jobs, n), |b| {
        b.iter(|| rayon_map_min_len(&rayon_jobs, &inputs, chunk, driver_task))
    });
    g.bench_function(id("rayon with_min_len, record per task", jobs, n), |b| {
        b.iter(|| {
            let tracker = lines().start(Some(n));
            rayon_map_min_len(&rayon_jobs, &inputs, chunk, |x| {
                let y = driver_task(x);
                tracker.add(1, 0);
                y
            })
        })
    });
    g.finish();
}

criterion_group!(
    thread_pools,
    pi,
    pi_streams,
    tiny_tasks,
    driver_vec_group,
    copy_floor,
    overhead,
    square_slices,
    progress
);
criterion_main!(thread_pools);
