//! Keeping a cache directory in order, around the lesson: listing entries,
//! `clear`, `reduce_size` (least recently used first, by access time, with
//! tombstones so a later miss says "evicted"), removing temporary files left
//! by crashed writers, and marking the directory with a `CACHEDIR.TAG` so
//! that backup tools skip it. The book points here; it does not walk
//! through it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{CacheError, io_err};
use crate::history::{self, CORRUPT_EXT, META_FILE, TOMBSTONE_EXT, read_meta};
use crate::memory::{CachedFn, ENTRY_EXT, Memory};
use crate::store;

/// Temporary files older than this are leftovers of a crashed writer.
const STALE_TMP: Duration = Duration::from_secs(3600);

const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
    # This directory is a cache made by the `caching` crate.\n\
    # For information about cache directory tags see https://bford.info/cachedir/\n";

/// Limits for [`Memory::reduce_size`]; `None` means no limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Keep at most this many bytes of entries.
    pub max_bytes: Option<u64>,
    /// Keep at most this many entries.
    pub max_items: Option<usize>,
    /// Evict entries unused for longer than this.
    pub max_age: Option<Duration>,
}

/// What [`Memory::reduce_size`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reduced {
    /// Entries removed.
    pub removed_items: usize,
    /// Their bytes.
    pub removed_bytes: u64,
    /// Entries left.
    pub kept_items: usize,
    /// Their bytes.
    pub kept_bytes: u64,
}

/// One stored entry, as listed by [`Memory::entries`].
#[derive(Debug, Clone)]
pub struct EntryInfo {
    /// The function's name.
    pub function: String,
    /// The entry file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// When it was last stored or read (to within a minute).
    pub last_used: SystemTime,
}

/// Proves that files can be written in `dir` with the same temporary file
/// and rename a store uses, by writing its `CACHEDIR.TAG` if it has none.
pub(crate) fn check_writable(dir: &Path) -> Result<(), CacheError> {
    let tag = dir.join("CACHEDIR.TAG");
    let unwritable = |source| CacheError::Unwritable {
        dir: dir.to_path_buf(),
        source,
    };
    let probe = tempfile::Builder::new()
        .prefix(".tmp")
        .tempfile_in(dir)
        .map_err(unwritable)?;
    if !tag.exists() {
        fs::write(probe.path(), CACHEDIR_TAG).map_err(unwritable)?;
        probe.persist(&tag).map_err(|e| unwritable(e.error))?;
    }
    Ok(())
}

impl Memory {
    /// Removes every function's entries; returns how many.
    ///
    /// Safe while other threads and processes use the cache: it deletes
    /// entry files one by one and leaves the directories (and each
    /// function's list of code versions) in place, so a concurrent store
    /// never finds its directory gone, and a reader that has opened an entry
    /// reads it whole. A store racing with `clear` may land just after it.
    pub fn clear(&self) -> Result<usize, CacheError> {
        let mut removed = 0;
        for dir in self.function_dirs()? {
            removed += remove_entries(&dir)?;
        }
        Ok(removed)
    }

    /// Every entry in the cache, oldest use first.
    pub fn entries(&self) -> Result<Vec<EntryInfo>, CacheError> {
        let mut entries = Vec::new();
        for dir in self.function_dirs()? {
            let function = read_meta(&dir).map_or_else(
                || dir.file_name().unwrap_or_default().to_string_lossy().into(),
                |meta| meta.name,
            );
            for item in read_dir(&dir)? {
                let path = item.path();
                if path.extension().is_some_and(|e| e == ENTRY_EXT) {
                    let Ok(meta) = item.metadata() else { continue };
                    entries.push(EntryInfo {
                        function: function.clone(),
                        path,
                        bytes: meta.len(),
                        last_used: store::last_used(&meta),
                    });
                }
            }
        }
        entries.sort_by_key(|e| e.last_used);
        Ok(entries)
    }

    /// Number of entries and their total size in bytes.
    pub fn usage(&self) -> Result<(usize, u64), CacheError> {
        let entries = self.entries()?;
        Ok((entries.len(), entries.iter().map(|e| e.bytes).sum()))
    }

