//! Counting lookups: the hit and miss counts of a `Memory` (by miss
//! reason), stores and failed stores. Plain counters, above `history.rs`
//! (whose [`MissReason`] they count by): `CachedFn` counts each lookup here,
//! and `Memory::stats` reads a snapshot.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

use crate::history::MissReason;

/// Hit and miss counts of a [`Memory`](crate::Memory) (all its clones and handles together),
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

/// The live counts behind [`Stats`], shared by every clone of a `Memory`.
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
    /// A snapshot of the counts.
    pub(crate) fn snapshot(&self) -> Stats {
        let get = |a: &AtomicU64| a.load(Relaxed);
        let (new, changed) = (get(&self.new_arguments), get(&self.code_changed));
        let (corrupt, evicted) = (get(&self.corrupt), get(&self.evicted));
        Stats {
            hits: get(&self.hits),
            misses: new + changed + corrupt + evicted,
            new_arguments: new,
            code_changed: changed,
            corrupt,
            evicted,
            stores: get(&self.stores),
            store_failures: get(&self.store_failures),
        }
    }

    /// Sets every count back to zero.
    pub(crate) fn reset(&self) {
        for counter in self.all() {
            counter.store(0, Relaxed);
        }
    }

    /// Counts a hit.
    pub(crate) fn count_hit(&self) {
        self.hits.fetch_add(1, Relaxed);
    }

    /// Counts a miss, by its reason.
    pub(crate) fn count_miss(&self, reason: &MissReason) {
        match reason {
            MissReason::NewArguments => &self.new_arguments,
            MissReason::CodeChanged { .. } => &self.code_changed,
            MissReason::Corrupt(_) => &self.corrupt,
            MissReason::Evicted => &self.evicted,
        }
        .fetch_add(1, Relaxed);
    }

    /// Counts an entry written, or one that could not be.
    pub(crate) fn count_store(&self, stored: bool) {
        let counter = if stored {
            &self.stores
        } else {
            &self.store_failures
        };
        counter.fetch_add(1, Relaxed);
    }

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
