//! The lesson, part one: [`Memory`], a cache directory, like joblib's
//! `Memory(location)`. Opening one checks that it can be written; its
//! methods report counts (`stats.rs`), keep it in order (`housekeeping.rs`)
//! and merge caches (`import.rs`) by calling those files' functions over the
//! directory. One function's results in it, [`CachedFn`](crate::CachedFn),
//! are the layer above (`cached_fn.rs`, which also adds `Memory::function`).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::CacheError;
use crate::history::Versions;
use crate::housekeeping::{self, EntryInfo, Limits, Reduced};
use crate::import::{self, Imported};
use crate::stats::{Counters, Stats};
use crate::store::Durability;

/// What the clones of a [`Memory`] share.
pub(crate) struct Inner {
    pub(crate) root: PathBuf,
    pub(crate) counters: Counters,
    /// Each function's code versions as last read or written here.
    pub(crate) versions: Versions,
}

/// A cache directory, like joblib's `Memory(location)`. Cheap to clone and
/// safe to share between threads; several processes may use the same
/// directory at once.
#[derive(Clone)]
pub struct Memory {
    pub(crate) inner: Arc<Inner>,
    pub(crate) verbose: bool,
    pub(crate) durability: Durability,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("dir", &self.inner.root)
            .field("verbose", &self.verbose)
            .field("durability", &self.durability)
            .finish()
    }
}

impl Memory {
    // ANCHOR: memory_new
    /// Opens the cache in `dir`, creating the directory if it is missing.
    ///
    /// Fails with a clear error, here rather than at the first store, if the
    /// directory cannot be created, is not a directory, or is not writable.
    pub fn new(dir: impl AsRef<Path>) -> Result<Memory, CacheError> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            fs::create_dir_all(dir).map_err(|source| {
                if dir.exists() {
                    CacheError::NotADirectory(dir.to_path_buf())
                } else {
                    CacheError::Create {
                        dir: dir.to_path_buf(),
                        source,
                    }
                }
            })?;
        }
        Self::open(dir)
    }

    /// Opens an existing cache directory (for example a shard's results to
    /// merge): an error if `dir` does not exist or is not writable.
    pub fn open(dir: impl AsRef<Path>) -> Result<Memory, CacheError> {
        let dir = dir.as_ref();
        match fs::metadata(dir) {
            Err(_) => return Err(CacheError::Missing(dir.to_path_buf())),
            Ok(meta) if !meta.is_dir() => {
                return Err(CacheError::NotADirectory(dir.to_path_buf()));
            }
            Ok(_) => {}
        }
        // Prove we can write here (a temp file and a rename, as a store
        // does), leaving a CACHEDIR.TAG so that backup tools skip the cache.
        housekeeping::check_writable(dir)?;
        Ok(Memory {
            inner: Arc::new(Inner {
                root: dir.to_path_buf(),
                counters: Counters::default(),
                versions: Versions::default(),
            }),
            verbose: false,
            durability: Durability::default(),
        })
    }
    // ANCHOR_END: memory_new

    /// This handle, logging every lookup (and *why* it missed) through the
    /// `log` facade at `info` level, target `caching`.
    pub fn verbose(mut self, on: bool) -> Self {
        self.verbose = on;
        self
    }

    /// This handle, storing with the given [`Durability`].
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.inner.root
    }

    /// A snapshot of the hit and miss counts.
    pub fn stats(&self) -> Stats {
        self.inner.counters.snapshot()
    }

    /// Sets every count back to zero.
    pub fn reset_stats(&self) {
        self.inner.counters.reset();
    }

    /// Removes every function's entries; returns how many.
    ///
    /// Safe while other threads and processes use the cache: it deletes
    /// entry files one by one and leaves the directories (and each
    /// function's list of code versions) in place, so a concurrent store
    /// never finds its directory gone, and a reader that has opened an entry
    /// reads it whole. A store racing with `clear` may land just after it.
    pub fn clear(&self) -> Result<usize, CacheError> {
        housekeeping::clear(&self.inner.root)
    }

    /// Every entry in the cache, oldest use first.
    pub fn entries(&self) -> Result<Vec<EntryInfo>, CacheError> {
        housekeeping::entries(&self.inner.root)
    }

    /// Number of entries and their total size in bytes.
    pub fn usage(&self) -> Result<(usize, u64), CacheError> {
        let entries = self.entries()?;
        Ok((entries.len(), entries.iter().map(|e| e.bytes).sum()))
    }

    /// Evicts entries until the cache is within `limits`: first every entry
    /// unused for longer than `max_age`, then the least recently used ones
    /// until at most `max_items` entries and `max_bytes` bytes remain. A
    /// later miss on an evicted entry says so. Also deletes temporary files
    /// left by writers that crashed.
    pub fn reduce_size(&self, limits: Limits) -> Result<Reduced, CacheError> {
        housekeeping::reduce_size(&self.inner.root, limits)
    }

    /// Copies into this cache every intact entry of `other` that this cache
    /// does not have (how the shards of a distributed run are merged).
    /// Damaged entries are skipped and counted.
    pub fn import(&self, other: &Memory) -> Result<Imported, CacheError> {
        import::import(&self.inner.root, &other.inner.root, self.durability)
    }
}