    // ANCHOR: reduce_size
    /// Evicts entries until the cache is within `limits`: first every entry
    /// unused for longer than `max_age`, then the least recently used ones
    /// until at most `max_items` entries and `max_bytes` bytes remain. A
    /// later miss on an evicted entry says so. Also deletes temporary files
    /// left by writers that crashed.
    pub fn reduce_size(&self, limits: Limits) -> Result<Reduced, CacheError> {
        let now = SystemTime::now();
        let mut entries = self.entries()?; // least recently used first
        let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
        let mut evict = Vec::new();
        let mut keep = Vec::new();
        for entry in entries.drain(..) {
            let age = now.duration_since(entry.last_used).unwrap_or_default();
            if limits.max_age.is_some_and(|max| age > max) {
                total -= entry.bytes;
                evict.push(entry);
            } else {
                keep.push(entry);
            }
        }
        let mut kept = keep.len();
        for entry in keep {
            let too_many = limits.max_items.is_some_and(|max| kept > max);
            let too_big = limits.max_bytes.is_some_and(|max| total > max);
            if !(too_many || too_big) {
                break;
            }
            kept -= 1;
            total -= entry.bytes;
            evict.push(entry);
        }
        let mut reduced = Reduced {
            kept_items: kept,
            kept_bytes: total,
            ..Reduced::default()
        };
        for entry in evict {
            if used_since(&entry) {
                // Read or rewritten since it was listed: no longer a victim.
                reduced.kept_items += 1;
                reduced.kept_bytes += entry.bytes;
                continue;
            }
            match fs::remove_file(&entry.path) {
                Ok(()) => {
                    reduced.removed_items += 1;
                    reduced.removed_bytes += entry.bytes;
                    history::leave_tombstone(&entry.path);
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&entry.path)(e)),
            }
        }
        self.remove_stale_temp_files(now)?;
        Ok(reduced)
    }
    // ANCHOR_END: reduce_size

    /// The function directories: subdirectories holding a `function.json`.
    pub(crate) fn function_dirs(&self) -> Result<Vec<PathBuf>, CacheError> {
        Ok(read_dir(&self.inner.root)?
            .into_iter()
            .map(|item| item.path())
            .filter(|path| path.join(META_FILE).is_file())
            .collect())
    }

    fn remove_stale_temp_files(&self, now: SystemTime) -> Result<(), CacheError> {
        let mut dirs = self.function_dirs()?;
        dirs.push(self.inner.root.clone());
        for dir in dirs {
            for item in read_dir(&dir)? {
                let stale = item.file_name().to_string_lossy().starts_with(".tmp")
                    && item.metadata().is_ok_and(|m| {
                        now.duration_since(store::last_used(&m)).unwrap_or_default()
                            > STALE_TMP
                    });
                if stale {
                    let _ = fs::remove_file(item.path());
                }
            }
        }
        Ok(())
    }
}

impl<R> CachedFn<R> {
    /// Removes this function's entries (all code versions); returns how many.
    /// Safe while others use the cache (see [`Memory::clear`]).
    pub fn clear(&self) -> Result<usize, CacheError> {
        remove_entries(&self.dir)
    }
}

/// The items of `dir`; none if it does not exist.
pub(crate) fn read_dir(dir: &Path) -> Result<Vec<fs::DirEntry>, CacheError> {
    match fs::read_dir(dir) {
        Ok(items) => Ok(items.filter_map(Result::ok).collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io_err(dir)(e)),
    }
}

/// Whether `entry` was stored or read after [`Memory::entries`] listed it.
fn used_since(entry: &EntryInfo) -> bool {
    fs::metadata(&entry.path)
        .is_ok_and(|meta| store::last_used(&meta) > entry.last_used)
}

/// Deletes the entries and notes in one function's directory; returns
/// how many entries. A file someone else removed first is not an error.
fn remove_entries(dir: &Path) -> Result<usize, CacheError> {
    let mut removed = 0;
    for item in read_dir(dir)? {
        let path = item.path();
        let ext = path.extension().and_then(|e| e.to_str());
        if matches!(ext, Some(ENTRY_EXT | TOMBSTONE_EXT | CORRUPT_EXT)) {
            match fs::remove_file(&path) {
                Ok(()) => removed += usize::from(ext == Some(ENTRY_EXT)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
    }
    Ok(removed)
}
