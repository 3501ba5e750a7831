//! Chapter 4 bench: what a spawned task costs (spawn + join of `square`
//! tasks), the schedulers compared on `pi`, and 10,000 concurrent 100 ms
//! sleeps gathered (jobs = the runtime's worker threads).
//!
//! `cargo bench -p benches --bench async_gather -- --quick`

use std::hint::black_box;
use std::time::Duration;

use async_gather::{Executor, Scheduler, gather};
use benches::{group, id, jobs_sweep, sized};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::{Builder, Runtime};
use workloads::{SERIAL, WorkloadKind, pi_mc, square};

fn runtime(jobs: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(jobs)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn one_thread() -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Spawn + join overhead: one tiny task per input, gathered in order.
fn spawn_overhead(c: &mut Criterion) {
    let n = sized(10_000, 100);
    let inputs: Vec<u64> = (0..n).collect();
    let mut g = group(c, "async_gather", "square");
    g.throughput(Throughput::Elements(n));
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| {
            inputs
                .iter()
                .map(|&x| square(black_box(x)))
                .collect::<Vec<_>>()
        })
    });
    let tasks = move || (0..n).map(|x| async move { square(black_box(x)) });
    // On a current_thread runtime, block_on polls the gather on the runtime's
    // own thread.
    let rt = one_thread();
    g.bench_function(id("spawn+join current_thread", 1, n), |b| {
        b.iter(|| rt.block_on(gather(tasks())))
    });
    // On a multi_thread runtime, the gather runs in a task of the runtime (as
    // in an async program), so its spawns go to the worker's local queue.
    for jobs in jobs_sweep() {
        let rt = runtime(jobs);
        g.bench_function(id("spawn+join", jobs, n), |b| {
            b.iter(|| rt.block_on(rt.spawn(gather(tasks()))).expect("no panic"))
        });
    }
    // Gathering from outside the runtime: every spawn and every wake-up
    // crosses threads.
    let jobs = workloads::jobs::default_jobs();
    let rt = runtime(jobs);
    g.bench_function(id("spawn+join from outside", jobs, n), |b| {
        b.iter(|| rt.block_on(gather(tasks())))
    });
    g.finish();
}

/// The schedulers on 16 π tasks of 10^6 trials each.
fn schedulers(c: &mut Criterion) {
    let n = 16u64;
    let trials = sized(1_000_000, 1_000);
    let mut g = group(c, "async_gather", WorkloadKind::Pi.name());
    g.throughput(Throughput::Elements(n));
    benches::slow_group(&mut g);
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| (0..n).map(|i| pi_mc(i, trials)).collect::<Vec<_>>())
    });
    for scheduler in Scheduler::ALL {
        let jobs_values = match scheduler {
            Scheduler::CurrentThread => vec![1],
            _ => jobs_sweep(),
        };
        for jobs in jobs_values {
            let executor = Executor::new(scheduler, jobs).expect("a scheduler");
            g.bench_function(id(scheduler.name(), jobs, n), |b| {
                b.iter(|| executor.map(0..n, move |i| pi_mc(i, trials)))
            });
        }
    }
    g.finish();
}

/// 10,000 tasks that each sleep 100 ms, all at once; jobs = runtime threads.
fn concurrent_sleeps(c: &mut Criterion) {
    let n = sized(10_000, 100);
    let nap = Duration::from_millis(sized(100, 1));
    let mut g = group(c, "async_gather", WorkloadKind::Sleep.name());
    g.throughput(Throughput::Elements(n));
    benches::slow_group(&mut g);
    let sleeps = |rt: &Runtime| {
        rt.block_on(gather((0..n).map(|i| async move {
            tokio::time::sleep(nap).await;
            i
        })))
    };
    let rt = one_thread();
    g.bench_function(id("gather current_thread", 1, n), |b| {
        b.iter(|| sleeps(&rt))
    });
    for jobs in jobs_sweep() {
        let rt = runtime(jobs);
        g.bench_function(id("gather", jobs, n), |b| b.iter(|| sleeps(&rt)));
    }
    g.finish();
}

criterion_group!(benches, spawn_overhead, schedulers, concurrent_sleeps);
criterion_main!(benches);
