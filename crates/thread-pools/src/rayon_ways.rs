//! rayon: the thread pool you actually use. `iter()` becomes `par_iter()`.

use rayon::ThreadPool;
use rayon::prelude::*;
use sweep_core::panic_message;

use crate::task_error::{TaskError, run_task};

// ANCHOR: rayon_map
/// `par_iter().map(f).collect()` on rayon's global pool (one thread per core,
/// or `RAYON_NUM_THREADS`). `collect` into a `Vec` keeps input order.
pub fn rayon_map<T, U, F>(inputs: &[T], f: F) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync + Send,
{
    inputs.par_iter().map(f).collect()
}
// ANCHOR_END: rayon_map

// ANCHOR: rayon_pool
/// A dedicated rayon pool of exactly `jobs` threads: joblib's `n_jobs`.
/// Build it once and reuse it; building starts `jobs` threads. `jobs = 0`
/// is an error (rayon would read 0 as "all cores"). Every chapter builds
/// its pools with this one function, from `sweep_core::jobs`.
pub use sweep_core::jobs::rayon_pool;

/// [`rayon_map`] run inside `pool` instead of the global pool: every
/// `par_iter` called within `install` uses `pool`'s threads.
pub fn rayon_map_in<T, U, F>(pool: &ThreadPool, inputs: &[T], f: F) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync + Send,
{
    pool.install(|| inputs.par_iter().map(f).collect())
}
// ANCHOR_END: rayon_pool

// ANCHOR: rayon_min_len
/// For tiny tasks: rayon never splits the work into pieces of fewer than
/// `min_len` inputs, so the cost of handing out a piece is shared by at least
/// `min_len` tasks.
pub fn rayon_map_min_len<T, U, F>(
    pool: &ThreadPool,
    inputs: &[T],
    min_len: usize,
    f: F,
) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync + Send,
{
    pool.install(|| inputs.par_iter().with_min_len(min_len).map(f).collect())
}
// ANCHOR_END: rayon_min_len

// ANCHOR: rayon_map_init
/// Per-worker state: `init` builds a value (a scratch buffer, a random number
/// generator, a connection) that `f` then reuses for many tasks. rayon calls
/// `init` once per piece of work it hands out — a few times per thread, not
/// once per task.
pub fn rayon_map_init<T, S, U, I, F>(
    pool: &ThreadPool,
    inputs: &[T],
    init: I,
    f: F,
) -> Vec<U>
where
    T: Sync,
    U: Send,
    I: Fn() -> S + Sync + Send,
    F: Fn(&mut S, &T) -> U + Sync + Send,
{
    pool.install(|| inputs.par_iter().map_init(init, f).collect())
}
// ANCHOR_END: rayon_map_init

// ANCHOR: rayon_map_results
/// Like [`rayon_map_in`], but a panicking task becomes a [`TaskError`] in its
/// own slot and every other result is kept.
pub fn rayon_map_results<T, U, F>(
    pool: &ThreadPool,
    inputs: &[T],
    f: F,
) -> Vec<Result<U, TaskError>>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync + Send,
{
    pool.install(|| {
        inputs
            .par_iter()
            .enumerate()
            .map(|(index, input)| run_task(index, || f(input)))
            .collect()
    })
}
// ANCHOR_END: rayon_map_results

// ANCHOR: rayon_all_or_nothing
/// rayon's default behaviour, for comparison: a panic in any task propagates
/// out of `collect` into the caller (after the other threads have stopped), so
/// the results of every other task are lost. Here it is caught with
/// `catch_unwind` and returned as the panic message.
pub fn rayon_all_or_nothing<T, U, F>(inputs: &[T], f: F) -> Result<Vec<U>, String>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync + Send,
{
    let run = std::panic::AssertUnwindSafe(|| rayon_map(inputs, f));
    std::panic::catch_unwind(run).map_err(|panic| panic_message(panic.as_ref()))
}
// ANCHOR_END: rayon_all_or_nothing
