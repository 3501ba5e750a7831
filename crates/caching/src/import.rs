//! Merging caches: `Memory::import` copies another cache directory's
//! intact entries into this one (how the shards of a distributed run, in
//! chapter 6, become one cache). Entries check themselves, so merging is
//! copying what is missing. A free function over two root directories,
//! above `housekeeping.rs` (which lists the function directories).

use std::fs;
use std::io;
use std::path::Path;

use crate::error::{CacheError, io_err};
use crate::history::META_FILE;
use crate::housekeeping::{function_dirs, read_dir};
use crate::store::{self, Durability, ENTRY_EXT};

/// What [`Memory::import`](crate::Memory::import) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    /// Entries copied.
    pub copied: usize,
    /// Entries this cache already had.
    pub present: usize,
    /// Damaged entries skipped.
    pub damaged: usize,
}

/// Copies into the cache at `root` every intact entry of the cache at
/// `other` that it does not have, writing with `durability`. Damaged or
/// unreadable entries are skipped and counted; only a failure to write
/// into this cache (or to list `other`) is an error.
pub(crate) fn import(
    root: &Path,
    other: &Path,
    durability: Durability,
) -> Result<Imported, CacheError> {
    let mut imported = Imported::default();
    for src_dir in function_dirs(other)? {
        let name = src_dir.file_name().expect("a function directory");
        let dst_dir = root.join(name);
        fs::create_dir_all(&dst_dir).map_err(io_err(&dst_dir))?;
        let dst_meta = dst_dir.join(META_FILE);
        if !dst_meta.exists() {
            let bytes = fs::read(src_dir.join(META_FILE))
                .map_err(io_err(&src_dir.join(META_FILE)))?;
            store::write_atomic(&dst_dir, &dst_meta, &bytes, durability)
                .map_err(io_err(&dst_meta))?;
        }
        for item in read_dir(&src_dir)? {
            let path = item.path();
            if path.extension().is_none_or(|e| e != ENTRY_EXT) {
                continue;
            }
            let target = dst_dir.join(item.file_name());
            if target.exists() {
                imported.present += 1;
                continue;
            }
            // An entry that cannot be read (not a file, a huge file in its
            // place) is damaged like one that fails its checksum: counted,
            // skipped, and the import goes on.
            let bytes = store::read_sealed_file(&path).and_then(|bytes| {
                bytes.ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
            });
            let intact = bytes.as_ref().is_ok_and(|bytes| {
                store::key_from_file_name(&path)
                    .is_some_and(|key| store::verify_entry(&key, bytes).is_ok())
            });
            let (true, Ok(bytes)) = (intact, bytes) else {
                imported.damaged += 1;
                continue;
            };
            store::write_atomic(&dst_dir, &target, &bytes, durability)
                .map_err(io_err(&target))?;
            imported.copied += 1;
        }
    }
    Ok(imported)
}
