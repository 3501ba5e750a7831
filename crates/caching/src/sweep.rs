//! The chapter's sweeps: task `i` of a workload, cached, run serially, on a
//! rayon pool, and resumably (what the `resume` example kills and restarts).

use rayon::prelude::*;
use thread_pools::{TaskError, run_parallel_step};
use workloads::{TaskResult, TaskSpec};

use crate::{Memory, cached};

// ANCHOR: cached_task
cached! {
    #![version = 1]
    /// Task `i` of the workload `spec`. The fingerprint sees only this body,
    /// not the code of the workloads it calls: when a workload changes, bump
    /// `version`.
    pub fn cached_task(spec: &TaskSpec, i: u64) -> TaskResult {
        spec.run(i)
    }
}
// ANCHOR_END: cached_task

// ANCHOR: cached_serial
/// Every task in order, each through the cache.
pub fn cached_serial(
    memory: &Memory,
    spec: &TaskSpec,
    inputs: &[u64],
) -> Vec<TaskResult> {
    inputs
        .iter()
        .map(|&i| cached_task::call(memory, spec, i))
        .collect()
}
// ANCHOR_END: cached_serial

// ANCHOR: cached_rayon
/// joblib's `Parallel(n_jobs)(delayed(cached_f)(x) for x in inputs)`: every
/// task through the cache, on a dedicated rayon pool of `jobs` threads.
/// Results in input order.
pub fn cached_rayon(
    memory: &Memory,
    spec: &TaskSpec,
    inputs: &[u64],
    jobs: usize,
) -> Result<Vec<TaskResult>, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    Ok(pool.install(|| {
        inputs
            .par_iter()
            .map(|&i| cached_task::call(memory, spec, i))
            .collect()
    }))
}
// ANCHOR_END: cached_rayon

// ANCHOR: cached_thread_pool
/// The same with the thread-pools chapter's joblib-style helper: every task
/// through the cache on `jobs` threads. A task that panicked is an error
/// (the first one, in input order).
pub fn cached_thread_pool(
    memory: &Memory,
    spec: &TaskSpec,
    inputs: &[u64],
    jobs: usize,
) -> Result<Vec<TaskResult>, TaskError> {
    let step = |&i: &u64| cached_task::call(memory, spec, i);
    run_parallel_step(step, inputs, jobs, false)
        .into_iter()
        .collect()
}
// ANCHOR_END: cached_thread_pool

/// What a (possibly resumed) sweep did.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRun {
    /// The results, in task order.
    pub results: Vec<TaskResult>,
    /// Tasks loaded from the cache.
    pub loaded: u64,
    /// Tasks computed (and stored).
    pub computed: u64,
}

// ANCHOR: resumable
/// Runs tasks `0..n` one after the other through the cache, calling
/// `after_each(i)` once task `i` is stored: a sweep that, killed at any
/// point, loses at most the task it was running.
pub fn resumable_sweep(
    memory: &Memory,
    spec: &TaskSpec,
    n: u64,
    mut after_each: impl FnMut(u64),
) -> SweepRun {
    let before = memory.stats();
    let mut results = Vec::with_capacity(n as usize);
    for i in 0..n {
        results.push(cached_task::call(memory, spec, i));
        after_each(i);
    }
    let after = memory.stats();
    SweepRun {
        results,
        loaded: after.hits - before.hits,
        computed: after.misses - before.misses,
    }
}
// ANCHOR_END: resumable
