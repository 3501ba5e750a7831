//! [`PoolBuilder`]: the settings of a [`Pool`] beyond its size — a worker
//! initializer, retries, chunk size, how many tasks may be in flight, and
//! progress — checked when the pool is built.

use std::fmt;
use std::sync::Arc;

use sweep_core::progress::Progress;

use crate::pool_error::PoolError;
use crate::workers::{Initializer, Pool, Settings};

// ANCHOR: pool_builder
/// Settings of a [`Pool`]; start from [`Pool::builder`].
///
/// ```
/// use thread_pools::Pool;
/// use thread_pools::Progress;
/// let pool = Pool::builder()
///     .jobs(2)
///     .initializer(|worker| {
///         // Once per worker thread, before its first task
///         // (Python's `Pool(initializer=...)`, R's `clusterEvalQ`).
///         if worker > 64 { return Err("too many workers".to_owned()) }
///         Ok(())
///     })
///     .retries(2)          // a panicking task runs up to 3 times
///     .chunksize(100)      // tasks per queue message
///     .max_in_flight(800)  // imap: tasks submitted ahead of the consumer
///     .progress(Progress::Off) // or Progress::auto("my sweep")
///     .build()?;
/// let squares = pool.map(0..1000_u64, |x| x * x);
/// assert_eq!(squares[999], Ok(998_001));
/// # Ok::<(), thread_pools::PoolError>(())
/// ```
#[derive(Clone)]
pub struct PoolBuilder {
    jobs: usize,
    initializer: Option<Initializer>,
    settings: Settings,
}

impl PoolBuilder {
    /// Number of worker threads (default: the number of cores).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs;
        self
    }

    /// Runs `init(worker)` once on each worker thread, before it takes any
    /// task: set up thread-local state, check a licence, open a connection
    /// kept in a `thread_local!`. If it returns `Err` or panics on any
    /// worker, [`build`](Self::build) fails with
    /// [`PoolError::Initializer`] naming the worker and the message, and no
    /// task ever runs.
    pub fn initializer<E, F>(mut self, init: F) -> Self
    where
        E: fmt::Display,
        F: Fn(usize) -> Result<(), E> + Send + Sync + 'static,
    {
        self.initializer = Some(Arc::new(move |worker| {
            init(worker).map_err(|e| e.to_string())
        }));
        self
    }

    /// Runs a task that panics up to `retries` more times (default 0:
    /// never). A task that fails every attempt gets a [`crate::TaskError`]
    /// whose `earlier_attempts()` holds the messages of the attempts before
    /// the last. Each attempt gets a clone of the input.
    pub fn retries(mut self, retries: u32) -> Self {
        self.settings.retries = retries;
        self
    }

    /// Tasks sent to a worker in one queue message (Python's `chunksize`).
    /// Default: [`crate::default_chunk`] for `map`, 1 for `imap` and
    /// `imap_unordered`.
    pub fn chunksize(mut self, chunksize: usize) -> Self {
        self.settings.chunksize = Some(chunksize);
        self
    }

    /// At most this many tasks of one `imap` / `imap_unordered` are
    /// submitted and not yet taken by the consumer (joblib's
    /// `pre_dispatch`). Inputs are pulled from the iterator only as results
    /// are taken, so a lazy input of 10^7 items never sits in memory.
    /// Default: two chunks per worker.
    pub fn max_in_flight(mut self, tasks: usize) -> Self {
        self.settings.max_in_flight = Some(tasks);
        self
    }

    /// Reports every call's progress (completed tasks, failures, ETA):
    /// `Progress::auto("label")` for a bar on a terminal and plain lines in
    /// a log. Default: off.
    pub fn progress(mut self, progress: Progress) -> Self {
        self.settings.progress = progress;
        self
    }

    /// Starts the workers, runs the initializer on each, and returns the
    /// pool once every worker is ready.
    pub fn build(self) -> Result<Pool, PoolError> {
        if self.jobs == 0 {
            return Err(PoolError::ZeroJobs);
        }
        if self.settings.chunksize == Some(0) {
            return Err(PoolError::Invalid("chunksize must be at least 1"));
        }
        if self.settings.max_in_flight == Some(0) {
            return Err(PoolError::Invalid("max_in_flight must be at least 1"));
        }
        Pool::start(self.jobs, self.initializer, self.settings)
    }
}
// ANCHOR_END: pool_builder

impl PoolBuilder {
    pub(crate) fn defaults() -> Self {
        PoolBuilder {
            jobs: sweep_core::jobs::default_jobs(),
            initializer: None,
            settings: Settings::default(),
        }
    }
}

impl fmt::Debug for PoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("jobs", &self.jobs)
            .field("initializer", &self.initializer.is_some())
            .field("settings", &self.settings)
            .finish()
    }
}
