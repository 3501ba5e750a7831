//! The name of each strategy this chapter measures: one constant used by
//! the demo's table, the benchmarks' ids and the book, so one strategy has
//! one name everywhere. No `/` in a name (it separates a benchmark id's parts).

/// [`crate::scoped_map`]: `std::thread::scope`, one slice per thread.
pub const SCOPED: &str = "scoped";
/// [`crate::channel_map`]: a crossbeam worker pool, one message per task.
pub const CROSSBEAM: &str = "crossbeam";
/// [`crate::channel_map_chunked`]: the crossbeam pool, a chunk per message.
pub const CROSSBEAM_CHUNKED: &str = "crossbeam chunked";
/// [`crate::rayon_map`]: `par_iter` on rayon's global pool.
pub const RAYON_GLOBAL: &str = "rayon par_iter (global)";
/// [`crate::rayon_map_in`] on [`crate::rayon_pool`]`(jobs)`: rayon, exactly
/// `jobs` threads.
pub const RAYON: &str = "rayon";
/// [`crate::rayon_map_min_len`]: rayon, pieces of at least a chunk.
pub const RAYON_MIN_LEN: &str = "rayon with_min_len";
/// [`crate::rayon_map_init`]: rayon, one state per piece of work.
pub const RAYON_MAP_INIT: &str = "rayon map_init";
/// `workloads::driver_par_chunks` (the demo layer): rayon over slices, the fast `driver` kernel.
pub const RAYON_PAR_CHUNKS: &str = "rayon par_chunks";
/// [`crate::Pool::map`].
pub const POOL_MAP: &str = "Pool.map";
/// [`crate::Pool::map_async`], then `wait`.
pub const POOL_MAP_ASYNC: &str = "Pool.map_async+wait";
/// [`crate::Pool::starmap`].
pub const POOL_STARMAP: &str = "Pool.starmap";
/// [`crate::Pool::imap_unordered`].
pub const POOL_IMAP_UNORDERED: &str = "Pool.imap_unordered";
/// [`crate::run_parallel_step`], joblib's `Parallel`.
pub const RUN_PARALLEL_STEP: &str = "run_parallel_step";
/// `workloads::SpinPool` (the demo layer): fork-join as OpenMP runs it, the
/// caller works and idle workers spin before they sleep.
pub const FORK_JOIN: &str = "fork-join (spin)";
