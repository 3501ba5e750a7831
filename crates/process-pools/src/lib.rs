//! Chapter 3, process pools: run tasks in other processes, for isolation, crash
//! safety and timeouts, and measure what that costs next to threads.
//!
//! **Linux only.** The pool's promises (no orphan, no recursion) rest on
//! Linux's parent-death signal (`PR_SET_PDEATHSIG`) and process groups.
//!
//! # What is here
//! - [`by_hand`]: the mechanism, minimal and standing alone. The program
//!   re-executes itself as workers; tasks and results travel as JSON lines
//!   over their stdin and stdout; each result carries the worker's pid.
//! - [`ProcessPool`]: the robust pool on the same idea, with a compact binary
//!   encoding. Ordered [`ProcessPool::map`] (one `Result` per task), an
//!   unordered stream ([`ProcessPool::imap_unordered`]), multi-argument tasks,
//!   `chunksize`, a per-task timeout, `max_tasks_per_worker`. Every task runs
//!   at most once, a failure is blamed on its task alone, and no process is
//!   left behind whatever a task does (panic, abort, exit, SIGKILL, hang,
//!   background processes).
//! - [`Task`] and [`Registry`]: a worker runs functions chosen by name from
//!   *your* registry.
//! - [`worker_main_if_requested_with`]: the hook that makes your program a
//!   worker; call it first in `main`. Forgetting it is a clear error
//!   ([`PoolError::NotHooked`]), never a fork bomb.
//! - Conveniences, each a setting of the builder, with its machinery in a
//!   module of its own: a worker initializer ([`PoolBuilder::initializer`],
//!   `init.rs`), opt-in retries ([`PoolBuilder::retries`], `retry.rs`), lazy
//!   bounded submission in order ([`ProcessPool::imap`],
//!   [`PoolBuilder::max_in_flight`], `lazy.rs`), progress
//!   ([`PoolBuilder::progress`], counted in `chunk.rs`),
//!   a memory limit per worker ([`PoolBuilder::max_memory_per_worker`],
//!   `memory.rs`), the thread count of the libraries inside each worker
//!   ([`PoolBuilder::inner_threads`], `inner_threads.rs`), batch sizes
//!   chosen as the pool runs ([`PoolBuilder::auto_chunksize`], `auto.rs`),
//!   what the pool sent ([`ProcessPool::stats`], `stats.rs`), one large
//!   read-only input mapped by every worker instead of copied into every
//!   task ([`SharedInput`], `shared.rs`), and
//!   [`sweep_core::executor::Executor`] for the pool, so one line moves a
//!   sweep between serial, threads and processes (`backend.rs`).
//! - [`demo`]: the demo's tasks and hook (crashing tasks included), used by
//!   the demo, examples, tests and benches only.
//!
//! Modules of the pool, bottom to top (each file uses only those before
//! it): `wire` (the protocol), `error`, `outbox` (a worker's replies),
//! `task` (tasks and the registry), `worker` (the worker side), `stats`
//! (counters), `settings` (the plain settings a pool runs with), `memory` (a
//! worker's memory limit, and how a task that ran into it is recognized),
//! `process` (starting, watching and killing a worker), `init` (the
//! initializer, run in each new worker), `auto` (automatic batch sizes),
//! `chunk` (tasks out, results back), `retry`, `driver` (one thread per
//! worker: blame and retries), `stream` (results), `pool` (start, `map`,
//! chunks), `lazy` (`imap`), `backend` (the `Executor`), `shared` (a shared
//! input), `builder` (every setting, and `build`). [`by_hand`] stands alone
//! on `task`.
//!
//! [`names`]: the name of each strategy, one for the demo, the benchmarks and
//! the book.
//!
//! Run the chapter's demo with
//! `cargo run --release -p process-pools -- --workload pi --size 16 --jobs 2`.
#![warn(missing_docs)]

pub mod names;

#[cfg(not(target_os = "linux"))]
compile_error!(
    "process-pools supports Linux only: its no-orphan and no-recursion \
     guarantees need PR_SET_PDEATHSIG and process groups"
);

mod auto;
mod backend;
mod black_box;
mod builder;
pub mod by_hand;
mod chunk;
#[cfg(feature = "cli")]
pub mod demo;
mod driver;
mod error;
mod init;
mod inner_threads;
mod lazy;
mod memory;
mod outbox;
mod pool;
mod process;
mod retry;
mod settings;
mod shared;
mod stats;
mod stream;
mod task;
mod wire;
mod worker;

pub use builder::PoolBuilder;
pub use error::{PoolError, TaskError, TaskErrorKind};
pub use init::INIT_BACKOFF;
pub use inner_threads::{InnerThreads, THREAD_VARS};
pub use lazy::Imap;
pub use pool::ProcessPool;
pub use shared::{Shared, SharedError, SharedInput, SharedSlice};
pub use stats::PoolStats;
pub use stream::ResultStream;
pub use task::{Registry, Task};
pub use worker::{POOL_WORKER_ARG, worker_main_if_requested_with};
// The backend switch and progress setting, from `sweep-core`, so a program
// using the pool does not have to depend on it.
pub use sweep_core::{Executor, Serial, TaskFailure, progress::Progress};
