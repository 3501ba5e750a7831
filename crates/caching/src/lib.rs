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
//!
//! Not part of the library: `sweep`, the chapter's demo sweeps (serial,
//! rayon, the thread-pools chapter's pool, and the resumable sweep), compiled
//! only with the `cli` feature (it runs the book's demo workloads).
//!
//! # Where things are
//! The files follow the data flow, bottom to top; each uses only files
//! above it in this list, so the crate reads top to bottom from here:
//! - `error.rs`: [`CacheError`]. `fingerprint.rs`: a function's identity
//!   ([`FunctionId`]) and the fingerprint of its tokens.
//! - `store.rs`, storage: the entry format, the entry's file (named by its
//!   key), atomic writes, [`Durability`]. Bytes and paths only.
//! - Plain values in the middle: `key.rs` ([`CacheKey`]: what goes into a
//!   key); `history.rs` ([`MissReason`]; code versions, tombstones, damage
//!   notes: why a miss missed); `stats.rs` ([`Stats`], the counters).
//! - Free functions over the cache directory: `housekeeping.rs` (`clear`,
//!   `reduce_size`, stale temporary files, `CACHEDIR.TAG`; [`Limits`],
//!   [`Reduced`], [`EntryInfo`]) and `import.rs` (merging caches,
//!   [`Imported`]).
//! - On top, the lesson: `memory.rs` ([`Memory`], the directory; its
//!   `stats`, `clear`, `reduce_size` and `import` call the files above),
//!   then `cached_fn.rs` ([`CachedFn`], [`Lookup`]: key → lookup → compute
//!   → store), then `cached.rs` (the [`cached!`] macro, which calls
//!   `CachedFn`) and the demo's `sweep.rs`.
//!
//! Chapter 5 walks through `key.rs`, `memory.rs`, `cached_fn.rs`,
//! `store.rs`, `fingerprint.rs` and `cached.rs`; it points to the rest.
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
//! let estimate = pi.call(&args, || 3.1416);          // computed
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
//! [`names`]: the name of each strategy, one for the demo, the benchmarks and
//! the book.
//!
//! Run the chapter's demo twice (the second run is served from the cache):
//! `cargo run --release -p caching -- --workload sleep --size 10 --jobs 2`.
#![warn(missing_docs)]

pub mod names;

// Bottom to top: each file uses only the ones listed before it.
mod error;
mod fingerprint;
// Storage: bytes and paths.
pub mod store;
// Plain values: a call's key,
mod key;
// why a miss missed, and the counts.
mod history;
mod stats;
// Free functions over the cache directory.
mod housekeeping;
mod import;
// On top, the lesson: the cache directory,
mod memory;
// one function's results in it,
mod cached_fn;
// the macro, which calls `CachedFn`, and the demo's sweeps.
mod cached;
#[cfg(feature = "cli")]
pub mod sweep;

pub use cached_fn::{CachedFn, Lookup};
pub use error::CacheError;
pub use fingerprint::{
    CodeVersion, FunctionId, SharedId, fingerprint_of, normalise_tokens,
};
pub use history::MissReason;
pub use housekeeping::{EntryInfo, Limits, Reduced};
pub use import::Imported;
pub use key::CacheKey;
pub use memory::Memory;
pub use stats::Stats;
pub use store::Durability;
