//! Chapter 5 bench: what the cache costs. Hit and `check_in_cache` latency,
//! miss overhead (key + lookup + store, with and without fsync) for a small
//! value and a 1 MiB one, and a cached rerun of a 10-task sweep, serially and
//! through the pools.
//!
//! `cargo bench -p benches --bench caching -- --quick`

use std::hint::black_box;
use std::time::{Duration, Instant};

use benches::{group, id, jobs_sweep, sized};
use caching::names::{CACHED_RAYON, CACHED_SERIAL, CACHED_THREAD_POOLS};
use caching::sweep::{cached_rayon, cached_serial, cached_thread_pool};
use caching::{CachedFn, Durability, Memory};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Serialize;
use serde::de::DeserializeOwned;
use workloads::{SERIAL, TaskSpec, WorkloadKind, square};

/// A fresh cache directory under cargo's target directory, where a project
/// would keep its cache (file creation costs differ a lot between file
/// systems: on some machines `/tmp` is many times slower).
fn cache_dir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary cache")
}

/// Times `iters` misses, each on a new key (a new `u64` from `next`), then
/// deletes the entries they stored, outside the timing.
fn misses<R: Serialize + DeserializeOwned>(
    f: &CachedFn<R>,
    next: &mut u64,
    iters: u64,
    compute: impl Fn(u64) -> R,
) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        *next += 1;
        let k = *next;
        black_box(f.call(&k, || compute(k)));
    }
    let elapsed = start.elapsed();
    f.clear().expect("clearing the bench cache");
    elapsed
}

fn small_value(c: &mut Criterion) {
    let dir = cache_dir();
    let memory = Memory::new(dir.path()).unwrap();
    let f = memory.function::<u64>("square", 0);
    let key = 12_345u64;
    f.call(&key, || square(key));
    let mut g = group(c, "caching", "square");
    g.throughput(Throughput::Elements(1));
    g.bench_function(id(SERIAL, 1, 1), |b| b.iter(|| square(black_box(key))));
    g.bench_function(id("hit", 1, 1), |b| {
        b.iter(|| f.call(black_box(&key), || unreachable!()))
    });
    g.bench_function(id("check_in_cache", 1, 1), |b| {
        b.iter(|| f.check_in_cache(black_box(&key)))
    });
    let mut next = 1u64 << 40;
    g.bench_function(id("miss (store)", 1, 1), |b| {
        b.iter_custom(|iters| misses(&f, &mut next, iters, square))
    });
    let durable = memory.clone().durability(Durability::Fsync);
    let fsynced = durable.function::<u64>("square fsync", 0);
    g.sample_size(20);
    g.bench_function(id("miss (store+fsync)", 1, 1), |b| {
        b.iter_custom(|iters| misses(&fsynced, &mut next, iters, square))
    });
    g.finish();
}

fn one_mib_value(c: &mut Criterion) {
    let dir = cache_dir();
    let memory = Memory::new(dir.path()).unwrap();
    let f = memory.function::<Vec<f64>>("one MiB", 0);
    let value: Vec<f64> = (0..131_072).map(|i| i as f64 * 0.5).collect();
    f.call(&0u64, || value.clone());
    let mut g = group(c, "caching", "1MiB");
    g.throughput(Throughput::Elements(1));
    g.sample_size(20);
    g.bench_function(id(SERIAL, 1, 1), |b| b.iter(|| value.clone()));
    g.bench_function(id("hit", 1, 1), |b| {
        b.iter(|| f.call(black_box(&0u64), || unreachable!()))
    });
    let mut next = 1u64 << 40;
    g.bench_function(id("miss (store)", 1, 1), |b| {
        b.iter_custom(|iters| misses(&f, &mut next, iters, |_| value.clone()))
    });
    g.finish();
}

fn cached_sweep(c: &mut Criterion) {
    let n = 10u64;
    let spec = TaskSpec {
        kind: WorkloadKind::Pi,
        trials: sized(100_000, 1_000),
        scale: 1.0,
        corpus_dir: None,
    };
    let inputs: Vec<u64> = (0..n).collect();
    let dir = cache_dir();
    let memory = Memory::new(dir.path()).unwrap();
    let expected = cached_serial(&memory, &spec, &inputs); // fills the cache
    let mut g = group(c, "caching", WorkloadKind::Pi.name());
    g.throughput(Throughput::Elements(n));
    g.sample_size(20);
    g.bench_function(id(SERIAL, 1, n), |b| {
        b.iter(|| inputs.iter().map(|&i| spec.run(i)).collect::<Vec<_>>())
    });
    g.bench_function(id(CACHED_SERIAL, 1, n), |b| {
        b.iter(|| cached_serial(&memory, &spec, &inputs))
    });
    for jobs in jobs_sweep() {
        g.bench_function(id(CACHED_RAYON, jobs, n), |b| {
            b.iter(|| cached_rayon(&memory, &spec, &inputs, jobs).unwrap())
        });
        g.bench_function(id(CACHED_THREAD_POOLS, jobs, n), |b| {
            b.iter(|| cached_thread_pool(&memory, &spec, &inputs, jobs).unwrap())
        });
    }
    g.finish();
    assert_eq!(
        memory.stats().misses,
        n,
        "every rerun was served from cache"
    );
    assert_eq!(cached_serial(&memory, &spec, &inputs), expected);
}

criterion_group!(caching_benches, small_value, one_mib_value, cached_sweep);
criterion_main!(caching_benches);
