//! rayon *inside* a task of a thread pool, without oversubscription. A task
//! that calls `par_iter` from one of [`crate::Pool`]'s threads (or from
//! scoped or channel threads) sends that work to rayon's global pool, one
//! thread per core, shared by every task: `jobs` task threads plus `cores`
//! rayon threads compete for the cores, and one task's nested work queues
//! behind the others'. (Inside rayon itself, as in [`crate::rayon_map`],
//! nested `par_iter` is already fine: it runs on the same pool's threads.)
//!
//! [`with_inner_threads`] gives the calling thread its own small rayon pool
//! of `max(1, cores / jobs)` threads ([`inner_threads`]), the process pool's
//! `InnerThreads::Auto` rule, so `jobs` tasks use about `cores` threads.
//!
//! Why a pool per calling thread, entered with `install`: one shared
//! 1-thread pool would run every task's nested work one at a time; rayon's
//! `use_current_thread` would avoid the hand-off to another thread but, by
//! rayon's own documentation, leaks the pool's registry for each thread
//! that uses it. `install` costs one hand-off per call, and the caller
//! sleeps meanwhile, so it does not count against the cores.
//!
//! What it cannot do: OpenMP and BLAS libraries read `OMP_NUM_THREADS`
//! (and the like) once per *process*; set them in the shell before the
//! program starts, or use processes (`process-pools` sets them per worker).

use std::cell::RefCell;
use std::sync::Arc;

use rayon::ThreadPool;
use sweep_core::jobs::JobsError;

thread_local! {
    /// This thread's inner pool, and its size.
    static INNER: RefCell<Option<(usize, Arc<ThreadPool>)>> =
        const { RefCell::new(None) };
}

/// The inner thread count for tasks on a pool of `jobs` threads:
/// `max(1, cores / jobs)`.
pub fn inner_threads(jobs: usize) -> usize {
    (sweep_core::jobs::default_jobs() / jobs.max(1)).max(1)
}

// ANCHOR: with_inner_threads
/// Runs `f` so that the rayon calls inside it (`par_iter`, `join`, …) run
/// on at most `threads` threads of a pool private to the calling thread
/// (built on its first call, kept for the next ones). On a rayon thread it
/// just runs `f` there: nested work stays on that pool. `threads = 0` is an
/// error, as are threads that cannot be started.
pub fn with_inner_threads<R, F>(threads: usize, f: F) -> Result<R, JobsError>
where
    R: Send,
    F: FnOnce() -> R + Send,
{
    if rayon::current_thread_index().is_some() {
        return Ok(f());
    }
    let pool = INNER.with(|inner| -> Result<_, JobsError> {
        let mut inner = inner.borrow_mut();
        match inner.as_ref() {
            Some((size, pool)) if *size == threads => Ok(Arc::clone(pool)),
            _ => {
                let pool = Arc::new(sweep_core::jobs::rayon_pool(threads)?);
                *inner = Some((threads, Arc::clone(&pool)));
                Ok(pool)
            }
        }
    })?;
    Ok(pool.install(f))
}
// ANCHOR_END: with_inner_threads
