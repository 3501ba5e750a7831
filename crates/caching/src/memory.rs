//! [`Memory`] (a cache directory) and [`CachedFn`] (one function's results in
//! it): keys, lookups, stores, statistics, and the housekeeping (`clear`,
//! `reduce_size`, `import`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::fingerprint::{CodeVersion, FunctionId, SharedId};
use crate::store::{self, Durability};

/// What can go wrong with a cache (reading a damaged entry is not an error:
/// it is reported and recomputed).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The cache directory does not exist (from [`Memory::open`]).
    #[error("cache directory {0} does not exist")]
    Missing(PathBuf),
    /// The cache path exists but is not a directory.
    #[error("cache directory {0} is not a directory")]
    NotADirectory(PathBuf),
    /// The cache directory could not be created.
    #[error("cannot create cache directory {dir}: {source}")]
    Create {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The cache directory exists but files cannot be written in it.
    #[error("cache directory {dir} is not writable: {source}")]
    Unwritable {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file operation inside the cache failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Arguments or a value could not be serialised.
    #[error("cannot serialise {what}: {message}")]
    Encode {
        /// "arguments" or "value".
        what: &'static str,
        /// The serialiser's message.
        message: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_path_buf(),
        source,
    }
}

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

/// Hit and miss counts of a [`Memory`] (all its clones and handles together),
/// counted by `call`, `try_call`, `get` and `lookup`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that were not.
    pub misses: u64,
    /// Misses because of new arguments.
    pub new_arguments: u64,
    /// Misses because the code changed.
    pub code_changed: u64,
    /// Misses because the entry was damaged.
    pub corrupt: u64,
    /// Misses because `reduce_size` evicted the entry.
    pub evicted: u64,
    /// Entries written.
    pub stores: u64,
    /// Entries that could not be written (the result was still returned).
    pub store_failures: u64,
}

impl Stats {
    /// Hits / (hits + misses), or 0 with no lookups.
    pub fn hit_ratio(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 {
            0.0
        } else {
            self.hits as f64 / total as f64
        }
    }
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    new_arguments: AtomicU64,
    code_changed: AtomicU64,
    corrupt: AtomicU64,
    evicted: AtomicU64,
    stores: AtomicU64,
    store_failures: AtomicU64,
}

/// Per-function metadata file: the name and the code versions seen, oldest
/// first. It is what lets a miss say "code changed".
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct FunctionMeta {
    name: String,
    versions: Vec<CodeVersion>,
}

const META_FILE: &str = "function.json";
const ENTRY_EXT: &str = "entry";
const TOMBSTONE_EXT: &str = "evicted";
/// Left where a damaged entry was deleted, holding why it was damaged: the
/// next miss on that key says "entry corrupt", not "new arguments" or "code
/// changed".
const CORRUPT_EXT: &str = "corrupt";
/// Code versions remembered per function.
const MAX_VERSIONS: usize = 16;
/// Temporary files older than this are leftovers of a crashed writer.
const STALE_TMP: Duration = Duration::from_secs(3600);

struct Inner {
    root: PathBuf,
    counters: Counters,
    /// Function directory → its metadata as last read or written here.
    meta: Mutex<HashMap<String, FunctionMeta>>,
}

// ANCHOR: memory
/// A cache directory, like joblib's `Memory(location)`. Cheap to clone and
/// safe to share between threads; several processes may use the same
/// directory at once.
#[derive(Clone)]
pub struct Memory {
    inner: Arc<Inner>,
    verbose: bool,
    durability: Durability,
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
        // Prove we can write here: the same temp-file + rename a store does.
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

    /// A snapshot of the hit and miss counts.
    pub fn stats(&self) -> Stats {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Relaxed);
        let (new, changed) = (get(&c.new_arguments), get(&c.code_changed));
        let (corrupt, evicted) = (get(&c.corrupt), get(&c.evicted));
        Stats {
            hits: get(&c.hits),
            misses: new + changed + corrupt + evicted,
            new_arguments: new,
            code_changed: changed,
            corrupt,
            evicted,
            stores: get(&c.stores),
            store_failures: get(&c.store_failures),
        }
    }

    /// Sets every count back to zero.
    pub fn reset_stats(&self) {
        let c = &self.inner.counters;
        for counter in [
            &c.hits,
            &c.new_arguments,
            &c.code_changed,
            &c.corrupt,
            &c.evicted,
            &c.stores,
            &c.store_failures,
        ] {
            counter.store(0, Relaxed);
        }
    }

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
                    // A tombstone, so that the next miss can say "evicted".
                    let _ =
                        fs::File::create(entry.path.with_extension(TOMBSTONE_EXT));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&entry.path)(e)),
            }
        }
        self.remove_stale_temp_files(now)?;
        Ok(reduced)
    }
    // ANCHOR_END: reduce_size

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

    /// The function directories: subdirectories holding a `function.json`.
    fn function_dirs(&self) -> Result<Vec<PathBuf>, CacheError> {
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

    /// Lookups of a verbose handle go to the `log` facade at `info` level
    /// (the library never prints: the program chooses a logger, or none).
    fn log(&self, message: std::fmt::Arguments<'_>) {
        if self.verbose {
            log::info!(target: "caching", "{message}");
        }
    }
}

