//! What a pool has sent its workers, counted as it goes: chunks, tasks,
//! bytes through the pipes, and the largest chunk. The driver threads add
//! to [`Counters`] after each chunk they write; [`crate::ProcessPool::stats`]
//! reads a [`PoolStats`]. It shows what a setting did: the batch sizes that
//! [`crate::PoolBuilder::auto_chunksize`] chose, or that a shared input
//! ([`crate::SharedInput`]) travelled as a handle of a few bytes per task.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a pool has sent its workers since it started (all `map`, `imap`
/// and `imap_unordered` calls, re-sent tasks included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Messages of tasks written to workers.
    pub chunks: u64,
    /// Tasks in those messages.
    pub tasks: u64,
    /// Bytes of those messages, headers included.
    pub bytes: u64,
    /// Tasks in the largest message.
    pub largest_chunk: u64,
}

/// The live counters, shared by the pool and its drivers.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    chunks: AtomicU64,
    tasks: AtomicU64,
    bytes: AtomicU64,
    largest_chunk: AtomicU64,
}

impl Counters {
    /// A chunk of `tasks` tasks, `bytes` long, was written to a worker.
    pub(crate) fn sent(&self, tasks: usize, bytes: usize) {
        self.chunks.fetch_add(1, Ordering::Relaxed);
        self.tasks.fetch_add(tasks as u64, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        self.largest_chunk
            .fetch_max(tasks as u64, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> PoolStats {
        PoolStats {
            chunks: self.chunks.load(Ordering::Relaxed),
            tasks: self.tasks.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            largest_chunk: self.largest_chunk.load(Ordering::Relaxed),
        }
    }
}
