//! The tasks every chapter runs, so every comparison in the book is apples to apples.
//!
//! # What is here
//! - [`driver`]: a tiny CPU task, run millions of times (the dask notebook's `driver`).
//! - [`pi_mc`]: Monte Carlo π with its own RNG seeded from `seed`; the same seed
//!   gives a bit-identical estimate on every thread, process and machine.
//! - [`sleepy`]: a latency-bound task (the joblib notebook's `time.sleep(i)`).
//! - [`generate_corpus`] and [`process_file`]: a reproducible corpus of text files
//!   and the one-task-per-file job (word count + checksum).
//! - [`square`]: the trivial task used to measure per-task overhead.
//! - [`driver_into`] and [`pi_mc_streams`]: the same work as a performance
//!   engineer writes it (slices, independent generator lanes); see `fast.rs`.
//! - [`driver_par_chunks`], [`square_par`] and [`pi_streams_map`]: those
//!   kernels on a rayon pool, the fastest honest strategies chapter 2 shows
//!   and the benches time (`fast_par.rs`).
//! - [`TaskSpec`] / [`Workload`]: one of the four demo workloads, runnable task by
//!   task (`run(i)`), and serialisable so it can be shipped to another process;
//!   [`WorkloadError`]: what a task can fail with.
//! - [`cli`] and [`report`]: the command line and the results table that every
//!   chapter's demo (`cargo run -p <chapter>`) shares (the clap parsing needs
//!   the `cli` feature; libraries leave it off and never pull in clap);
//!   [`testing`]: the helpers every chapter's tests share.
//! - [`jobs`], [`progress`] and [`executor`]: re-exported from `sweep-core`,
//!   the small runtime the chapter libraries stand on.
//!
//! The files read bottom to top: `kernels.rs` (the tasks) and `error.rs`,
//! then `corpus.rs`, `fast.rs`, `fast_par.rs` and `task.rs` on them, then
//! `measure`, `report`, `cli` and `testing`. This file only declares them and
//! re-exports what the crate root offers.
//!
//! This crate is the demo layer: the chapter libraries never depend on it
//! (their demos, examples, tests and benches do).
#![warn(missing_docs)]

pub mod cli;
mod corpus;
mod error;
mod fast;
mod fast_ln;
mod fast_par;
mod fork_join;
mod kernels;
pub mod measure;
pub mod report;
mod task;
pub mod testing;

// The runtime the chapter libraries share lives in `sweep-core`, the layer
// below them; the demos, benches and tests reach it through here too.
pub use sweep_core::{executor, jobs, panic_message, progress};

pub use corpus::{FileStats, generate_corpus, process_file};
pub use error::WorkloadError;
pub use fast::{
    PI_STREAMS, copy_into_uninit, driver_into, pi_mc_streams, square_into_uninit,
};
pub use fast_ln::{
    LN_BLOCK, driver_vec, driver_vec_into, driver_vec_into_uninit, ln_into,
};
pub use fast_par::{
    DRIVER_CHUNK, driver_par_chunks, driver_vec_par_chunks, pi_streams_map,
    square_par,
};
pub use fork_join::{
    PARTS_PER_THREAD, SPIN, SpinPool, copy_spin, driver_spin, driver_vec_spin,
    pi_streams_spin, square_spin,
};
pub use kernels::{derive_seed, driver, pi_mc, sleepy, square};
pub use report::SERIAL;
pub use task::{
    CORPUS_FILE_BYTES, CORPUS_SEED, DEFAULT_PI_TRIALS, DRIVER_DEN, DRIVER_NUM,
    Output, TaskResult, TaskSpec, Workload, WorkloadKind,
};
