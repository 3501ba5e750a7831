//! Chapter 3, process pools: run tasks in other processes, for isolation, crash
//! safety and timeouts, and measure what that costs next to threads.
//!
//! # What is here
//! - [`by_hand`]: the mechanism, minimal. The program re-executes itself as
//!   workers; tasks and results travel as JSON lines over their stdin and
//!   stdout; each result carries the worker's process id.
//! - [`ProcessPool`]: the robust pool on the same idea, with a compact binary
//!   encoding. Ordered [`ProcessPool::map`] (one `Result` per task), an
//!   unordered stream ([`ProcessPool::imap_unordered`]), multi-argument tasks,
//!   `chunksize`, a per-task timeout, `max_tasks_per_worker`, and no hang and
//!   no leftover process whatever a task does (panic, abort, exit, SIGKILL,
//!   hang).
//! - [`Task`] and [`Registry`]: a worker runs functions chosen by name from its
//!   registry. [`tasks`] holds the ones the demo, examples, tests and benches
//!   use.
//! - [`worker_main_if_requested`]: the hook that makes any program a worker;
//!   call it first in `main`.
//!
//! Run the chapter's demo with
//! `cargo run --release -p process-pools -- --workload pi --size 16 --jobs 2`.
#![warn(missing_docs)]

pub mod by_hand;
mod pool;
mod task;
pub mod tasks;
mod wire;
mod worker;

pub use pool::{PoolBuilder, PoolError, ProcessPool, ResultStream, TaskError};
pub use task::{Registry, Task};
pub use worker::{
    BY_HAND_WORKER_ARG, POOL_WORKER_ARG, worker_main_if_requested,
    worker_main_if_requested_with,
};
