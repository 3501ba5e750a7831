//! Chapter 2, thread pools: run independent tasks on several threads of one
//! process, get every result back in input order, and survive a task that
//! panics.
//!
//! # What is here
//! - The mechanism: [`scoped_map`], one chunk of the input per thread with
//!   `std::thread::scope`, borrowing the input without `Arc`.
//! - A worker pool by hand with `crossbeam-channel`: [`channel_map`] (one
//!   message per task), [`channel_completed`] (results in completion order,
//!   tagged with the task index and the worker that ran it) and
//!   [`channel_map_chunked`] (one message per chunk of tasks).
//! - rayon, what you actually use: [`rayon_map`] (`par_iter().map().collect()`),
//!   [`rayon_pool`] + [`rayon_map_in`] (a pool of exactly `jobs` threads),
//!   [`rayon_map_min_len`] (batches of tiny tasks), [`rayon_map_init`]
//!   (per-worker state), [`rayon_map_results`] (a panic becomes a per-task
//!   error) and [`rayon_all_or_nothing`] (rayon's default: one panic loses the
//!   whole map).
//! - [`Pool`]: Python's `multiprocessing.Pool` vocabulary on one type —
//!   [`Pool::map`], [`Pool::map_async`] + [`MapHandle::wait`] or
//!   [`MapHandle::get`] with a timeout, [`Pool::starmap`], and the lazy,
//!   bounded [`Pool::imap`] and [`Pool::imap_unordered`]; [`PoolBuilder`]
//!   adds a worker initializer, retries, `chunksize`, `max_in_flight` and
//!   progress.
//! - [`Backend`]: one switch between serial and threads for a named
//!   [`Task`] (processes implement the same [`Executor`] trait, from
//!   `sweep-core`, re-exported here).
//! - [`run_parallel_step`]: joblib's `Parallel(n_jobs, verbose)(delayed(step)(p)
//!   for p in parameters)`, with a progress bar on stderr.
//!
//! A panicking task never takes the caller down or loses the other results in
//! [`Pool`], [`rayon_map_results`] and [`run_parallel_step`]: its slot holds a
//! [`TaskError`] naming the task index and the panic message. The mechanism
//! functions ([`scoped_map`], `channel_*`, plain `rayon_*`) behave like `std`
//! and rayon: a panic in a task is re-raised in the caller once every thread
//! has stopped.
//!
//! [`names`]: the name of each strategy, one for the demo, the benchmarks and
//! the book.
//!
//! Run the chapter's demo with
//! `cargo run --release -p thread-pools -- --workload pi --size 16 --jobs 2`.
#![warn(missing_docs)]

pub mod names;

mod backend;
mod builder;
mod channel;
mod imap;
mod job;
mod joblib;
mod pool;
mod rayon_ways;
mod scoped;

pub use backend::Backend;
pub use builder::PoolBuilder;
pub use channel::{
    Completed, channel_completed, channel_map, channel_map_chunked, default_chunk,
};
pub use imap::{Imap, Unordered};
pub use joblib::run_parallel_step;
pub use pool::{MapHandle, NotReady, Pool, StarFn};
pub use rayon_ways::{
    rayon_all_or_nothing, rayon_map, rayon_map_in, rayon_map_init,
    rayon_map_min_len, rayon_map_results, rayon_pool,
};
pub use scoped::scoped_map;
// What a program using this crate needs from `sweep-core`, so that it does
// not have to depend on it: the progress switch, the backend traits and the
// error of a pool of zero threads.
pub use sweep_core::jobs::JobsError;
pub use sweep_core::{Executor, Serial, Task, TaskFailure, progress::Progress};

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};
use sweep_core::panic_message;

// ANCHOR: task_error
/// A task that panicked: which one, and what it said. The other tasks of the
/// same map are unaffected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("task {index} panicked: {message}{}", attempts_note(self.earlier_attempts()))]
pub struct TaskError {
    /// Position of the task in the input.
    pub index: usize,
    /// The panic message (or a note when the panic carried no text).
    pub message: String,
    /// With retries: the messages of the attempts before the last. Boxed,
    /// so that a result slot stays as small as without retries (a map of
    /// 10^6 tiny tasks moves every slot several times).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(clippy::box_collection)] // a thin pointer: 8 bytes, not 24
    earlier: Option<Box<Vec<String>>>,
}
// ANCHOR_END: task_error

impl TaskError {
    /// Task `index` panicked with `message`, on its only attempt.
    pub fn new(index: usize, message: impl Into<String>) -> Self {
        TaskError {
            index,
            message: message.into(),
            earlier: None,
        }
    }

    /// With retries ([`PoolBuilder::retries`]): the messages of the attempts
    /// before the last, oldest first. Empty when the task ran once.
    pub fn earlier_attempts(&self) -> &[String] {
        self.earlier.as_deref().map_or(&[], Vec::as_slice)
    }

    /// This error, after the failed `attempts` before it.
    pub(crate) fn after(mut self, attempts: Vec<String>) -> Self {
        self.earlier = (!attempts.is_empty()).then(|| Box::new(attempts));
        self
    }
}

/// Why a pool could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// `jobs` was 0: a pool needs at least one worker.
    #[error("a pool needs at least one worker, got jobs = 0")]
    ZeroJobs,
    /// The operating system refused to start a worker thread.
    #[error("could not start a worker thread: {0}")]
    Spawn(#[from] std::io::Error),
    /// rayon could not build its thread pool.
    #[error("could not build the rayon pool: {0}")]
    Rayon(#[from] rayon::ThreadPoolBuildError),
    /// The worker initializer failed (returned an error or panicked) on a
    /// worker; no task ran.
    #[error("the initializer failed on worker {worker}: {message}")]
    Initializer {
        /// The worker, `0..jobs`.
        worker: usize,
        /// What the initializer returned or panicked with.
        message: String,
    },
    /// A setting that makes no sense (`chunksize(0)`, `max_in_flight(0)`).
    #[error("invalid pool setting: {0}")]
    Invalid(&'static str),
}

/// How [`TaskError`] shows the earlier attempts of a retried task.
fn attempts_note(attempts: &[String]) -> String {
    if attempts.is_empty() {
        return String::new();
    }
    format!(
        " (after {} earlier failed attempt(s): {})",
        attempts.len(),
        attempts.join("; ")
    )
}

// ANCHOR: run_task
/// Runs task `index` and turns a panic into a [`TaskError`], so one bad task
/// cannot take down its worker or the caller.
pub(crate) fn run_task<U>(
    index: usize,
    task: impl FnOnce() -> U,
) -> Result<U, TaskError> {
    catch_unwind(AssertUnwindSafe(task))
        .map_err(|payload| TaskError::new(index, panic_message(payload.as_ref())))
}

// ANCHOR_END: run_task

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_error_names_the_index_and_message() {
        let err = run_task(3, || -> u8 { panic!("bad input {}", 7) }).unwrap_err();
        assert_eq!(err, TaskError::new(3, "bad input 7"));
        assert_eq!(err.to_string(), "task 3 panicked: bad input 7");
        assert_eq!(run_task(0, || 5), Ok(5));
        let boxed = run_task(1, || std::panic::panic_any(42_u32)).unwrap_err();
        assert_eq!(boxed.message, "panic with a non-text payload");
    }
}
