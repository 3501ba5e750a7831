//! The lesson, part two: [`CachedFn`], one function's results in a
//! [`Memory`]. A call makes its key (`key.rs`), looks it up (`store.rs`
//! reads and checks the entry), and on a miss computes, stores and returns
//! the result; a lookup says *why* it missed (`history.rs`) and is counted
//! (`stats.rs`). The top of the crate: every file below is a plain value or
//! a free function over a directory, and none of them names `CachedFn`.

use std::fs;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{CacheError, io_err};
use crate::fingerprint::{FunctionId, SharedId};
use crate::history::{self, MissReason};
use crate::housekeeping;
use crate::key::CacheKey;
use crate::memory::Memory;
use crate::store;

/// The outcome of a lookup.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<R> {
    /// The stored result.
    Hit(R),
    /// No usable result, and why.
    Miss(MissReason),
}

impl Memory {
    /// The cache of the function known as `name`, `version`, with no code
    /// fingerprint: for closures and generic code. `R` is its result type;
    /// its arguments can be any `Serialize` value, given at each call.
    pub fn function<R>(&self, name: &str, version: u32) -> CachedFn<R> {
        self.function_with_id(Arc::new(FunctionId::new(name, version)))
    }

    /// The cache of the function `id` (what [`cached!`](crate::cached!) uses).
    pub fn function_with_id<R>(&self, id: SharedId) -> CachedFn<R> {
        let dir = self.inner.root.join(id.dir_name());
        CachedFn {
            memory: self.clone(),
            id,
            dir,
            _result: PhantomData,
        }
    }
}

// ANCHOR: cached_fn
/// One function's results in a [`Memory`]: what `memory.cache(f)` returns in
/// joblib. `R` is the result type; each call gives its arguments as any
/// `Serialize` value (a tuple of them, say), which must encode the same way
/// every time: use `BTreeMap`, not `HashMap`, inside arguments.
pub struct CachedFn<R> {
    memory: Memory,
    id: SharedId,
    dir: PathBuf,
    _result: PhantomData<fn() -> R>,
}
// ANCHOR_END: cached_fn

impl<R> Clone for CachedFn<R> {
    fn clone(&self) -> Self {
        CachedFn {
            memory: self.memory.clone(),
            id: self.id.clone(),
            dir: self.dir.clone(),
            _result: PhantomData,
        }
    }
}

impl<R> std::fmt::Debug for CachedFn<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedFn")
            .field("id", &self.id)
            .field("dir", &self.dir)
            .finish()
    }
}

impl<R> CachedFn<R> {
    /// The function's identity.
    pub fn id(&self) -> &FunctionId {
        &self.id
    }

    /// Removes this function's entries (all code versions); returns how many.
    /// Safe while others use the cache (see [`Memory::clear`]).
    pub fn clear(&self) -> Result<usize, CacheError> {
        housekeeping::remove_entries(&self.dir)
    }
}

impl<R: Serialize + DeserializeOwned> CachedFn<R> {
    /// The key of a call with `args`.
    pub fn key<A: Serialize + ?Sized>(
        &self,
        args: &A,
    ) -> Result<CacheKey, CacheError> {
        CacheKey::new::<A, R>(&self.id, args, self.memory.verbose)
    }

    // ANCHOR: call
    /// The stored result of `args`, or else `compute()`, stored and returned.
    /// A store that fails (disk full, say) is logged as a warning; the
    /// result is returned all the same.
    pub fn call<A: Serialize + ?Sized>(
        &self,
        args: &A,
        compute: impl FnOnce() -> R,
    ) -> R {
        self.call_with_key(self.key(args), compute)
    }

