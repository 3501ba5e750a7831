//! The job-array route: every array task runs one [`Shard`] of the sweep with a
//! thread pool inside its node and stores each result in a shared results
//! directory through the caching chapter's [`Memory`]; [`merge`] gathers them
//! and names every shard that has results missing, so it can be re-run.

use std::ops::Range;
use std::path::Path;
use std::time::Instant;

use caching::{CacheError, CachedFn, Memory};
use serde::{Deserialize, Serialize};
use workloads::cli::CommonArgs;
use workloads::{TaskResult, TaskSpec, WorkloadKind};

use crate::shard::Shard;

/// What identifies a sweep in the results directory: everything that changes a
/// task's result. Two runs with the same `Sweep` share their results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// The workload.
    pub workload: WorkloadKind,
    /// Tasks in the sweep (the `files` corpus depends on it).
    pub size: u64,
    /// Trials per π task.
    pub trials: u64,
    /// Factor applied to every sleep.
    pub scale: f64,
}

impl Sweep {
    /// The sweep the shared command-line flags describe.
    pub fn from_args(args: &CommonArgs) -> Sweep {
        Sweep {
            workload: args.workload,
            size: args.size,
            trials: args.trials,
            scale: args.scale,
        }
    }
}

/// Why a shard or a merge failed.
#[derive(Debug, thiserror::Error)]
pub enum ArrayError {
    /// The results directory could not be opened, or a result not stored.
    #[error("results directory: {0}")]
    Results(#[from] CacheError),
    /// A task panicked (its result was not stored; re-running retries it).
    #[error("task {task} panicked: {message}")]
    TaskPanicked {
        /// The task.
        task: u64,
        /// The panic message.
        message: String,
    },
    /// Some results are missing: the shards that produced them must be re-run.
    #[error("{}", missing_message(.missing, .size))]
    Missing {
        /// Tasks in the sweep.
        size: u64,
        /// Every shard with missing results, and which of its tasks are missing.
        missing: Vec<(Shard, Vec<u64>)>,
    },
}

fn missing_message(missing: &[(Shard, Vec<u64>)], size: &u64) -> String {
    let tasks: usize = missing.iter().map(|(_, tasks)| tasks.len()).sum();
    let mut text = format!("{tasks} of {size} results missing");
    for (shard, tasks) in missing {
        let range = shard.range(*size);
        let shown: Vec<String> = tasks.iter().take(8).map(u64::to_string).collect();
        let more = if tasks.len() > 8 { ", ..." } else { "" };
        text += &format!(
            "\n  shard {shard} (tasks {}..{}): {} missing: {}{more}",
            range.start,
            range.end,
            tasks.len(),
            shown.join(", "),
        );
    }
    let ids: Vec<String> =
        missing.iter().map(|(s, _)| s.index.to_string()).collect();
    text += &format!(
        "\nre-run those shards (`shard --shard i/n`, or resubmit array ids {} \
         if the array was --array=0-N); stored results are not recomputed",
        ids.join(",")
    );
    text
}

/// What one shard did, printed as JSON by `shard` so the launcher can read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardSummary {
    /// Which shard.
    pub index: u64,
    /// Of how many.
    pub count: u64,
    /// Its tasks.
    pub tasks: Range<u64>,
    /// How many of them were computed now (the rest were already stored).
    pub computed: u64,
    /// Seconds from opening the results directory to the last result stored.
    pub compute_seconds: f64,
}

// ANCHOR: results
/// The results of sweeps in the directory of `memory`: one cached function,
/// called with `(sweep, task)`, so every shard of every run of the same sweep
/// reads and writes the same entries, and a different sweep never sees them.
pub fn sweep_results(memory: &Memory) -> CachedFn<TaskResult> {
    memory.function("beyond-one-machine/sweep-task", 1)
}
// ANCHOR_END: results

// ANCHOR: run_tasks
/// Runs `tasks` of `spec` on a pool of `jobs` threads (the thread-pools
/// chapter's `run_parallel_step`), results in task order. A panicking task
/// is an error naming it.
pub fn run_tasks(
    spec: &TaskSpec,
    tasks: Range<u64>,
    jobs: usize,
) -> Result<Vec<TaskResult>, ArrayError> {
    let tasks: Vec<u64> = tasks.collect();
    let results =
        thread_pools::run_parallel_step(|&i| spec.run(i), &tasks, jobs, false);
    tasks
        .iter()
        .zip(results)
        .map(|(&task, result)| {
            result.map_err(|e| ArrayError::TaskPanicked {
                task,
                message: e.to_string(),
            })
        })
        .collect()
}
// ANCHOR_END: run_tasks

// ANCHOR: run_shard
/// Runs `shard` of `sweep` on `jobs` threads, storing every result in the
/// results directory `dir`. Tasks whose results are already there are not
/// run again, so a re-submitted shard only does the work that is missing.
pub fn run_shard(
    sweep: &Sweep,
    spec: &TaskSpec,
    shard: Shard,
    jobs: usize,
    dir: &Path,
) -> Result<ShardSummary, ArrayError> {
    let started = Instant::now();
    let results = sweep_results(&Memory::new(dir)?);
    let tasks = shard.range(sweep.size);
    let todo: Vec<u64> = tasks
        .clone()
        .filter(|&task| !results.check_in_cache(&(sweep, task)))
        .collect();
    // Compute and store each missing result; a result that cannot be stored
    // fails the shard, so the array task is seen to fail and is re-run.
    let stored = thread_pools::run_parallel_step(
        |&task| results.put(&(sweep, task), &spec.run(task)),
        &todo,
        jobs,
        false,
    );
    for (&task, outcome) in todo.iter().zip(stored) {
        outcome.map_err(|e| ArrayError::TaskPanicked {
            task,
            message: e.to_string(),
        })??;
    }
    Ok(ShardSummary {
        index: shard.index,
        count: shard.count,
        tasks,
        computed: todo.len() as u64,
        compute_seconds: started.elapsed().as_secs_f64(),
    })
}
// ANCHOR_END: run_shard

// ANCHOR: merge
/// Gathers the results of all `shards` of `sweep` from `dir`, in task order.
/// Any missing result is an [`ArrayError::Missing`] that names its shard:
/// a failed array task is re-run, never silently dropped.
pub fn merge(
    sweep: &Sweep,
    shards: u64,
    dir: &Path,
) -> Result<Vec<TaskResult>, ArrayError> {
    let results = sweep_results(&Memory::open(dir)?);
    let mut merged = Vec::with_capacity(sweep.size as usize);
    let mut missing = Vec::new();
    for shard in Shard::all(shards) {
        let mut absent = Vec::new();
        for task in shard.range(sweep.size) {
            match results.get(&(sweep, task)) {
                Some(result) => merged.push(result),
                None => absent.push(task),
            }
        }
        if !absent.is_empty() {
            missing.push((shard, absent));
        }
    }
    if missing.is_empty() {
        Ok(merged)
    } else {
        Err(ArrayError::Missing {
            size: sweep.size,
            missing,
        })
    }
}
// ANCHOR_END: merge
