//! Chapter 4, async scatter/gather with tokio: the dask `delayed` + `compute`
//! and `LocalCluster` + `Client` patterns, and where async is (and is not) the
//! right tool.
//!
//! # What is here
//! - [`Gather`] and [`gather`]: spawn one task per input on a `JoinSet` and
//!   collect the results in input order ([`Gather::in_order`]) or as they
//!   complete ([`Gather::next_completed`]); per-task timeouts; a panic is one
//!   task's error; dropping a gather aborts its outstanding tasks.
//! - [`for_each_bounded`] and [`gather_bounded`]: at most `limit` tasks in
//!   flight, pulling inputs lazily (back-pressure).
//! - [`hand_off`]: run CPU work on a rayon pool and await its result over a
//!   oneshot channel, so it never blocks the runtime.
//! - [`Scheduler`] and [`Executor`]: the same map on a `current_thread`
//!   runtime, a `multi_thread` runtime, `spawn_blocking` and the rayon hand-off.
//! - [`LocalCluster`]: a runtime plus a CPU pool with `submit`, `map`, `gather`
//!   and `shutdown(timeout)`, shut down on drop.
//! - [`measure_stall`]: how late a ticker task runs while CPU work runs inside
//!   async tasks or on the rayon pool.
//!
//! Not part of the library: `demo` (with the `cli` feature only), the demo
//! workloads' tasks written for async code.
//!
//! [`names`]: the name of each strategy, one for the demo, the benchmarks and
//! the book.
//!
//! Run the chapter's demo with
//! `cargo run --release -p async-gather -- --workload sleep --size 5 --jobs 2`.
#![warn(missing_docs)]

pub mod names;

mod cluster;
#[cfg(feature = "cli")]
pub mod demo;
mod gather;
mod schedulers;
mod stall;

pub use cluster::{LocalCluster, ShutdownError, TaskHandle, ThreadCount};
pub use gather::{Gather, for_each_bounded, gather, gather_bounded};
pub use schedulers::{BuildError, Executor, Scheduler, hand_off, rayon_pool};
pub use stall::{Lateness, Placement, StallRun, measure_stall};

use std::time::Duration;

use sweep_core::panic_message;

/// Why one task of a gather has no result. The other tasks are not affected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// The task ran longer than its per-task timeout and was stopped.
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
    /// The task panicked; the panic message.
    #[error("panicked: {0}")]
    Panicked(String),
    /// The task was cancelled (its runtime or pool shut down) before it
    /// finished.
    #[error("cancelled before it finished")]
    Cancelled,
}

/// Turns per-task results into all results or the first error (in input
/// order), for comparison with a serial run.
pub fn all_ok<T>(results: Vec<Result<T, TaskError>>) -> Result<Vec<T>, TaskError> {
    results.into_iter().collect()
}
