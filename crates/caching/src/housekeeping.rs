//! Keeping a cache directory in order, around the lesson: listing entries,
//! `clear`, `reduce_size` (least recently used first, by access time, with
//! tombstones so a later miss says "evicted"), removing temporary files left
//! by crashed writers, and marking the directory with a `CACHEDIR.TAG` so
//! that backup tools skip it. Free functions over the cache's root
//! directory, above storage (`store.rs`) and `history.rs`; the methods of
//! `Memory` and `CachedFn` call them. The book points here; it does not
//! walk through it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{CacheError, io_err};
use crate::history::{self, CORRUPT_EXT, META_FILE, TOMBSTONE_EXT, read_meta};
use crate::store::{self, ENTRY_EXT};

const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
    # This directory is a cache made by the `caching` crate.\n\
    # For information about cache directory tags see https://bford.info/cachedir/\n";

/// Limits for [`Memory::reduce_size`](crate::Memory::reduce_size); `None`
/// means no limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Keep at most this many bytes of entries.
    pub max_bytes: Option<u64>,
    /// Keep at most this many entries.
    pub max_items: Option<usize>,
    /// Evict entries unused for longer than this.
    pub max_age: Option<Duration>,
}

/// What [`Memory::reduce_size`](crate::Memory::reduce_size) did.
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

/// One stored entry, as listed by
/// [`Memory::entries`](crate::Memory::entries).
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
/// a store uses (every time: a tag written when the directory was new says
/// nothing of it now), then writes its `CACHEDIR.TAG` if it has none.
pub(crate) fn check_writable(dir: &Path) -> Result<(), CacheError> {
    let tag = dir.join("CACHEDIR.TAG");
    let unwritable = |source| CacheError::Unwritable {
        dir: dir.to_path_buf(),
        source,
    };
    store::check_writable(dir).map_err(unwritable)?;
    if tag.exists() {
        return Ok(());
    }
    match store::write_new(dir, &tag, CACHEDIR_TAG.as_bytes()) {
        // Another process wrote it first: the directory is writable.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map_err(unwritable),
    }
}

/// Removes every function's entries under `root`; returns how many.
/// Deletes entry files one by one and leaves the directories (and each
/// function's list of code versions) in place (see `Memory::clear`).
pub(crate) fn clear(root: &Path) -> Result<usize, CacheError> {
    let mut removed = 0;
    for dir in function_dirs(root)? {
        removed += remove_entries(&dir)?;
    }
    Ok(removed)
}

/// Every entry under `root`, oldest use first.
pub(crate) fn entries(root: &Path) -> Result<Vec<EntryInfo>, CacheError> {
    let mut entries = Vec::new();
    for dir in function_dirs(root)? {
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

/// Evicts entries under `root` until the cache is within `limits`: first
/// every entry unused for longer than `max_age`, then the least recently
/// used ones until at most `max_items` entries and `max_bytes` bytes remain,
/// leaving a tombstone for each. Also deletes temporary files left by
/// writers that crashed.
pub(crate) fn reduce_size(
    root: &Path,
    limits: Limits,
) -> Result<Reduced, CacheError> {
    let now = SystemTime::now();
    let mut entries = entries(root)?; // least recently used first
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
    remove_stale_temp_files(root, now)?;
    Ok(reduced)
}

/// The function directories under `root`: subdirectories holding a
/// `function.json`.
pub(crate) fn function_dirs(root: &Path) -> Result<Vec<PathBuf>, CacheError> {
    Ok(read_dir(root)?
        .into_iter()
        .map(|item| item.path())
        .filter(|path| path.join(META_FILE).is_file())
        .collect())
}

fn remove_stale_temp_files(root: &Path, now: SystemTime) -> Result<(), CacheError> {
    let mut dirs = function_dirs(root)?;
    dirs.push(root.to_path_buf());
    for dir in dirs {
        store::remove_stale_temporaries(&dir, now);
    }
    Ok(())
}

/// The items of `dir`; none if it does not exist.
pub(crate) fn read_dir(dir: &Path) -> Result<Vec<fs::DirEntry>, CacheError> {
    match fs::read_dir(dir) {
        Ok(items) => Ok(items.filter_map(Result::ok).collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io_err(dir)(e)),
    }
}

/// Whether `entry` was stored or read after [`entries`] listed it.
fn used_since(entry: &EntryInfo) -> bool {
    fs::metadata(&entry.path)
        .is_ok_and(|meta| store::last_used(&meta) > entry.last_used)
}

/// Deletes the entries and notes in one function's directory; returns
/// how many entries. A file someone else removed first is not an error.
pub(crate) fn remove_entries(dir: &Path) -> Result<usize, CacheError> {
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
