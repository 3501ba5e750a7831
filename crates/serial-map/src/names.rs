//! The name of each strategy this chapter measures: one constant used by
//! the demo's table, the benchmarks' ids and the book, so one strategy has
//! one name everywhere. No `/` in a name (it separates a benchmark id's parts).

/// The `for` loop that pushes into a `Vec`: every chapter's baseline here.
pub const FOR_LOOP: &str = "for loop";
/// [`crate::my_map`], the hand-written generic map.
pub const MY_MAP: &str = "my_map";
/// [`crate::iterator_map`]: `iter().map(f).collect()`.
pub const ITERATOR_MAP: &str = "iterator map";
/// [`crate::fold_sum`]: the sum only, no `Vec` of results.
pub const FOLD_SUM: &str = "fold sum";
