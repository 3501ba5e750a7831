//! The name of each strategy this chapter measures: one constant used by
//! the demo's table, the benchmarks' ids and the book, so one strategy has
//! one name everywhere. No `/` in a name (it separates a benchmark id's parts).

/// [`crate::sweep::cached_serial`] over a warm cache: every result loaded.
pub const CACHED_SERIAL: &str = "cached rerun, serial";
/// [`crate::sweep::cached_rayon`] over a warm cache.
pub const CACHED_RAYON: &str = "cached rerun, rayon";
/// [`crate::sweep::cached_thread_pool`] over a warm cache.
pub const CACHED_THREAD_POOLS: &str = "cached rerun, thread-pools";
