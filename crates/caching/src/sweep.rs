//! The chapter's sweeps: task `i` of a workload, cached, run serially, on a
//! rayon pool, and resumably (what the `resume` example kills and restarts).
//! [`CachedSweep`] runs the same with progress reporting switched on
//! (`.progress(Progress::auto("sweep"))`); the free functions are the same
//! sweeps without it.

use rayon::prelude::*;
use serde::Serialize;
use sweep_core::jobs::{JobsError, rayon_pool};
use sweep_core::progress::{Progress, Tracker};
use thread_pools::{TaskError, run_parallel_step};
use workloads::{TaskResult, TaskSpec, WorkloadError, WorkloadKind};

use crate::{Memory, cached};

// ANCHOR: task_key
/// What the result of task `i` depends on, and nothing else: the arguments
/// of a cached task's key. A file task is known by its file's *contents*,
/// never by its path, so a corpus regenerated in a fresh temporary directory
/// hits the cache, and an edited file misses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskKey {
    /// The task number.
    pub i: u64,
    /// What else the result depends on, for this workload.
    pub depends_on: DependsOn,
}

/// The part of a [`TaskKey`] that depends on the workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum DependsOn {
    /// `driver(i, 1, 2)`: nothing but `i`.
    Nothing,
    /// `pi_mc(i, trials)`: the number of random points.
    Trials(u64),
    /// A sleep: the factor applied to its duration.
    Scale(f64),
    /// `process_file`: blake3 of the file's bytes.
    Contents(String),
}

impl TaskKey {
    /// The key of task `i` of `spec`; for a file task this reads and hashes
    /// the file (an unreadable file is the task's error, as it would be).
    pub fn new(spec: &TaskSpec, i: u64) -> Result<TaskKey, WorkloadError> {
        let depends_on = match spec.kind {
            WorkloadKind::Driver => DependsOn::Nothing,
            WorkloadKind::Pi => DependsOn::Trials(spec.trials),
            WorkloadKind::Sleep => DependsOn::Scale(spec.scale),
            WorkloadKind::Files => {
                let path = spec.corpus_file(i);
                let bytes = std::fs::read(&path).map_err(|e| WorkloadError::Io {
                    path,
                    message: e.to_string(),
                })?;
                DependsOn::Contents(blake3::hash(&bytes).to_hex().to_string())
            }
        };
        Ok(TaskKey { i, depends_on })
    }
}
// ANCHOR_END: task_key

// ANCHOR: cached_task
cached! {
    #![version = 2]
    /// Task `key.i` of the workload `spec`, cached under `key` alone: `spec`
    /// is `#[ignore]`d, since it holds an incidental path (the corpus
    /// directory) and `key` already says all the result depends on. The
    /// fingerprint sees only this body, not the code of the workloads it
    /// calls: when a workload changes, bump `version`.
    pub fn cached_task(#[ignore] spec: &TaskSpec, key: &TaskKey) -> TaskResult {
        spec.run(key.i)
    }
}

/// Task `i` of `spec` through the cache.
pub fn cached_run(memory: &Memory, spec: &TaskSpec, i: u64) -> TaskResult {
    let key = TaskKey::new(spec, i)?;
    cached_task::call(memory, spec, &key)
}
// ANCHOR_END: cached_task

/// Every task in order, each through the cache.
pub fn cached_serial(
    memory: &Memory,
    spec: &TaskSpec,
    inputs: &[u64],
) -> Vec<TaskResult> {
    inputs
        .iter()
        .map(|&i| cached_run(memory, spec, i))
        .collect()
}

