//! The lesson: [`Memory`] (a cache directory) and [`CachedFn`] (one
//! function's results in it). A call makes its key, looks it up, and on a
//! miss computes, stores and returns the result; a lookup says *why* it
//! missed. Around this, in modules of their own: the key's parts
//! (`key.rs`), the entry format and atomic writes (`store.rs`), what lets a
//! miss give its reason (`history.rs`), counts and logs (`stats.rs`),
//! eviction and `clear` (`housekeeping.rs`), merging caches (`import.rs`).

use std::collections::HashMap;
use std::fs;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::CacheError;
use crate::fingerprint::{CodeVersion, FunctionId, SharedId};
use crate::history::{self, FunctionMeta};
use crate::housekeeping;
use crate::key::CacheKey;
use crate::stats::Counters;
use crate::store::{self, Durability};

/// The extension of entry files (named by their key).
pub(crate) const ENTRY_EXT: &str = "entry";

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

/// The outcome of a lookup.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<R> {
    /// The stored result.
    Hit(R),
    /// No usable result, and why.
    Miss(MissReason),
}

/// What the clones of a [`Memory`] share.
pub(crate) struct Inner {
    pub(crate) root: PathBuf,
    pub(crate) counters: Counters,
    /// Function directory → its metadata as last read or written here.
    pub(crate) meta: Mutex<HashMap<String, FunctionMeta>>,
}

// ANCHOR: memory
/// A cache directory, like joblib's `Memory(location)`. Cheap to clone and
/// safe to share between threads; several processes may use the same
/// directory at once.
#[derive(Clone)]
pub struct Memory {
    pub(crate) inner: Arc<Inner>,
    pub(crate) verbose: bool,
    pub(crate) durability: Durability,
}
// ANCHOR_END: memory

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
                meta: Mutex::new(HashMap::new()),
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

    /// The cache of the function known as `name`, `version`, with no code
    /// fingerprint: for closures and generic code. `R` is its result type;
    /// its arguments can be any `Serialize` value, given at each call.
    pub fn function<R>(&self, name: &str, version: u32) -> CachedFn<R> {
        self.function_with_id(Arc::new(FunctionId::new(name, version)))
    }

    /// The cache of the function `id` (what [`cached!`](crate::cached) uses).
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
    pub(crate) memory: Memory,
    pub(crate) id: SharedId,
    pub(crate) dir: PathBuf,
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

    /// The file holding the entry of the key `hash`.
    pub(crate) fn entry_path(&self, hash: &[u8; 32]) -> PathBuf {
        let mut name = blake3::Hash::from(*hash).to_hex().to_string();
        name.push('.');
        name.push_str(ENTRY_EXT);
        self.dir.join(name)
    }
}

impl<R: Serialize + DeserializeOwned> CachedFn<R> {
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

    // ANCHOR: check_in_cache
    /// Whether a result for `args` is stored (one `stat`, no read: a damaged
    /// entry still counts until a read finds the damage).
    pub fn check_in_cache<A: Serialize + ?Sized>(&self, args: &A) -> bool {
        self.key(args).is_ok_and(|key| {
            fs::metadata(self.entry_path(&key.hash))
                .is_ok_and(|m| m.len() >= store::HEADER as u64)
        })
    }
    // ANCHOR_END: check_in_cache

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
        self.count_store(true);
        Ok(())
    }
    // ANCHOR_END: store

    /// [`store`](Self::store) from `call`: a failure is counted and logged,
    /// since the caller gets its result anyway.
    fn store_reported(&self, key: &CacheKey, value: &R, reason: &MissReason) {
        if let Err(err) = self.store(key, value, reason) {
            self.count_store(false);
            log::warn!(target: "caching", "{}: not stored: {err}", self.id.name());
        }
    }
}

/// A call whose arguments cannot be serialised runs uncached; says so through
/// `log` (and the caller gets its result all the same).
fn not_cached(function: &str, err: &CacheError) {
    log::warn!(target: "caching", "{function}: {err}; not cached");
}