    /// [`call`](Self::call) with the key already made by [`key`](Self::key)
    /// (or the error it returned: arguments that cannot be serialised run
    /// uncached). `cached!` uses it: it moves the arguments into `compute`
    /// once the key no longer borrows them.
    pub fn call_with_key(
        &self,
        key: Result<CacheKey, CacheError>,
        compute: impl FnOnce() -> R,
    ) -> R {
        let key = match key {
            Ok(key) => key,
            Err(err) => {
                not_cached(self.id.name(), &err);
                return compute();
            }
        };
        match self.lookup_key(&key) {
            Lookup::Hit(value) => value,
            Lookup::Miss(reason) => {
                let value = compute();
                self.store_reported(&key, &value, &reason);
                value
            }
        }
    }
    // ANCHOR_END: call

    /// [`call`](Self::call) with a key computed beforehand.
    pub fn call_key(&self, key: &CacheKey, compute: impl FnOnce() -> R) -> R {
        self.call_with_key(Ok(key.clone()), compute)
    }

    /// Like [`call`](Self::call) for a computation that can fail: only `Ok`
    /// results are stored, so a failed call is tried again next time.
    pub fn try_call<A: Serialize + ?Sized, E>(
        &self,
        args: &A,
        compute: impl FnOnce() -> Result<R, E>,
    ) -> Result<R, E> {
        let key = match self.key(args) {
            Ok(key) => key,
            Err(err) => {
                not_cached(self.id.name(), &err);
                return compute();
            }
        };
        match self.lookup_key(&key) {
            Lookup::Hit(value) => Ok(value),
            Lookup::Miss(reason) => {
                let value = compute()?;
                self.store_reported(&key, &value, &reason);
                Ok(value)
            }
        }
    }

    /// The stored result of `args`, if there is an intact one.
    pub fn get<A: Serialize + ?Sized>(&self, args: &A) -> Option<R> {
        match self.lookup(args) {
            Lookup::Hit(value) => Some(value),
            Lookup::Miss(_) => None,
        }
    }

    /// The stored result of `args`, or why there is none.
    pub fn lookup<A: Serialize + ?Sized>(&self, args: &A) -> Lookup<R> {
        match self.key(args) {
            Ok(key) => self.lookup_key(&key),
            Err(err) => Lookup::Miss(MissReason::Corrupt(err.to_string())),
        }
    }

    /// Whether a result for `args` is stored (one `stat`, no read: a damaged
    /// entry still counts until a read finds the damage).
    pub fn check_in_cache<A: Serialize + ?Sized>(&self, args: &A) -> bool {
        self.key(args).is_ok_and(|key| {
            fs::metadata(self.entry_path(&key.hash))
                .is_ok_and(|m| m.len() >= store::HEADER as u64)
        })
    }

    // ANCHOR: lookup
    /// Reads and checks the entry of `key`: a hit, or the reason for a miss.
    /// A damaged entry is deleted and logged (a `log` warning) as a miss; it
    /// is never returned. Hits and misses are counted ([`Memory::stats`]).
    pub fn lookup_key(&self, key: &CacheKey) -> Lookup<R> {
        let path = self.entry_path(&key.hash);
        let checked = match store::read_entry_file(&path) {
            Ok(Some(bytes)) => {
                store::verify_entry(&key.hash, &bytes).and_then(|payload| {
                    postcard::from_bytes::<R>(payload)
                        .map_err(|e| format!("cannot decode the value: {e}"))
                })
            }
            Ok(None) => return self.miss(key, self.why_missing(key)),
            Err(e) => Err(format!("cannot read: {e}")),
        };
        match checked {
            Ok(value) => self.hit(key, value),
            Err(why) => {
                log::warn!(
                    target: "caching",
                    "{}: entry {} is corrupt ({why}); recomputing",
                    self.id.name(),
                    path.display()
                );
                let _ = fs::remove_file(&path);
                history::note_damage(&path, &why); // the next miss says why
                self.miss(key, MissReason::Corrupt(why))
            }
        }
    }
    // ANCHOR_END: lookup

