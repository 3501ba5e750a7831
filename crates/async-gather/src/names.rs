//! The name of each strategy this chapter measures: one constant used by
//! the demo's table, the benchmarks' ids and the book, so one strategy has
//! one name everywhere. No `/` in a name (it separates a benchmark id's parts).
//!
//! [`Scheduler::name`](crate::Scheduler::name) and
//! [`Placement::name`](crate::Placement::name) return these constants.

/// [`crate::Scheduler::CurrentThread`]: every task on one runtime thread.
pub const CURRENT_THREAD: &str = "current_thread";
/// [`crate::Scheduler::MultiThread`]: tasks on `jobs` runtime threads.
pub const MULTI_THREAD: &str = "multi_thread";
/// [`crate::Scheduler::SpawnBlocking`]: each task on the blocking pool, at
/// most `jobs` threads (the latency example's "two threads" row too).
pub const SPAWN_BLOCKING: &str = "spawn_blocking";
/// [`crate::Scheduler::Rayon`]: each task handed off to a rayon pool
/// ([`crate::hand_off`]).
pub const RAYON_HAND_OFF: &str = "rayon hand-off";
/// [`crate::gather_bounded`]: async tasks, at most `jobs` at a time.
pub const ASYNC_BOUNDED: &str = "async, jobs at a time";
/// [`crate::Gather`]: every async task at once, on one thread.
pub const ASYNC_ALL_AT_ONCE: &str = "async, all at once (1 thread)";
/// [`crate::LocalCluster`]: `map`, then `gather` (dask's futures).
pub const LOCAL_CLUSTER: &str = "LocalCluster map+gather";
/// [`crate::Placement::InAsyncTasks`]: the stall example's pitfall.
pub const CPU_IN_ASYNC_TASKS: &str = "CPU work in async tasks";
/// [`crate::Placement::RayonHandOff`]: the stall example's fix.
pub const CPU_HANDED_TO_RAYON: &str = "CPU work handed to rayon";