const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
    # This directory is a cache made by the `caching` crate.\n\
    # For information about cache directory tags see https://bford.info/cachedir/\n";

fn read_dir(dir: &Path) -> Result<Vec<fs::DirEntry>, CacheError> {
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

fn read_meta(dir: &Path) -> Option<FunctionMeta> {
    let bytes = fs::read(dir.join(META_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `std::any::type_name::<T>()` without references: `&T` and `T` serialise
/// alike and mean the same argument, so `f.call(&x)` and `f.call(&&x)` (or
/// `cached!`'s `key` and `call`) must find the same entry. The text may
/// change with a compiler upgrade: the cache then misses once (safe); two
/// different types never share a name.
fn type_name<T: ?Sized>() -> Cow<'static, str> {
    let name = std::any::type_name::<T>();
    if name.contains('&') {
        Cow::Owned(name.replace("&mut ", "").replace('&', ""))
    } else {
        Cow::Borrowed(name)
    }
}

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

/// The key of one call: a blake3 hash of the function's full name, its code
/// version, the argument and result types, and the serialised arguments.
#[derive(Debug, Clone)]
pub struct CacheKey {
    hash: [u8; 32],
    /// [`type_name`] of the arguments and of the result.
    types: [Cow<'static, str>; 2],
    args: Vec<u8>,
    shown: Option<String>,
}

impl CacheKey {
    /// The key as 64 hex digits (the entry's file name).
    pub fn hex(&self) -> String {
        blake3::Hash::from(self.hash).to_hex().to_string()
    }
}

// ANCHOR: key
/// The key: blake3 over the function's full name (its module path too, with
/// `cached!`), its fingerprint and version, the argument and result *types*
/// and the arguments in postcard's compact, deterministic encoding. The
/// types are needed because the bytes alone are ambiguous: `1u64` and
/// `-1i64` both encode as the byte `0x01`. Each part is length-prefixed so
/// that no two different inputs hash the same bytes.
fn key_hash(
    id_name: &str,
    code: &CodeVersion,
    [arg_type, result_type]: &[Cow<'static, str>; 2],
    args: &[u8],
) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"ppr-caching key v2\0");
    let name = id_name.as_bytes();
    let code_id = code.fingerprint.as_bytes();
    let (arg_type, result_type) = (arg_type.as_bytes(), result_type.as_bytes());
    for part in [name, code_id, arg_type, result_type, args] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.update(&code.version.to_le_bytes());
    *hasher.finalize().as_bytes()
}
// ANCHOR_END: key

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

impl<R: Serialize + DeserializeOwned> CachedFn<R> {
    /// The function's identity.
    pub fn id(&self) -> &FunctionId {
        &self.id
    }

    /// The key of a call with `args`.
    pub fn key<A: Serialize + ?Sized>(
        &self,
        args: &A,
    ) -> Result<CacheKey, CacheError> {
        let bytes = postcard::to_allocvec(args).map_err(|e| CacheError::Encode {
            what: "arguments",
            message: e.to_string(),
        })?;
        let shown = self.memory.verbose.then(|| {
            serde_json::to_string(args).unwrap_or_else(|_| "<arguments>".into())
        });
        let types = [type_name::<A>(), type_name::<R>()];
        Ok(CacheKey {
            hash: key_hash(self.id.name(), self.id.code(), &types, &bytes),
            types,
            args: bytes,
            shown,
        })
    }

    fn entry_path(&self, hash: &[u8; 32]) -> PathBuf {
        let mut name = blake3::Hash::from(*hash).to_hex().to_string();
        name.push('.');
        name.push_str(ENTRY_EXT);
        self.dir.join(name)
    }

    // ANCHOR: call
    /// The stored result of `args`, or else `compute()`, stored and returned.
    /// A store that fails (disk full, say) is reported on stderr; the result
    /// is returned all the same.
    pub fn call<A: Serialize + ?Sized>(
        &self,
        args: &A,
        compute: impl FnOnce() -> R,
    ) -> R {
        match self.key(args) {
            Ok(key) => self.call_key(&key, compute),
            Err(err) => {
                not_cached(self.id.name(), &err);
                compute()
            }
        }
    }

    /// [`call`](Self::call) with a key computed beforehand.
    pub fn call_key(&self, key: &CacheKey, compute: impl FnOnce() -> R) -> R {
        match self.lookup_key(key) {
            Lookup::Hit(value) => value,
            Lookup::Miss(reason) => {
                let value = compute();
                self.store_reported(key, &value, &reason);
                value
            }
        }
    }
    // ANCHOR_END: call

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
    /// A damaged entry is deleted, counted and logged (a `log` warning) as a
    /// miss; it is never returned.
    pub fn lookup_key(&self, key: &CacheKey) -> Lookup<R> {
        let path = self.entry_path(&key.hash);
        let outcome = match store::read_entry_file(&path) {
            Ok(Some(bytes)) => {
                store::verify_entry(&key.hash, &bytes).and_then(|payload| {
                    postcard::from_bytes::<R>(payload)
                        .map_err(|e| format!("cannot decode the value: {e}"))
                })
            }
            Ok(None) => return self.miss(key, self.why_missing(key)),
            Err(e) => Err(format!("cannot read: {e}")),
        };
        match outcome {
            Ok(value) => {
                self.memory.inner.counters.hits.fetch_add(1, Relaxed);
                self.log(key, "hit");
                Lookup::Hit(value)
            }
            Err(why) => {
                log::warn!(
                    target: "caching",
                    "{}: entry {} is corrupt ({why}); recomputing",
                    self.id.name(),
                    path.display()
                );
                let _ = fs::remove_file(&path);
                // Best effort: a lost note only makes the next reason vaguer.
                let _ = fs::write(path.with_extension(CORRUPT_EXT), &why);
                self.miss(key, MissReason::Corrupt(why))
            }
        }
    }
    // ANCHOR_END: lookup

    fn miss(&self, key: &CacheKey, reason: MissReason) -> Lookup<R> {
        let c = &self.memory.inner.counters;
        match reason {
            MissReason::NewArguments => &c.new_arguments,
            MissReason::CodeChanged { .. } => &c.code_changed,
            MissReason::Corrupt(_) => &c.corrupt,
            MissReason::Evicted => &c.evicted,
        }
        .fetch_add(1, Relaxed);
        if self.memory.verbose {
            self.log(key, &format!("miss: {reason}"));
        }
        Lookup::Miss(reason)
    }

    fn log(&self, key: &CacheKey, what: &str) {
        let args = key.shown.as_deref().unwrap_or("");
        self.memory
            .log(format_args!("{}{args}: {what}", self.id.name()));
    }

    /// Why there is no entry for `key`: a tombstone says evicted; a note
    /// left when a damaged entry was deleted says corrupt; an entry for the
    /// same arguments under an earlier code version says code changed;
    /// otherwise the arguments are new.
    fn why_missing(&self, key: &CacheKey) -> MissReason {
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
    fn note_version(&self) -> Result<(), CacheError> {
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

    fn store(
        &self,
        key: &CacheKey,
        value: &R,
        reason: &MissReason,
    ) -> Result<(), CacheError> {
        self.note_version()?;
        let bytes = store::encode_entry(&key.hash, value).map_err(|e| {
            CacheError::Encode {
                what: "value",
                message: e.to_string(),
            }
        })?;
        let path = self.entry_path(&key.hash);
        let mut written =
            store::write_atomic(&self.dir, &path, &bytes, self.memory.durability);
        if written
            .as_ref()
            .is_err_and(|e| e.kind() == io::ErrorKind::NotFound)
        {
            // The directory was deleted by hand meanwhile: recreate it.
            self.memory.inner.meta.lock().expect("meta lock").clear();
            self.note_version()?;
            written = store::write_atomic(
                &self.dir,
                &path,
                &bytes,
                self.memory.durability,
            );
        }
        written.map_err(io_err(&path))?;
        match reason {
            MissReason::Evicted => {
                let _ = fs::remove_file(path.with_extension(TOMBSTONE_EXT));
            }
            MissReason::Corrupt(_) => {
                let _ = fs::remove_file(path.with_extension(CORRUPT_EXT));
            }
            _ => {}
        }
        self.memory.inner.counters.stores.fetch_add(1, Relaxed);
        Ok(())
    }
    // ANCHOR_END: store

    fn store_reported(&self, key: &CacheKey, value: &R, reason: &MissReason) {
        if let Err(err) = self.store(key, value, reason) {
            let counters = &self.memory.inner.counters;
            counters.store_failures.fetch_add(1, Relaxed);
            log::warn!(target: "caching", "{}: not stored: {err}", self.id.name());
        }
    }

    /// Removes this function's entries (all code versions); returns how many.
    /// Safe while others use the cache (see [`Memory::clear`]).
    pub fn clear(&self) -> Result<usize, CacheError> {
        remove_entries(&self.dir)
    }
}

/// A call whose arguments cannot be serialised runs uncached; says so through
/// `log` (and the caller gets its result all the same). Used by `cached!`.
#[doc(hidden)]
pub fn not_cached(function: &str, err: &CacheError) {
    log::warn!(target: "caching", "{function}: {err}; not cached");
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
