//! The name of each strategy this chapter measures: one constant used by
//! the demo's table, the benchmarks' ids and the book, so one strategy has
//! one name everywhere. No `/` in a name (it separates a benchmark id's parts).

/// [`crate::by_hand::map`]: the minimal pool, JSON lines over pipes.
pub const BY_HAND: &str = "by hand (JSON lines)";
/// [`crate::ProcessPool`], its start-up included in the time.
pub const PROCESS_POOL: &str = "ProcessPool";
/// A pool of rayon threads doing the same work: the reference.
pub const RAYON_THREADS: &str = "rayon threads";
