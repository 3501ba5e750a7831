//! Chapter 5, caching: a joblib.Memory for Rust. Each call's result is kept
//! on disk, keyed by the function and its arguments, so a rerun (after a crash,
//! a reboot or a tweak to the plotting code) loads what was done and computes
//! only the rest.
//!
//! # What is here
//! - [`Memory`]: a cache directory (`Memory::new(dir)?`), shared by threads and
//!   processes; `clear`, `reduce_size`, `entries`, `stats`, `import`.
//! - [`CachedFn`]: one function's results in it. `call(&args, || compute)`,
//!   `try_call`, `get`, `lookup` (hit, or *why* not), `check_in_cache`, `put`,
//!   `clear`.
//! - [`cached!`]: wraps a function so that its key includes a fingerprint of
//!   its own tokens: editing its body invalidates its entries; reformatting
//!   or commenting does not; `version = N` covers what the tokens cannot see.
//! - [`sweep`]: the chapter's cached sweeps (serial, rayon, and the
//!   thread-pools chapter's pool) and the resumable sweep.
//!
//! # Use without the macro
//! For closures, generic code, or code that stores results it computed
//! elsewhere, name the function and give it a version:
//! ```
//! use caching::Memory;
//! # let dir = tempfile::tempdir().unwrap();
//! let memory = Memory::new(dir.path())?;          // creates the directory
//! let pi = memory.function::<f64>("pi_mc", 1);    // name, version; R = f64
//! let args = (7u64, 10_000u64);                   // any Serialize value
//! assert!(!pi.check_in_cache(&args));
//! let estimate = pi.call(&args, || workloads::pi_mc(7, 10_000)); // computed
//! assert_eq!(pi.get(&args), Some(estimate));                     // stored
//! assert_eq!(pi.call(&args, || unreachable!()), estimate);       // loaded
//! # Ok::<(), caching::CacheError>(())
//! ```
//! [`Memory::import`] merges another cache directory into this one (entries
//! are self-checking files, so merging is copying what is missing).
//!
//! # Guarantees
//! Entries are written to a temporary file and renamed into place, so
//! concurrent writers of one key (threads or processes) never produce a
//! mixed entry; every read checks a blake3 checksum, and a damaged entry is
//! recomputed, never returned.
//!
//! # Reporting
//! The library never prints. Lookups and their miss reasons are counted in
//! [`Memory::stats`] and returned by `lookup`; warnings (a damaged entry
//! deleted, a result that could not be stored) and, on a
//! [`verbose`](Memory::verbose) handle, every lookup go to the [`log`]
//! facade (target `caching`): install any logger to see them.
//!
//! Run the chapter's demo twice (the second run is served from the cache):
//! `cargo run --release -p caching -- --workload sleep --size 10 --jobs 2`.
#![warn(missing_docs)]

mod fingerprint;
mod memory;
mod store;
pub mod sweep;

pub use fingerprint::{
    CodeVersion, FunctionId, SharedId, fingerprint_of, normalise_tokens,
};
pub use memory::{
    CacheError, CacheKey, CachedFn, EntryInfo, Imported, Limits, Lookup, Memory,
    MissReason, Reduced, Stats,
};
pub use store::Durability;

#[doc(hidden)]
pub use memory::not_cached as __not_cached;
