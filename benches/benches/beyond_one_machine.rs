//! Chapter 6 bench: what going beyond one machine costs, measured on one.
//!
//! - `beyond_one_machine/pi`: 16 `pi` tasks, serial, on the in-node thread
//!   pool, as a simulated job array (2 and 4 shard processes into a fresh
//!   results directory, then the merge; process start-up included), and on a
//!   timely cluster: 1 process × 2 workers in this process, the same spawned as
//!   a process, and 2 processes × 1 worker over loopback TCP.
//! - `beyond_one_machine/startup`: the per-shard start-up cost of a job array:
//!   one shard of one trivial task, as a process (spawn, open the results
//!   directory, store, exit) and in this process (open and store only).
//!
//! `cargo bench -p benches --bench beyond_one_machine -- --quick`
//!
//! The shards and timely processes are this bench binary itself, re-executed:
//! `main` calls `beyond_one_machine::local::child_main_if_requested()` before
//! criterion starts, so the bench runs the same under `cargo bench` and
//! `cargo test --benches` with no other binary built first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use benches::{group, id, sized, slow_group};
use beyond_one_machine::DemoSweep;
use beyond_one_machine::array;
use beyond_one_machine::cluster::{ClusterOptions, run_cluster};
use beyond_one_machine::local::{launch_array, launch_cluster};
use beyond_one_machine::names::{JOB_ARRAY, THREAD_POOL, TimelyRoute, timely};
use beyond_one_machine::shard::Shard;
use criterion::{Criterion, Throughput, criterion_group};
use workloads::{SERIAL, TaskResult, WorkloadKind};

/// Threads in the node: the thread pool, and timely's workers in total.
const JOBS: usize = 2;

/// No child process may run longer than this.
const TIMEOUT: Duration = Duration::from_secs(120);

/// How long timely's processes wait for each other to connect.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

fn sweep(workload: WorkloadKind, size: u64, trials: u64) -> Arc<DemoSweep> {
    Arc::new(DemoSweep::new(workload, size, trials, 1.0).expect("a workload"))
}

fn serial(sweep: &DemoSweep) -> Vec<TaskResult> {
    let workload = sweep.workload();
    workload.inputs().iter().map(|&i| workload.run(i)).collect()
}

fn fresh_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("ppr-bench-results-")
        .tempdir()
        .expect("a results directory")
}

/// A simulated job array: `shards` shard processes of one thread each into a
/// fresh results directory, then the merge.
fn job_array(
    sweep: &DemoSweep,
    shards: u64,
    dir: &std::path::Path,
) -> Vec<TaskResult> {
    launch_array(sweep, shards, 1, dir, TIMEOUT).expect("every shard succeeds");
    array::merge(sweep, shards, dir).expect("no result missing")
}

/// Times `run` on a fresh results directory per iteration; creating and
/// removing the directory is not timed.
fn time_fresh(iters: u64, mut run: impl FnMut(&std::path::Path)) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let dir = fresh_dir();
        let start = Instant::now();
        run(dir.path());
        total += start.elapsed();
    }
    total
}

fn timely_in_process(sweep: &Arc<DemoSweep>) -> Vec<TaskResult> {
    let config = timely::Config::process(JOBS);
    let options = ClusterOptions::new(CONNECT_TIMEOUT, CONNECT_TIMEOUT, 0);
    run_cluster(config, Arc::clone(sweep), &options)
        .expect("the cluster runs")
        .expect("worker 0 is in this process")
}

fn timely_spawned(
    sweep: &DemoSweep,
    processes: u64,
    workers: u64,
) -> Vec<TaskResult> {
    launch_cluster(sweep, processes, workers, TIMEOUT, CONNECT_TIMEOUT)
        .expect("the cluster runs")
}

