//! Chapter 7, the book's crates in a project of your own: a sweep of a
//! two-parameter model over a grid, run serially, on a thread pool or on a
//! process pool (one line changes), every point cached on disk the moment
//! it is done, so a killed sweep resumes where it stopped.
//!
//! # What is here
//! - [`logistic_mean()`]: the model (the long-run mean of the logistic map
//!   `x ← r x (1 − x)`), cached with `caching::cached!`.
//! - [`Point`] and [`grid`]: one run of the model, and the grid of runs.
//! - [`Simulate`]: the model as a named task, so any backend can run it,
//!   worker processes included; [`registry`] lists it for the worker hook.
//! - [`sweep`]: the grid on any [`Executor`]; [`Backend`] and
//!   [`Backend::sweep`]: the one switch between serial, threads and
//!   processes, with progress.
//!
//! Run it with
//! `cargo run --release -p your-own-sweep -- --backend processes --jobs 2`.
#![warn(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use caching::{Memory, cached};
use process_pools::{ProcessPool, Registry};
use serde::{Deserialize, Serialize};
use thread_pools::{Executor, Pool, Progress, Serial, Task, TaskFailure};

/// How many times this process ran the model (not served from the cache):
/// what the tests read to prove a rerun computes nothing.
pub static MODEL_RUNS: AtomicU64 = AtomicU64::new(0);

// ANCHOR: model
cached! {
    #![version = 1]
    /// The mean of `x` over the second half of `steps` iterations of the
    /// logistic map `x ← rate x (1 − x)` from `x = 0.5`: one point of a
    /// bifurcation diagram. Cached: the key is `(rate, steps)` and a
    /// fingerprint of this body.
    pub fn logistic_mean(rate: f64, steps: u32) -> f64 {
        MODEL_RUNS.fetch_add(1, Ordering::Relaxed);
        let mut x = 0.5;
        let mut sum = 0.0;
        for step in 0..steps {
            x = rate * x * (1.0 - x);
            if step >= steps / 2 {
                sum += x;
            }
        }
        sum / f64::from(steps - steps / 2)
    }
}
// ANCHOR_END: model

// ANCHOR: task
/// One run of the model, and where its cache lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The growth rate `r`.
    pub rate: f64,
    /// Iterations of the map.
    pub steps: u32,
    /// The cache directory, shared by every thread and process.
    pub cache: PathBuf,
}

/// The model as a task any backend can run, worker processes included: a
/// type with a name, since a closure cannot be sent to another process.
#[derive(Debug)]
pub struct Simulate;

impl Task for Simulate {
    const NAME: &'static str = "logistic_mean";
    type Input = Point;
    type Output = f64;

    /// Runs where the backend puts it; the result is on disk as soon as
    /// this returns, whichever thread or process ran it.
    fn run(point: Point) -> f64 {
        let memory = Memory::open(&point.cache)
            .unwrap_or_else(|e| panic!("cannot use the cache: {e}"));
        let mean = logistic_mean::call(&memory, point.rate, point.steps);
        // Computed but not stored (a full disk, a directory made read-only)
        // would be computed again after a kill: fail the point instead of
        // losing its work silently.
        assert_eq!(memory.stats().store_failures, 0, "computed, but not stored");
        mean
    }
}

/// The tasks a worker process of this program can run.
pub fn registry() -> Registry {
    Registry::new().with::<Simulate>()
}
// ANCHOR_END: task

// ANCHOR: grid
/// Every `(rate, steps)` pair, rates varying fastest.
pub fn grid(rates: &[f64], steps: &[u32], cache: &Path) -> Vec<Point> {
    steps
        .iter()
        .flat_map(|&steps| {
            rates.iter().map(move |&rate| Point {
                rate,
                steps,
                cache: cache.to_path_buf(),
            })
        })
        .collect()
}

/// `n` rates evenly spaced in `[from, to]`.
pub fn linspace(from: f64, to: f64, n: usize) -> Vec<f64> {
    let step = if n > 1 {
        (to - from) / (n - 1) as f64
    } else {
        0.0
    };
    (0..n).map(|k| from + step * k as f64).collect()
}
// ANCHOR_END: grid

// ANCHOR: sweep
/// The grid on any backend: results in grid order, a failed point is its
/// own error.
pub fn sweep(
    executor: &impl Executor,
    points: Vec<Point>,
) -> Vec<Result<f64, TaskFailure>> {
    executor.run_tasks::<Simulate>(points)
}

/// Where the sweep runs: the one switch (joblib's `backend=`, R's `plan()`).
#[derive(Debug)]
pub enum Backend {
    /// One point after the other, in this thread.
    Serial,
    /// A pool of threads in this process.
    Threads(Pool),
    /// A pool of worker processes (this program, started again).
    Processes(ProcessPool),
}

impl Backend {
    /// Runs the grid on this backend.
    pub fn sweep(&self, points: Vec<Point>) -> Vec<Result<f64, TaskFailure>> {
        match self {
            Backend::Serial => sweep(&Serial, points),
            Backend::Threads(pool) => sweep(pool, points),
            Backend::Processes(pool) => sweep(pool, points),
        }
    }
}
// ANCHOR_END: sweep

// ANCHOR: backend
/// The backend called `name` (`serial`, `threads`, `processes`) with `jobs`
/// workers, reporting progress as `progress` says.
pub fn backend(
    name: &str,
    jobs: usize,
    progress: Progress,
) -> anyhow::Result<Backend> {
    Ok(match name {
        "serial" => Backend::Serial,
        "threads" => {
            let pool = Pool::builder().jobs(jobs).progress(progress);
            Backend::Threads(pool.build()?)
        }
        "processes" => {
            let pool = ProcessPool::builder().workers(jobs).progress(progress);
            Backend::Processes(pool.build()?)
        }
        other => {
            anyhow::bail!("unknown backend `{other}`: serial, threads or processes")
        }
    })
}
// ANCHOR_END: backend
