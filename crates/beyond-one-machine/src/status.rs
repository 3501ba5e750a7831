//! One progress view for a whole job array, read from its results directory
//! while the shards run: how many tasks are done, how many entries are
//! damaged, and each shard's count. It needs nothing but the directory: the
//! sweep and shard count come from its `sweep.json`, and every entry is
//! checked against its key as `merge` checks it, so a damaged or foreign
//! entry is never counted as done.
//!
//! [`Scan`] keeps what it has seen: a task found done is not read again, so
//! refreshing the view of a big array reads only the entries still missing.
//! The `status` subcommand of the demo binary prints it:
//! `cargo run -p beyond-one-machine -- status --results DIR --watch`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::results::{Entry, Results, ResultsError};
use crate::shard::{Shard, check_count};

/// The shards shown one by one in a line; beyond this, only those not done.
const SHARDS_SHOWN: u64 = 16;
/// More tasks than a directory could hold files for: a damaged record.
const MAX_TASKS: u64 = 1 << 32;

// ANCHOR: array_status
/// The state of one job array, from its results directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayStatus {
    /// Tasks in the sweep.
    pub size: u64,
    /// One count per shard, in shard order.
    pub shards: Vec<ShardStatus>,
}

/// One shard's part of an [`ArrayStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardStatus {
    /// Which shard.
    pub shard: Shard,
    /// Its tasks.
    pub tasks: u64,
    /// Its tasks with an intact result.
    pub done: u64,
    /// Its tasks whose entry is damaged (or another sweep's): failed, to
    /// be recomputed by a rerun of the shard.
    pub damaged: u64,
}
// ANCHOR_END: array_status

impl ArrayStatus {
    /// Tasks with an intact result.
    pub fn done(&self) -> u64 {
        self.shards.iter().map(|s| s.done).sum()
    }

    /// Tasks whose entry is damaged.
    pub fn damaged(&self) -> u64 {
        self.shards.iter().map(|s| s.damaged).sum()
    }

    /// Every task has its result: `merge` will succeed.
    pub fn is_complete(&self) -> bool {
        self.done() == self.size
    }

    /// Shards whose tasks all have their result.
    pub fn shards_done(&self) -> usize {
        self.shards.iter().filter(|s| s.done == s.tasks).count()
    }
}

impl fmt::Display for ArrayStatus {
    /// One line, such as
    /// `[array] 9/13 done (69%), 0 damaged; shards done 1/2: 0 7/7, 1 2/6`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (done, size) = (self.done(), self.size);
        let percent = (done * 100).checked_div(size).unwrap_or(100);
        write!(f, "[array] {done}/{size} done ({percent}%), ")?;
        write!(f, "{} damaged; shards done ", self.damaged())?;
        write!(f, "{}/{}", self.shards_done(), self.shards.len())?;
        let many = self.shards.len() as u64 > SHARDS_SHOWN;
        let shown = self.shards.iter().filter(|s| !many || s.done < s.tasks);
        let parts: Vec<String> = shown
            .map(|s| {
                let damaged = match s.damaged {
                    0 => String::new(),
                    n => format!(" ({n} damaged)"),
                };
                format!("{} {}/{}{damaged}", s.shard.index, s.done, s.tasks)
            })
            .collect();
        if !parts.is_empty() {
            let label = if many { "; not done" } else { "" };
            write!(f, "{label}: {}", parts.join(", "))?;
        }
        Ok(())
    }
}

/// Why a results directory cannot be read as a job array's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    /// The directory is missing, unreadable, or its record is damaged.
    #[error(transparent)]
    Results(#[from] ResultsError),
    /// Its record names an impossible split (no shards, more than tasks).
    #[error("{dir}: its sweep record has {shards} shards for {size} tasks")]
    BadSplit {
        /// The directory.
        dir: PathBuf,
        /// The record's shard count.
        shards: u64,
        /// The record's task count.
        size: u64,
    },
    /// `watch` ran out of time before the array was complete.
    #[error("the array was not complete after {0:?}")]
    TimedOut(Duration),
}

/// A results directory being watched: [`Scan::status`] rereads only the
/// entries not yet found intact.
#[derive(Debug)]
pub struct Scan {
    results: Results,
    size: u64,
    shard_count: u64,
    /// Tasks found intact: an entry, once whole, is only ever replaced whole.
    intact: Vec<bool>,
}

impl Scan {
    /// Opens `dir` (read only); `Ok(None)` while no shard has started.
    pub fn open(dir: &Path) -> Result<Option<Scan>, StatusError> {
        let Some((results, record)) = Results::open_recorded(dir)? else {
            return Ok(None);
        };
        let (size, shard_count) = (record.size, record.shards);
        // A record no shard could have written (or too big to scan).
        let impossible = size > MAX_TASKS || check_count(shard_count, size).is_err();
        if shard_count == 0 || impossible {
            let dir = dir.to_path_buf();
            return Err(StatusError::BadSplit {
                dir,
                shards: shard_count,
                size,
            });
        }
        let intact = vec![false; size as usize];
        Ok(Some(Scan {
            results,
            size,
            shard_count,
            intact,
        }))
    }

    /// The array's state now.
    pub fn status(&mut self) -> ArrayStatus {
        let shards = Shard::all(self.shard_count)
            .map(|shard| {
                let range = shard.range(self.size);
                let tasks = range.end - range.start;
                let (mut done, mut damaged) = (0, 0);
                for task in range {
                    match self.check(task) {
                        Some(true) => done += 1,
                        Some(false) => damaged += 1,
                        None => {}
                    }
                }
                ShardStatus {
                    shard,
                    tasks,
                    done,
                    damaged,
                }
            })
            .collect();
        ArrayStatus {
            size: self.size,
            shards,
        }
    }

    /// `Some(true)` intact, `Some(false)` damaged, `None` absent.
    fn check(&mut self, task: u64) -> Option<bool> {
        let seen = &mut self.intact[task as usize];
        if *seen {
            return Some(true);
        }
        match self.results.get::<serde_json::Value>(task) {
            Entry::Present(_) => {
                *seen = true;
                Some(true)
            }
            Entry::Damaged(_) => Some(false),
            Entry::Absent => None,
        }
    }
}

/// The state of the array in `dir` now; `Ok(None)` while no shard has
/// started (the directory has no `sweep.json` yet).
pub fn array_status(dir: &Path) -> Result<Option<ArrayStatus>, StatusError> {
    Ok(Scan::open(dir)?.map(|mut scan| scan.status()))
}

// ANCHOR: watch
/// Reads the array in `dir` every `every` and calls `show` with its state
/// (`None` while no shard has started), until every task has its result
/// (returns the final state) or `timeout` has passed.
pub fn watch(
    dir: &Path,
    every: Duration,
    timeout: Option<Duration>,
    mut show: impl FnMut(Option<&ArrayStatus>),
) -> Result<ArrayStatus, StatusError> {
    let started = Instant::now();
    let mut scan = None;
    loop {
        if scan.is_none() {
            scan = Scan::open(dir)?;
        }
        let status = scan.as_mut().map(Scan::status);
        show(status.as_ref());
        if let Some(status) = status.filter(ArrayStatus::is_complete) {
            return Ok(status);
        }
        if let Some(limit) = timeout.filter(|&t| started.elapsed() + every > t) {
            return Err(StatusError::TimedOut(limit));
        }
        std::thread::sleep(every);
    }
}
// ANCHOR_END: watch
