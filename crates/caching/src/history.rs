//! What a cache remembers so that a miss can say *why*: [`MissReason`],
//! each function's code versions (its `function.json`), the tombstone
//! `reduce_size` leaves where it evicted an entry, and the note left where a
//! damaged entry was deleted. Plain values and free functions over a
//! function's directory, above storage (`store.rs`) and keys (`key.rs`):
//! `CachedFn` asks [`why_missing`] and records versions and notes here.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::Mutex;

use crate::error::{CacheError, io_err};
use crate::fingerprint::{CodeVersion, FunctionId};
use crate::key::CacheKey;
use crate::store::{self, Durability};

/// Why a lookup found no usable result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MissReason {
    /// No entry for these arguments under any code version seen.
    NewArguments,
    /// There is an entry for these arguments, from another version of the
    /// function's code.
    CodeChanged {
        /// The code version that stored it.
        previous: CodeVersion,
    },
    /// The entry was damaged (truncated, bit-flipped, undecodable).
    Corrupt(String),
    /// The entry was removed by [`Memory::reduce_size`].
    ///
    /// [`Memory::reduce_size`]: crate::Memory::reduce_size
    Evicted,
}

impl std::fmt::Display for MissReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MissReason::NewArguments => write!(f, "new arguments"),
            MissReason::CodeChanged { previous } => {
                write!(f, "code changed (stored by {previous})")
            }
            MissReason::Corrupt(why) => write!(f, "entry corrupt ({why})"),
            MissReason::Evicted => write!(f, "evicted by reduce_size"),
        }
    }
}

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

/// Why there is no entry for `key` in the directory `dir` of the function
/// `id`: a tombstone says evicted; a note left when a damaged entry was
/// deleted says corrupt; an entry for the same arguments under an earlier
/// code version says code changed; otherwise the arguments are new.
pub(crate) fn why_missing(
    versions: &Versions,
    dir: &Path,
    id: &FunctionId,
    key: &CacheKey,
) -> MissReason {
    let entry = store::entry_path(dir, &key.hash);
    if entry.with_extension(TOMBSTONE_EXT).exists() {
        return MissReason::Evicted;
    }
    if let Ok(why) = fs::read_to_string(entry.with_extension(CORRUPT_EXT)) {
        return MissReason::Corrupt(format!("{why}; deleted, not stored since"));
    }
    let known = versions.known(dir, id);
    for previous in known.iter().rev().filter(|v| *v != id.code()) {
        let old = key.hash_under(id.name(), previous);
        if store::entry_path(dir, &old).exists() {
            return MissReason::CodeChanged {
                previous: previous.clone(),
            };
        }
    }
    MissReason::NewArguments
}

/// Each function's metadata as last read or written by this process (by
/// function directory name), shared by the clones of a `Memory`: a store
/// rewrites `function.json` only when its code version is new to it.
#[derive(Default)]
pub(crate) struct Versions(Mutex<HashMap<String, FunctionMeta>>);

impl Versions {
    /// The code versions seen of the function `id`, whose directory is `dir`.
    fn known(&self, dir: &Path, id: &FunctionId) -> Vec<CodeVersion> {
        let mut cache = self.0.lock().expect("meta lock");
        cache
            .entry(id.dir_name().to_owned())
            .or_insert_with(|| read_meta(dir).unwrap_or_default())
            .versions
            .clone()
    }

    /// Records the code version of `id` in the metadata file of its
    /// directory `dir` (creating the directory) if it is not the latest one
    /// there (once per process and version, normally).
    pub(crate) fn note(
        &self,
        dir: &Path,
        id: &FunctionId,
        durability: Durability,
    ) -> Result<(), CacheError> {
        let mut cache = self.0.lock().expect("meta lock");
        if cache
            .get(id.dir_name())
            .is_some_and(|m| m.versions.last() == Some(id.code()))
        {
            return Ok(());
        }
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let mut meta = read_meta(dir).unwrap_or_default();
        meta.name = id.name().to_owned();
        meta.versions.retain(|v| v != id.code());
        meta.versions.push(id.code().clone());
        let excess = meta.versions.len().saturating_sub(MAX_VERSIONS);
        meta.versions.drain(..excess);
        let path = dir.join(META_FILE);
        let bytes = serde_json::to_vec_pretty(&meta).expect("metadata serialises");
        store::write_atomic(dir, &path, &bytes, durability)
            .map_err(io_err(&path))?;
        cache.insert(id.dir_name().to_owned(), meta);
        Ok(())
    }

    /// Forgets what was read or written: the directories may be gone.
    pub(crate) fn forget(&self) {
        self.0.lock().expect("meta lock").clear();
    }
}
