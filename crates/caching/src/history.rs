//! What a cache remembers so that a miss can say *why*: each function's
//! code versions (its `function.json`), the tombstone `reduce_size` leaves
//! where it evicted an entry, and the note left where a damaged entry was
//! deleted. Housekeeping around the lesson: `memory.rs` asks
//! [`CachedFn::why_missing`] and records versions and notes through the
//! functions here.

use std::fs;
use std::path::Path;

use crate::error::{CacheError, io_err};
use crate::fingerprint::CodeVersion;
use crate::key::{CacheKey, key_hash};
use crate::memory::{CachedFn, MissReason};
use crate::store;

/// Per-function metadata file: the name and the code versions seen, oldest
/// first. It is what lets a miss say "code changed".
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct FunctionMeta {
    pub(crate) name: String,
    versions: Vec<CodeVersion>,
}

/// The name of a function directory's metadata file.
pub(crate) const META_FILE: &str = "function.json";
/// Left where `reduce_size` evicted an entry: the next miss says "evicted".
pub(crate) const TOMBSTONE_EXT: &str = "evicted";
/// Left where a damaged entry was deleted, holding why it was damaged: the
/// next miss on that key says "entry corrupt", not "new arguments" or "code
/// changed".
pub(crate) const CORRUPT_EXT: &str = "corrupt";
/// Code versions remembered per function.
const MAX_VERSIONS: usize = 16;

/// The metadata of the function directory `dir`, if it has readable one.
pub(crate) fn read_meta(dir: &Path) -> Option<FunctionMeta> {
    let bytes = fs::read(dir.join(META_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Leaves a tombstone where an entry was evicted (best effort: a lost one
/// only makes the next miss say "new arguments").
pub(crate) fn leave_tombstone(entry: &Path) {
    let _ = fs::File::create(entry.with_extension(TOMBSTONE_EXT));
}

/// Leaves a note saying why the entry at `entry` was deleted as damaged
/// (best effort: a lost note only makes the next reason vaguer).
pub(crate) fn note_damage(entry: &Path, why: &str) {
    let _ = fs::write(entry.with_extension(CORRUPT_EXT), why);
}

/// Once an entry is stored again, the tombstone or damage note that
/// explained its absence is out of date.
pub(crate) fn forget_absence(entry: &Path, reason: &MissReason) {
    let note = match reason {
        MissReason::Evicted => TOMBSTONE_EXT,
        MissReason::Corrupt(_) => CORRUPT_EXT,
        _ => return,
    };
    let _ = fs::remove_file(entry.with_extension(note));
}

impl<R> CachedFn<R> {
    /// Why there is no entry for `key`: a tombstone says evicted; a note
    /// left when a damaged entry was deleted says corrupt; an entry for the
    /// same arguments under an earlier code version says code changed;
    /// otherwise the arguments are new.
    pub(crate) fn why_missing(&self, key: &CacheKey) -> MissReason {
        let entry = self.entry_path(&key.hash);
        if entry.with_extension(TOMBSTONE_EXT).exists() {
            return MissReason::Evicted;
        }
        if let Ok(why) = fs::read_to_string(entry.with_extension(CORRUPT_EXT)) {
            return MissReason::Corrupt(format!("{why}; deleted, not stored since"));
        }
        let versions = self.known_versions();
        for previous in versions.iter().rev().filter(|v| *v != self.id.code()) {
            let old = key_hash(self.id.name(), previous, &key.types, &key.args);
            if self.entry_path(&old).exists() {
                return MissReason::CodeChanged {
                    previous: previous.clone(),
                };
            }
        }
        MissReason::NewArguments
    }

    fn known_versions(&self) -> Vec<CodeVersion> {
        let mut cache = self.memory.inner.meta.lock().expect("meta lock");
        cache
            .entry(self.id.dir_name().to_owned())
            .or_insert_with(|| read_meta(&self.dir).unwrap_or_default())
            .versions
            .clone()
    }

    /// Records this code version in the function's metadata file if it is
    /// not the latest one there (once per process and version, normally).
    pub(crate) fn note_version(&self) -> Result<(), CacheError> {
        let mut cache = self.memory.inner.meta.lock().expect("meta lock");
        if cache
            .get(self.id.dir_name())
            .is_some_and(|m| m.versions.last() == Some(self.id.code()))
        {
            return Ok(());
        }
        fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        let mut meta = read_meta(&self.dir).unwrap_or_default();
        meta.name = self.id.name().to_owned();
        meta.versions.retain(|v| v != self.id.code());
        meta.versions.push(self.id.code().clone());
        let excess = meta.versions.len().saturating_sub(MAX_VERSIONS);
        meta.versions.drain(..excess);
        let path = self.dir.join(META_FILE);
        let bytes = serde_json::to_vec_pretty(&meta).expect("metadata serialises");
        store::write_atomic(&self.dir, &path, &bytes, self.memory.durability)
            .map_err(io_err(&path))?;
        cache.insert(self.id.dir_name().to_owned(), meta);
        Ok(())
    }

    /// Writes an entry's bytes to `path`. If the function's directory was
    /// deleted by hand meanwhile, recreates it (and its version list) and
    /// writes again.
    pub(crate) fn write_entry(
        &self,
        path: &Path,
        bytes: &[u8],
    ) -> Result<(), CacheError> {
        let durability = self.memory.durability;
        let mut written = store::write_atomic(&self.dir, path, bytes, durability);
        if written
            .as_ref()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        {
            self.memory.inner.meta.lock().expect("meta lock").clear();
            self.note_version()?;
            written = store::write_atomic(&self.dir, path, bytes, durability);
        }
        written.map_err(io_err(path))
    }
}
