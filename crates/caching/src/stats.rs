//! Counting and logging lookups: the hit and miss counts of a [`Memory`]
//! (by miss reason), stores and failed stores, and the `log` records of a
//! verbose handle. Housekeeping around the lesson: `memory.rs` calls
//! [`CachedFn::hit`] and [`CachedFn::miss`] and never looks inside.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

use crate::key::CacheKey;
use crate::memory::{CachedFn, Lookup, Memory, MissReason};

/// Hit and miss counts of a [`Memory`] (all its clones and handles together),
/// counted by `call`, `try_call`, `get` and `lookup`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that were not.
    pub misses: u64,
    /// Misses because of new arguments.
    pub new_arguments: u64,
    /// Misses because the code changed.
    pub code_changed: u64,
    /// Misses because the entry was damaged.
    pub corrupt: u64,
    /// Misses because `reduce_size` evicted the entry.
    pub evicted: u64,
    /// Entries written.
    pub stores: u64,
    /// Entries that could not be written (the result was still returned).
    pub store_failures: u64,
}

impl Stats {
    /// Hits / (hits + misses), or 0 with no lookups.
    pub fn hit_ratio(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 {
            0.0
        } else {
            self.hits as f64 / total as f64
        }
    }
}

/// The live counts behind [`Stats`], shared by every clone of a [`Memory`].
#[derive(Default)]
pub(crate) struct Counters {
    hits: AtomicU64,
    new_arguments: AtomicU64,
    code_changed: AtomicU64,
    corrupt: AtomicU64,
    evicted: AtomicU64,
    stores: AtomicU64,
    store_failures: AtomicU64,
}

impl Counters {
    fn all(&self) -> [&AtomicU64; 7] {
        [
            &self.hits,
            &self.new_arguments,
            &self.code_changed,
            &self.corrupt,
            &self.evicted,
            &self.stores,
            &self.store_failures,
        ]
    }
}

impl Memory {
    /// A snapshot of the hit and miss counts.
    pub fn stats(&self) -> Stats {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Relaxed);
        let (new, changed) = (get(&c.new_arguments), get(&c.code_changed));
        let (corrupt, evicted) = (get(&c.corrupt), get(&c.evicted));
        Stats {
            hits: get(&c.hits),
            misses: new + changed + corrupt + evicted,
            new_arguments: new,
            code_changed: changed,
            corrupt,
            evicted,
            stores: get(&c.stores),
            store_failures: get(&c.store_failures),
        }
    }

    /// Sets every count back to zero.
    pub fn reset_stats(&self) {
        for counter in self.inner.counters.all() {
            counter.store(0, Relaxed);
        }
    }

    /// Lookups of a verbose handle go to the `log` facade at `info` level
    /// (the library never prints: the program chooses a logger, or none).
    fn log(&self, message: std::fmt::Arguments<'_>) {
        if self.verbose {
            log::info!(target: "caching", "{message}");
        }
    }
}

impl<R> CachedFn<R> {
    /// A hit: counted, and logged on a verbose handle.
    pub(crate) fn hit(&self, key: &CacheKey, value: R) -> Lookup<R> {
        self.memory.inner.counters.hits.fetch_add(1, Relaxed);
        self.log(key, "hit");
        Lookup::Hit(value)
    }

    /// A miss: counted by its reason, and logged on a verbose handle.
    pub(crate) fn miss(&self, key: &CacheKey, reason: MissReason) -> Lookup<R> {
        let c = &self.memory.inner.counters;
        match reason {
            MissReason::NewArguments => &c.new_arguments,
            MissReason::CodeChanged { .. } => &c.code_changed,
            MissReason::Corrupt(_) => &c.corrupt,
            MissReason::Evicted => &c.evicted,
        }
        .fetch_add(1, Relaxed);
        if self.memory.verbose {
            self.log(key, &format!("miss: {reason}"));
        }
        Lookup::Miss(reason)
    }

    /// Counts an entry written, or one that could not be.
    pub(crate) fn count_store(&self, stored: bool) {
        let c = &self.memory.inner.counters;
        let counter = if stored { &c.stores } else { &c.store_failures };
        counter.fetch_add(1, Relaxed);
    }

    fn log(&self, key: &CacheKey, what: &str) {
        let args = key.shown.as_deref().unwrap_or("");
        self.memory
            .log(format_args!("{}{args}: {what}", self.id.name()));
    }
}
