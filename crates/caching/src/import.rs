//! Merging caches: [`Memory::import`] copies another cache directory's
//! intact entries into this one (how the shards of a distributed run, in
//! chapter 6, become one cache). Entries check themselves, so merging is
//! copying what is missing.

use std::fs;
use std::path::Path;

use crate::error::{CacheError, io_err};
use crate::history::META_FILE;
use crate::housekeeping::read_dir;
use crate::memory::{ENTRY_EXT, Memory};
use crate::store;

/// What [`Memory::import`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    /// Entries copied.
    pub copied: usize,
    /// Entries this cache already had.
    pub present: usize,
    /// Damaged entries skipped.
    pub damaged: usize,
}

impl Memory {
    /// Copies into this cache every intact entry of `other` that this cache
    /// does not have (how the shards of a distributed run are merged).
    /// Damaged entries are skipped and counted.
    pub fn import(&self, other: &Memory) -> Result<Imported, CacheError> {
        let mut imported = Imported::default();
        for src_dir in other.function_dirs()? {
            let name = src_dir.file_name().expect("a function directory");
            let dst_dir = self.inner.root.join(name);
            fs::create_dir_all(&dst_dir).map_err(io_err(&dst_dir))?;
            let dst_meta = dst_dir.join(META_FILE);
            if !dst_meta.exists() {
                let bytes = fs::read(src_dir.join(META_FILE))
                    .map_err(io_err(&src_dir.join(META_FILE)))?;
                store::write_atomic(&dst_dir, &dst_meta, &bytes, self.durability)
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
                let bytes = fs::read(&path).map_err(io_err(&path))?;
                let intact = key_from_file_name(&path)
                    .is_some_and(|key| store::verify_entry(&key, &bytes).is_ok());
                if !intact {
                    imported.damaged += 1;
                    continue;
                }
                store::write_atomic(&dst_dir, &target, &bytes, self.durability)
                    .map_err(io_err(&target))?;
                imported.copied += 1;
            }
        }
        Ok(imported)
    }
}

/// The key an entry file is named after (64 hex digits), if it is one.
fn key_from_file_name(path: &Path) -> Option<[u8; 32]> {
    let stem = path.file_stem()?.to_str()?;
    let mut key = [0u8; 32];
    if stem.len() != 64 {
        return None;
    }
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(stem.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}