    // ANCHOR: store
    /// Stores `value` as the result of `args` (overwriting any entry).
    pub fn put<A: Serialize + ?Sized>(
        &self,
        args: &A,
        value: &R,
    ) -> Result<(), CacheError> {
        let key = self.key(args)?;
        self.store(&key, value, &MissReason::NewArguments)
    }

    /// Stores `value` under `key`, which missed for `reason`.
    fn store(
        &self,
        key: &CacheKey,
        value: &R,
        reason: &MissReason,
    ) -> Result<(), CacheError> {
        // The function's list of code versions: what lets a later miss say
        // "code changed".
        self.note_version()?;
        let bytes = store::encode_entry(&key.hash, value).map_err(|e| {
            CacheError::Encode {
                what: "value",
                message: e.to_string(),
            }
        })?;
        let path = self.entry_path(&key.hash);
        self.write_entry(&path, &bytes)?; // atomically: store::write_atomic
        history::forget_absence(&path, reason); // a tombstone or damage note
        self.memory.inner.counters.count_store(true);
        Ok(())
    }
    // ANCHOR_END: store

    /// [`store`](Self::store) from `call`: a failure is counted and logged,
    /// since the caller gets its result anyway.
    fn store_reported(&self, key: &CacheKey, value: &R, reason: &MissReason) {
        if let Err(err) = self.store(key, value, reason) {
            self.memory.inner.counters.count_store(false);
            log::warn!(target: "caching", "{}: not stored: {err}", self.id.name());
        }
    }
}

// The plumbing of a lookup and a store: paths, counts, logs, versions.
impl<R> CachedFn<R> {
    /// The file holding the entry of the key `hash`.
    fn entry_path(&self, hash: &[u8; 32]) -> PathBuf {
        store::entry_path(&self.dir, hash)
    }

    /// Why there is no entry for `key` (see `history::why_missing`).
    fn why_missing(&self, key: &CacheKey) -> MissReason {
        let versions = &self.memory.inner.versions;
        history::why_missing(versions, &self.dir, &self.id, key)
    }

    /// A hit: counted, and logged on a verbose handle.
    fn hit(&self, key: &CacheKey, value: R) -> Lookup<R> {
        self.memory.inner.counters.count_hit();
        self.log(key, format_args!("hit"));
        Lookup::Hit(value)
    }

    /// A miss: counted by its reason, and logged on a verbose handle.
    fn miss(&self, key: &CacheKey, reason: MissReason) -> Lookup<R> {
        self.memory.inner.counters.count_miss(&reason);
        self.log(key, format_args!("miss: {reason}"));
        Lookup::Miss(reason)
    }

    /// Lookups of a verbose handle go to the `log` facade at `info` level
    /// (the library never prints: the program chooses a logger, or none).
    fn log(&self, key: &CacheKey, what: std::fmt::Arguments<'_>) {
        if self.memory.verbose {
            let args = key.shown.as_deref().unwrap_or("");
            log::info!(target: "caching", "{}{args}: {what}", self.id.name());
        }
    }

    /// Records this code version in the function's `function.json` (what
    /// lets a later miss say "code changed"), creating its directory.
    fn note_version(&self) -> Result<(), CacheError> {
        let versions = &self.memory.inner.versions;
        versions.note(&self.dir, &self.id, self.memory.durability)
    }

    /// Writes an entry's bytes to `path`. If the function's directory was
    /// deleted by hand meanwhile, recreates it (and its version list) and
    /// writes again.
    fn write_entry(&self, path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
        let durability = self.memory.durability;
        let mut written = store::write_atomic(&self.dir, path, bytes, durability);
        if written
            .as_ref()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        {
            self.memory.inner.versions.forget();
            self.note_version()?;
            written = store::write_atomic(&self.dir, path, bytes, durability);
        }
        written.map_err(io_err(path))
    }
}

/// A call whose arguments cannot be serialised runs uncached; says so through
/// `log` (and the caller gets its result all the same).
fn not_cached(function: &str, err: &CacheError) {
    log::warn!(target: "caching", "{function}: {err}; not cached");
}
