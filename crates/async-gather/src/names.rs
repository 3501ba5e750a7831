//! The name of each strategy this chapter measures: one constant used by
//! the demo's table, the benchmarks' ids and the book, so one strategy has
//! one name everywhere. No `/` in a name (it separates a benchmark id's parts).

/// Waiting tasks on `jobs` threads (`Scheduler::SpawnBlocking`).
pub const THREADS_SPAWN_BLOCKING: &str = "threads (spawn_blocking)";
/// [`crate::gather_bounded`]: async tasks, at most `jobs` at a time.
pub const ASYNC_BOUNDED: &str = "async, jobs at a time";
/// [`crate::Gather`]: every async task at once, on one thread.
pub const ASYNC_ALL_AT_ONCE: &str = "async, all at once (1 thread)";
/// [`crate::LocalCluster`]: `map`, then `gather` (dask's futures).
pub const LOCAL_CLUSTER: &str = "LocalCluster map+gather";
