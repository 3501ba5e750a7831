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
//! - [`with_inner_threads`]: rayon nested inside a task of a thread pool,
//!   on a small pool of the task's thread ([`inner_threads`]: `max(1,
//!   cores / jobs)`), so nested work does not oversubscribe the cores.
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

// The files, bottom up; each imports only files before it in this list:
// task_error, pool_error, scoped, channel, names, nested (leaves); rayon_ways,
// joblib; job, workers (the pool's threads and queue), builder, imap,
// pool/star, pool/handle, pool (the `multiprocessing.Pool` methods);
// backend. This file only declares them and re-exports their API.
pub mod names;

mod backend;
mod builder;
mod channel;
mod imap;
mod job;
mod joblib;
mod nested;
mod pool;
mod pool_error;
mod rayon_ways;
mod scoped;
mod task_error;
mod workers;

pub use backend::Backend;
pub use builder::PoolBuilder;
pub use channel::{
    Completed, channel_completed, channel_map, channel_map_chunked, default_chunk,
};
pub use imap::{Imap, Unordered};
pub use joblib::run_parallel_step;
pub use nested::{inner_threads, with_inner_threads};
pub use pool::{MapHandle, NotReady, StarFn};
pub use pool_error::PoolError;
pub use rayon_ways::{
    rayon_all_or_nothing, rayon_map, rayon_map_in, rayon_map_init,
    rayon_map_min_len, rayon_map_results, rayon_pool,
};
pub use scoped::scoped_map;
pub use task_error::TaskError;
pub use workers::Pool;
// What a program using this crate needs from `sweep-core`, so that it does
// not have to depend on it: the progress switch, the backend traits and the
// error of a pool of zero threads.
pub use sweep_core::jobs::JobsError;
pub use sweep_core::{Executor, Serial, Task, TaskFailure, progress::Progress};