/// Every route on the same sweep, start-up included.
fn routes(c: &mut Criterion) {
    let n = sized(16, 4);
    // The same π tasks as every other chapter's bench: 16 × 10^6 trials. An
    // unoptimised build (`cargo test --benches` runs each benchmark once in
    // the debug profile) uses fewer, to stay fast; it measures nothing.
    let trials = if cfg!(debug_assertions) {
        sized(100_000, 1_000)
    } else {
        sized(1_000_000, 1_000)
    };
    let sweep = sweep(WorkloadKind::Pi, n, trials);
    let expected = serial(&sweep);

    // Every route must give the serial results before it is timed.
    let pool = |jobs| array::run_tasks(&*sweep, 0..n, jobs).expect("no panic");
    assert_eq!(pool(JOBS), expected, "thread pool");
    let shard_counts = [2, 4];
    for shards in shard_counts {
        let dir = fresh_dir();
        assert_eq!(
            job_array(&sweep, shards, dir.path()),
            expected,
            "{shards} shards"
        );
    }
    assert_eq!(timely_in_process(&sweep), expected, "timely 1x2");
    assert_eq!(timely_spawned(&sweep, 1, 2), expected, "timely 1x2 spawned");
    assert_eq!(timely_spawned(&sweep, 2, 1), expected, "timely 2x1");

    let mut g = group(c, "beyond_one_machine", WorkloadKind::Pi.name());
    slow_group(&mut g);
    g.throughput(Throughput::Elements(n));
    g.bench_function(id(SERIAL, 1, n), |b| b.iter(|| serial(&sweep)));
    g.bench_function(id(THREAD_POOL, JOBS, n), |b| b.iter(|| pool(JOBS)));
    for shards in shard_counts {
        // One thread per shard: `jobs` is the number of shard processes.
        g.bench_function(id(JOB_ARRAY, shards as usize, n), |b| {
            b.iter_custom(|iters| {
                time_fresh(iters, |dir| {
                    job_array(&sweep, shards, dir);
                })
            })
        });
    }
    g.bench_function(id(&timely(1, 2, TimelyRoute::InProcess), JOBS, n), |b| {
        b.iter(|| timely_in_process(&sweep))
    });
    g.bench_function(id(&timely(1, 2, TimelyRoute::Spawned), JOBS, n), |b| {
        b.iter(|| timely_spawned(&sweep, 1, 2))
    });
    g.bench_function(id(&timely(2, 1, TimelyRoute::Tcp), JOBS, n), |b| {
        b.iter(|| timely_spawned(&sweep, 2, 1))
    });
    g.finish();
}

/// The per-shard start-up cost: one shard process of one trivial task, so
/// its time is essentially spawn, open the results directory, store, exit.
fn startup(c: &mut Criterion) {
    let sweep = sweep(WorkloadKind::Driver, 1, 1);
    let expected = serial(&sweep);
    let only = Shard::new(0, 1).expect("shard 0/1");
    let in_process = |dir: &std::path::Path| {
        array::run_shard(&*sweep, only, 1, dir).expect("stored");
    };
    let dir = fresh_dir();
    assert_eq!(job_array(&sweep, 1, dir.path()), expected, "shard process");
    let dir = fresh_dir();
    in_process(dir.path());
    assert_eq!(array::merge(&*sweep, 1, dir.path()).unwrap(), expected);

    let mut g = group(c, "beyond_one_machine", "startup");
    slow_group(&mut g);
    g.throughput(Throughput::Elements(1));
    g.bench_function(id(SERIAL, 1, 1), |b| b.iter(|| serial(&sweep)));
    g.bench_function(id("shard in this process (open + store)", 1, 1), |b| {
        b.iter_custom(|iters| time_fresh(iters, in_process))
    });
    g.bench_function(
        id("shard process (spawn + open + store + exit)", 1, 1),
        |b| {
            b.iter_custom(|iters| {
                time_fresh(iters, |dir| {
                    launch_array(&sweep, 1, 1, dir, TIMEOUT)
                        .expect("the shard succeeds");
                })
            })
        },
    );
    g.finish();
}

criterion_group!(benches, routes, startup);

fn main() {
    // A shard or timely process started by this bench runs here and exits.
    beyond_one_machine::local::child_main_if_requested();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
