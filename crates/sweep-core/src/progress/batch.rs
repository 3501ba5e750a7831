//! [`Batch`]: a worker's own count of finished tasks, passed on to its
//! [`Tracker`] every few tasks, so that threads running tiny tasks do not
//! all update one shared counter per task.

use std::time::{Duration, Instant};

use super::tracker::Tracker;

impl Tracker {
    /// A local counter for one worker, passed on to this tracker when
    /// dropped and every few tasks: for runners that count task by task
    /// (rayon's `map_init`), so that threads do not all update one shared
    /// counter for every tiny task. The batch grows (up to [`BATCH`]) while
    /// tasks are quick and shrinks back to one when they are slow, so slow
    /// tasks are still counted as each one ends.
    pub fn batch(&self) -> Batch {
        Batch {
            tracker: self.clone(),
            done: 0,
            failed: 0,
            limit: 1,
            passed: Instant::now(),
        }
    }
}

/// The most tasks a [`Batch`] counts before it passes them on.
pub const BATCH: u64 = 256;

/// A batch passed on sooner than this after the last one grows; later, it
/// shrinks.
const BATCH_EVERY: Duration = Duration::from_millis(10);

/// A worker's own count of finished tasks; see [`Tracker::batch`].
#[derive(Debug)]
pub struct Batch {
    tracker: Tracker,
    done: u64,
    failed: u64,
    /// Tasks counted before they are passed on (1 to [`BATCH`]).
    limit: u64,
    /// When they were last passed on.
    passed: Instant,
}

impl Batch {
    /// One task finished, failed if `result` is an error.
    pub fn record<T, E>(&mut self, result: &Result<T, E>) {
        if !self.tracker.is_on() {
            return;
        }
        self.done += 1;
        self.failed += u64::from(result.is_err());
        if self.done >= self.limit {
            let now = Instant::now();
            self.limit = if now.duration_since(self.passed) < BATCH_EVERY {
                (self.limit * 2).min(BATCH)
            } else {
                (self.limit / 2).max(1)
            };
            self.passed = now;
            self.flush();
        }
    }

    /// Passes the tasks counted so far on to the tracker.
    pub fn flush(&mut self) {
        if self.done > 0 {
            self.tracker.add(self.done, self.failed);
            (self.done, self.failed) = (0, 0);
        }
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.flush();
    }
}
