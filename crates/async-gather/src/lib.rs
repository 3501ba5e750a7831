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
//! - [`TaskGraph`]: dask `delayed` graphs on a cluster: submit a task with
//!   the [`Node`]s it depends on; values are shared (a diamond runs its top
//!   once), and a failure reaches every task downstream, naming the task.
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

// The files, bottom up; each imports only files before it in this list:
// names and task_error (leaves), gather, schedulers, stall, cluster, graph;
// `demo` (with `cli`) stands apart. This file only declares them and re-exports
// their API.
pub mod names;

mod cluster;
#[cfg(feature = "cli")]
pub mod demo;
mod gather;
mod graph;
mod schedulers;
mod stall;
mod task_error;

pub use cluster::{LocalCluster, ShutdownError, TaskHandle, ThreadCount};
pub use gather::{Gather, for_each_bounded, gather, gather_bounded};
pub use graph::{Cause, GraphError, Inputs, Node, TaskGraph};
pub use schedulers::{BuildError, Executor, Scheduler, hand_off, rayon_pool};
pub use stall::{Lateness, Placement, StallRun, measure_stall};
pub use task_error::{TaskError, all_ok};