// ANCHOR: cached_rayon
/// joblib's `Parallel(n_jobs)(delayed(cached_f)(x) for x in inputs)`: every
/// task through the cache, on a dedicated rayon pool of `jobs` threads.
/// Results in input order. `jobs = 0` is an error, not every core.
pub fn cached_rayon(
    memory: &Memory,
    spec: &TaskSpec,
    inputs: &[u64],
    jobs: usize,
) -> Result<Vec<TaskResult>, JobsError> {
    let pool = rayon_pool(jobs)?;
    Ok(pool.install(|| {
        inputs
            .par_iter()
            .map(|&i| cached_run(memory, spec, i))
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
    let step = |&i: &u64| cached_run(memory, spec, i);
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
        results.push(cached_run(memory, spec, i));
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

/// The sweeps above (same results, same resumability) with progress
/// reporting: completed tasks, failures, ETA; off unless switched on.
///
/// ```no_run
/// # let (memory, spec): (caching::Memory, workloads::TaskSpec) = todo!();
/// use caching::sweep::CachedSweep;
/// use sweep_core::progress::Progress;
/// let inputs: Vec<u64> = (0..100).collect();
/// let results = CachedSweep::new(&memory, &spec)
///     .progress(Progress::auto("sweep")) // a bar, or lines in a log
///     .rayon(&inputs, 4)?;
/// # Ok::<(), sweep_core::jobs::JobsError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CachedSweep<'a> {
    memory: &'a Memory,
    spec: &'a TaskSpec,
    progress: Progress,
}

impl<'a> CachedSweep<'a> {
    /// The tasks of `spec`, through `memory`, without progress.
    pub fn new(memory: &'a Memory, spec: &'a TaskSpec) -> Self {
        CachedSweep {
            memory,
            spec,
            progress: Progress::Off,
        }
    }

    /// Reports progress as tasks complete (loaded or computed).
    pub fn progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Task `i` through the cache, counted by `tracker`.
    fn run(&self, tracker: &Tracker, i: u64) -> TaskResult {
        let result = cached_run(self.memory, self.spec, i);
        tracker.record(&result);
        result
    }

    /// Every task in order, on the calling thread.
    pub fn serial(&self, inputs: &[u64]) -> Vec<TaskResult> {
        let tracker = self.progress.start(Some(inputs.len() as u64));
        let results = inputs.iter().map(|&i| self.run(&tracker, i)).collect();
        tracker.finish();
        results
    }

    /// Every task on a rayon pool of `jobs` threads; results in input order
    /// (`jobs = 0` is an error, not every core).
    pub fn rayon(
        &self,
        inputs: &[u64],
        jobs: usize,
    ) -> Result<Vec<TaskResult>, JobsError> {
        let pool = rayon_pool(jobs)?;
        let tracker = self.progress.start(Some(inputs.len() as u64));
        let results = pool
            .install(|| inputs.par_iter().map(|&i| self.run(&tracker, i)).collect());
        tracker.finish();
        Ok(results)
    }

    /// Tasks `0..n` one after the other, calling `after_each(i)` once task
    /// `i` is stored (see [`resumable_sweep`]).
    pub fn resumable(&self, n: u64, mut after_each: impl FnMut(u64)) -> SweepRun {
        let before = self.memory.stats();
        let tracker = self.progress.start(Some(n));
        let mut results = Vec::with_capacity(n as usize);
        for i in 0..n {
            results.push(self.run(&tracker, i));
            after_each(i);
        }
        tracker.finish();
        let after = self.memory.stats();
        SweepRun {
            results,
            loaded: after.hits - before.hits,
            computed: after.misses - before.misses,
        }
    }
}

#[cfg(test)]
mod tests {
    use workloads::Workload;

    use super::*;

    /// rayon reads `num_threads(0)` as "every core"; the sweeps refuse it.
    #[test]
    fn zero_jobs_is_an_error_not_every_core() {
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::new(dir.path()).unwrap();
        let workload = Workload::prepare(WorkloadKind::Pi, 2, 10, 1.0).unwrap();
        let (spec, inputs) = (workload.spec(), &workload.inputs());
        let zero = cached_rayon(&memory, spec, inputs, 0);
        assert!(matches!(zero, Err(JobsError::Zero)), "{zero:?}");
        let zero = CachedSweep::new(&memory, spec).rayon(inputs, 0);
        assert!(matches!(zero, Err(JobsError::Zero)), "{zero:?}");
        assert_eq!(cached_rayon(&memory, spec, inputs, 1).unwrap().len(), 2);
    }
}
