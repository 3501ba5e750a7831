//! The job-array route: every array task runs one [`Shard`] of a [`Sweep`]
//! with a thread pool inside its node and stores each result in a shared
//! [`Results`] directory; [`merge`] gathers them and names every shard that
//! has results missing, with the array ids to resubmit.

use std::ops::Range;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sweep_core::progress::Progress;

use crate::results::{Entry, Results, ResultsError, SweepRecord};
use crate::shard::{Shard, ShardError, check_count};
use crate::sweep::Sweep;

/// Why a shard or a merge failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArrayError {
    /// The shard count does not fit the sweep.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// The results directory could not be used, or a result not stored.
    #[error("results directory: {0}")]
    Results(#[from] ResultsError),
    /// A task panicked (its result was not stored; re-running retries it).
    #[error("task {task} panicked: {message}")]
    TaskPanicked {
        /// The task.
        task: u64,
        /// The panic message.
        message: String,
    },
    /// Some results are missing: the shards that produced them must be re-run.
    #[error("{}", missing_message(.missing, .damaged, *.size))]
    Missing {
        /// Tasks in the sweep.
        size: u64,
        /// Every shard with missing results, and which of its tasks are missing.
        missing: Vec<(Shard, Vec<u64>)>,
        /// The missing tasks whose entry is there but damaged, and why.
        damaged: Vec<(u64, String)>,
    },
}

impl ArrayError {
    /// For [`ArrayError::Missing`]: the array ids to resubmit, `1,3`.
    pub fn resubmit_ids(&self) -> Option<String> {
        let ArrayError::Missing { missing, .. } = self else {
            return None;
        };
        Some(missing_ids(missing))
    }
}

fn missing_message(
    missing: &[(Shard, Vec<u64>)],
    damaged: &[(u64, String)],
    size: u64,
) -> String {
    let tasks: usize = missing.iter().map(|(_, tasks)| tasks.len()).sum();
    let mut text = format!("{tasks} of {size} results missing");
    for (shard, tasks) in missing {
        let range = shard.range(size);
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
    for (task, why) in damaged.iter().take(8) {
        text += &format!("\n  task {task}: {why}");
    }
    if damaged.len() > 8 {
        text += &format!("\n  ... and {} more damaged", damaged.len() - 8);
    }
    text += &format!("\narray ids to resubmit: {}", missing_ids(missing));
    text
}

fn missing_ids(missing: &[(Shard, Vec<u64>)]) -> String {
    let ids: Vec<String> =
        missing.iter().map(|(s, _)| s.index.to_string()).collect();
    ids.join(",")
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

/// The record of `sweep` split into `shards`, checked against the directory.
fn record<S: Sweep>(sweep: &S, shards: u64) -> Result<SweepRecord, ArrayError> {
    check_count(shards, sweep.size())?;
    let value =
        serde_json::to_value(sweep).map_err(|source| ResultsError::Encode {
            what: "the sweep",
            source,
        })?;
    Ok(SweepRecord {
        sweep: value,
        size: sweep.size(),
        shards,
    })
}

/// Runs `tasks` of `sweep` on a pool of `jobs` threads (the thread-pools
/// chapter's `run_parallel_step`), results in task order. A panicking task
/// is an error naming it.
pub fn run_tasks<S: Sweep>(
    sweep: &S,
    tasks: Range<u64>,
    jobs: usize,
) -> Result<Vec<S::Output>, ArrayError> {
    let tasks: Vec<u64> = tasks.collect();
    let results =
        thread_pools::run_parallel_step(|&i| sweep.run(i), &tasks, jobs, false);
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

// ANCHOR: run_shard
/// Runs `shard` of `sweep` on `jobs` threads, storing every result in the
/// results directory `dir`. Tasks whose results are stored intact are not
/// run again, so a resubmitted shard does only the work that is missing
/// (damaged entries included). Quiet; [`run_shard_with_progress`] reports.
pub fn run_shard<S: Sweep>(
    sweep: &S,
    shard: Shard,
    jobs: usize,
    dir: &Path,
) -> Result<ShardSummary, ArrayError> {
    run_shard_with_progress(sweep, shard, jobs, dir, &Progress::Off)
}

/// [`run_shard`], counting each task computed now (stored, or failed) on
/// `progress`: in a Slurm job's log, plain lines such as
/// `[shard 1/4] 300/1024 done (29%), 4.1 s elapsed, ETA 10.0 s`.
pub fn run_shard_with_progress<S: Sweep>(
    sweep: &S,
    shard: Shard,
    jobs: usize,
    dir: &Path,
    progress: &Progress,
) -> Result<ShardSummary, ArrayError> {
    let started = Instant::now();
    let results = Results::create(dir, &record(sweep, shard.count)?)?;
    let tasks = shard.range(sweep.size());
    let todo: Vec<u64> = tasks
        .clone()
        .filter(|&task| !matches!(results.get::<S::Output>(task), Entry::Present(_)))
        .collect();
    let tracker = progress.start(Some(todo.len() as u64));
    // Compute and store each missing result; a result that cannot be stored
    // fails the shard, so the array task is seen to fail and is re-run.
    let stored = thread_pools::run_parallel_step(
        |&task| {
            let stored = results.put(task, &sweep.run(task));
            tracker.record(&stored); // completed: stored, or failed to
            stored
        },
        &todo,
        jobs,
        false,
    );
    let panicked = stored.iter().filter(|outcome| outcome.is_err()).count() as u64;
    tracker.add(panicked, panicked); // a panic skipped `record`
    tracker.finish();
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
/// Gathers the results of all `shards` of `sweep` from `dir`, in task order,
/// reading only (`dir` may be read-only). Any missing or damaged result is
/// an [`ArrayError::Missing`] that names its shard: a failed array task is
/// re-run, never silently dropped.
pub fn merge<S: Sweep>(
    sweep: &S,
    shards: u64,
    dir: &Path,
) -> Result<Vec<S::Output>, ArrayError> {
    let results = Results::open(dir, &record(sweep, shards)?)?;
    let mut merged = Vec::new();
    let (mut missing, mut damaged) = (Vec::new(), Vec::new());
    for shard in Shard::all(shards) {
        let mut absent = Vec::new();
        for task in shard.range(sweep.size()) {
            match results.get(task) {
                Entry::Present(result) => merged.push(result),
                Entry::Absent => absent.push(task),
                Entry::Damaged(why) => {
                    absent.push(task);
                    damaged.push((task, why));
                }
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
            size: sweep.size(),
            missing,
            damaged,
        })
    }
}
// ANCHOR_END: merge
